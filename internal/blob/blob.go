// Package blob stores large artifacts (state files, dbt manifests and
// catalogs: often 100 MB and more) by content hash, in a directory (the
// default, under the data directory) or in an S3-compatible object store
// (for several server instances, which must all see every upload).
//
// Three promises, the same for both backends:
//   - Streaming: Put and Open never hold a whole artifact in memory. Put
//     hashes while it writes; the S3 backend buffers one multipart part.
//   - Atomic: a blob is either complete under its name or absent. The
//     directory writes a temporary file and renames it; S3 uploads under a
//     temporary key and copies it to its name once the hash is known.
//   - Bounded and checked: Put stops at the size limit while streaming
//     (ErrTooLarge), and Open's reader fails at the end of a blob whose
//     bytes no longer match its name (ErrCorrupt).
//
// A blob's name (its Ref) is "sha256:" and the hex SHA-256 of its bytes:
// the same artifact uploaded twice is stored once.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Store keeps blobs. Implementations are safe for concurrent use.
type Store interface {
	// Put stores what r yields, at most maxSize bytes (0: no limit), and
	// returns its ref and size. Past maxSize it stops reading, stores
	// nothing and returns an error that errors.Is ErrTooLarge.
	Put(ctx context.Context, r io.Reader, maxSize int64) (Info, error)
	// Open returns the blob's bytes, streamed. The reader's last Read
	// returns ErrCorrupt instead of io.EOF when the bytes do not match the
	// ref. ErrNotFound when there is no such blob.
	Open(ctx context.Context, ref string) (io.ReadCloser, Info, error)
	// Stat returns the blob's size, or ErrNotFound.
	Stat(ctx context.Context, ref string) (Info, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, ref string) error
}

// Info describes a stored blob.
type Info struct {
	Ref  string // "sha256:<64 hex digits>"
	Size int64
}

var (
	// ErrTooLarge: the upload exceeded the size limit.
	ErrTooLarge = errors.New("the artifact is larger than the limit")
	// ErrNotFound: no blob has this ref.
	ErrNotFound = errors.New("no such artifact blob")
	// ErrCorrupt: the stored bytes do not match the ref (disk or bucket damage).
	ErrCorrupt = errors.New("the stored artifact is damaged: its content does not match its hash")
)

// TooLargeError carries the limit, for a message the uploader can act on.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%v (%d bytes): upload less, or raise the server's artifact size limit", ErrTooLarge, e.Limit)
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

const refPrefix = "sha256:"

// ParseRef checks a ref and returns its hex digest.
func ParseRef(ref string) (string, error) {
	hexDigest, ok := strings.CutPrefix(ref, refPrefix)
	if !ok || len(hexDigest) != 64 || strings.ToLower(hexDigest) != hexDigest {
		return "", fmt.Errorf("%q is not a blob ref (sha256:<64 lowercase hex digits>)", ref)
	}
	if _, err := hex.DecodeString(hexDigest); err != nil {
		return "", fmt.Errorf("%q is not a blob ref (sha256:<64 lowercase hex digits>)", ref)
	}
	return hexDigest, nil
}

// hashingReader hashes what it passes on and refuses to pass more than
// limit bytes: the limit is enforced while streaming, before the bytes
// past it are written anywhere.
type hashingReader struct {
	r        io.Reader
	h        hash.Hash
	n, limit int64 // limit 0: none
	ctx      context.Context
	exceeded bool
}

func newHashingReader(ctx context.Context, r io.Reader, limit int64) *hashingReader {
	return &hashingReader{r: r, h: sha256.New(), limit: limit, ctx: ctx}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if err := h.ctx.Err(); err != nil {
		return 0, err
	}
	if h.limit > 0 && int64(len(p)) > h.limit-h.n+1 {
		p = p[:h.limit-h.n+1] // read one byte past the limit at most, to detect it
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	if h.limit > 0 && h.n > h.limit {
		h.exceeded = true
		return 0, &TooLargeError{Limit: h.limit}
	}
	h.h.Write(p[:n])
	return n, err
}

func (h *hashingReader) info() Info {
	return Info{Ref: refPrefix + hex.EncodeToString(h.h.Sum(nil)), Size: h.n}
}

// verifyingReader hashes a blob as it is read and, at the end, compares the
// hash with the ref: damage is reported instead of io.EOF.
type verifyingReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string // hex digest
}

func newVerifyingReader(rc io.ReadCloser, hexDigest string) *verifyingReader {
	return &verifyingReader{rc: rc, h: sha256.New(), want: hexDigest}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if errors.Is(err, io.EOF) && hex.EncodeToString(v.h.Sum(nil)) != v.want {
		return n, ErrCorrupt
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }
