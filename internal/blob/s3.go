package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config configures the S3-compatible backend (AWS S3, MinIO, Ceph,
// Garage, GCS's interoperability mode...).
type S3Config struct {
	// Endpoint is host[:port], without scheme: s3.amazonaws.com,
	// minio.internal:9000.
	Endpoint string
	Bucket   string
	// Prefix is prepended to every key ("recce/" keeps the bucket shareable).
	Prefix string
	Region string
	// Credentials: static keys, or, when both are empty, the usual
	// environment and instance sources (AWS_ACCESS_KEY_ID..., IAM roles).
	AccessKeyID     string
	SecretAccessKey string
	// Insecure speaks plain HTTP (a MinIO on localhost); HTTPS otherwise.
	Insecure bool
	// PathStyle forces bucket-in-path URLs (most self-hosted stores need
	// them; the default is chosen from the endpoint).
	PathStyle bool
	// PartSize is the multipart part size, which is also the memory one
	// upload holds (default 16 MiB; S3 needs at least 5 MiB).
	PartSize uint64
	// Transport replaces the HTTP transport (tests, custom CAs).
	Transport http.RoundTripper
}

// S3 keeps blobs in a bucket under <prefix>sha256/<hex>.
type S3 struct {
	c        *minio.Client
	bucket   string
	prefix   string
	partSize uint64
}

// DefaultPartSize bounds the memory of one upload to S3.
const DefaultPartSize = 16 << 20

// NewS3 returns the S3 backend. It checks that the bucket exists (and that
// the credentials can see it), so that a misconfiguration shows at start.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("the S3 artifact store needs an endpoint and a bucket")
	}
	var creds *credentials.Credentials
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.EnvMinio{},
			&credentials.FileAWSCredentials{}, &credentials.IAM{}})
	}
	opts := &minio.Options{Creds: creds, Secure: !cfg.Insecure, Region: cfg.Region, Transport: cfg.Transport}
	if cfg.PathStyle {
		opts.BucketLookup = minio.BucketLookupPath
	}
	c, err := minio.New(cfg.Endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("set up the S3 artifact store: %w", err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("reach the S3 artifact store at %s (bucket %s): %w", cfg.Endpoint, cfg.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("the S3 bucket %s does not exist at %s: create it, or fix the bucket name", cfg.Bucket, cfg.Endpoint)
	}
	ps := cfg.PartSize
	if ps == 0 {
		ps = DefaultPartSize
	}
	return &S3{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix, partSize: ps}, nil
}

func (s *S3) key(hexDigest string) string { return s.prefix + "sha256/" + hexDigest }

// Put uploads r under a temporary key while hashing it (the hash, hence the
// name, is known only at the end), then copies it to its name and removes
// the temporary object. A failed or oversized upload is aborted by the
// client; a crash may leave a temporary object under <prefix>tmp/, which a
// bucket lifecycle rule should expire (docs/server.md).
func (s *S3) Put(ctx context.Context, r io.Reader, maxSize int64) (Info, error) {
	tmp := make([]byte, 16)
	rand.Read(tmp)
	tmpKey := s.prefix + "tmp/" + hex.EncodeToString(tmp)
	hr := newHashingReader(ctx, r, maxSize)
	_, err := s.c.PutObject(ctx, s.bucket, tmpKey, hr, -1, minio.PutObjectOptions{
		PartSize: s.partSize, ContentType: "application/octet-stream"})
	if hr.exceeded {
		s.c.RemoveObject(context.WithoutCancel(ctx), s.bucket, tmpKey, minio.RemoveObjectOptions{})
		return Info{}, &TooLargeError{Limit: maxSize}
	}
	if err != nil {
		return Info{}, fmt.Errorf("upload an artifact to S3: %w", err)
	}
	defer s.c.RemoveObject(context.WithoutCancel(ctx), s.bucket, tmpKey, minio.RemoveObjectOptions{})
	info := hr.info()
	hexDigest, _ := ParseRef(info.Ref)
	if st, err := s.c.StatObject(ctx, s.bucket, s.key(hexDigest), minio.StatObjectOptions{}); err == nil && st.Size == info.Size {
		return info, nil // stored before: same content, same name
	}
	if _, err := s.c.CopyObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(hexDigest)},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmpKey}); err != nil {
		return Info{}, fmt.Errorf("store an artifact in S3: %w", err)
	}
	return info, nil
}

// Open streams a blob from the bucket.
func (s *S3) Open(ctx context.Context, ref string) (io.ReadCloser, Info, error) {
	hexDigest, err := ParseRef(ref)
	if err != nil {
		return nil, Info{}, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.key(hexDigest), minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s3Err("open", ref, err)
	}
	// GetObject is lazy: Stat makes the request and reports a missing object.
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s3Err("open", ref, err)
	}
	return newVerifyingReader(obj, hexDigest), Info{Ref: ref, Size: st.Size}, nil
}

// Stat returns a blob's size.
func (s *S3) Stat(ctx context.Context, ref string) (Info, error) {
	hexDigest, err := ParseRef(ref)
	if err != nil {
		return Info{}, err
	}
	st, err := s.c.StatObject(ctx, s.bucket, s.key(hexDigest), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s3Err("stat", ref, err)
	}
	return Info{Ref: ref, Size: st.Size}, nil
}

// Delete removes a blob.
func (s *S3) Delete(ctx context.Context, ref string) error {
	hexDigest, err := ParseRef(ref)
	if err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.key(hexDigest), minio.RemoveObjectOptions{}); err != nil {
		return s3Err("delete", ref, err)
	}
	return nil
}

func s3Err(op, ref string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return ErrNotFound
	}
	return fmt.Errorf("%s artifact %s in S3: %w", op, ref, err)
}

// isS3 reports whether spec names the S3 backend.
func isS3(spec string) bool { return strings.HasPrefix(strings.ToLower(spec), "s3://") }
