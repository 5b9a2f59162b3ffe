package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir keeps blobs in a directory: <root>/sha256/<first 2 hex>/<hex>, with
// uploads in progress in <root>/tmp on the same file system, so that the
// final rename is atomic. Files are private (0600) like the database.
type Dir struct {
	root string
}

// NewDir returns a Dir rooted at root, creating it when needed.
func NewDir(root string) (*Dir, error) {
	for _, d := range []string{root, filepath.Join(root, "tmp"), filepath.Join(root, "sha256")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create the artifact directory: %w", err)
		}
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(hexDigest string) string {
	return filepath.Join(d.root, "sha256", hexDigest[:2], hexDigest)
}

// Put streams r into a temporary file while hashing it, then renames the
// file to its hash. A crash leaves at most a temporary file behind (removed
// by CleanTemp), never a partial blob under a real name.
func (d *Dir) Put(ctx context.Context, r io.Reader, maxSize int64) (Info, error) {
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("store an artifact: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	hr := newHashingReader(ctx, r, maxSize)
	if _, err := io.Copy(tmp, hr); err != nil {
		if hr.exceeded {
			return Info{}, &TooLargeError{Limit: maxSize}
		}
		return Info{}, fmt.Errorf("store an artifact: %w", err)
	}
	// The blob must be on disk before anyone is told it is stored (the
	// session that references it is committed right after).
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("store an artifact: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("store an artifact: %w", err)
	}
	info := hr.info()
	hexDigest, _ := ParseRef(info.Ref)
	final := d.path(hexDigest)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Info{}, fmt.Errorf("store an artifact: %w", err)
	}
	// Rename replaces an existing blob of the same content atomically:
	// readers of the old file keep their open handle, so no check is needed.
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Info{}, fmt.Errorf("store an artifact: %w", err)
	}
	done = true
	syncDir(filepath.Dir(final))
	return info, nil
}

// syncDir makes a rename durable. Best effort: some systems cannot fsync a
// directory, and the blob is complete either way.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// Open opens a blob for streaming.
func (d *Dir) Open(ctx context.Context, ref string) (io.ReadCloser, Info, error) {
	hexDigest, err := ParseRef(ref)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(d.path(hexDigest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("open artifact %s: %w", ref, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("open artifact %s: %w", ref, err)
	}
	return newVerifyingReader(f, hexDigest), Info{Ref: ref, Size: st.Size()}, nil
}

// Stat returns a blob's size.
func (d *Dir) Stat(ctx context.Context, ref string) (Info, error) {
	hexDigest, err := ParseRef(ref)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(d.path(hexDigest))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, fmt.Errorf("stat artifact %s: %w", ref, err)
	}
	return Info{Ref: ref, Size: st.Size()}, nil
}

// Delete removes a blob.
func (d *Dir) Delete(ctx context.Context, ref string) error {
	hexDigest, err := ParseRef(ref)
	if err != nil {
		return err
	}
	if err := os.Remove(d.path(hexDigest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete artifact %s: %w", ref, err)
	}
	return nil
}

// CleanTemp removes uploads left in progress by a crash. Call it at start,
// before accepting uploads (an upload in progress would lose its file).
func (d *Dir) CleanTemp() error {
	entries, err := os.ReadDir(filepath.Join(d.root, "tmp"))
	if err != nil {
		return fmt.Errorf("clean the artifact directory: %w", err)
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.Remove(filepath.Join(d.root, "tmp", e.Name())))
	}
	return errors.Join(errs...)
}
