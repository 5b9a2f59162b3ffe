package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// pattern is a deterministic, incompressible-enough stream of n bytes that
// is generated as it is read, so that tests can push large artifacts
// without holding them.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rem := p.n - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x*2654435761>>13) ^ byte(x)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func refOf(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// fakeS3 is an in-process S3 (gofakes3) with an empty bucket "artifacts".
type fakeS3 struct {
	backend *s3mem.Backend
	cfg     S3Config
}

// newFakeS3 serves the fake over HTTPS, as a production store would be:
// over plain HTTP the client signs each chunk of a streamed part
// (aws-chunked), which gofakes3 decodes for single uploads but not for
// multipart parts.
func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f, srv := newFakeS3Server(t, httptest.NewTLSServer)
	f.cfg.Transport = srv.Client().Transport
	return f
}

func newFakeS3Server(t *testing.T, start func(http.Handler) *httptest.Server) (*fakeS3, *httptest.Server) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("artifacts"); err != nil {
		t.Fatal(err)
	}
	srv := start(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return &fakeS3{backend: be, cfg: S3Config{Endpoint: u.Host, Bucket: "artifacts", Prefix: "recce/", Region: "us-east-1",
		AccessKeyID: "test", SecretAccessKey: "test-secret", Insecure: u.Scheme == "http", PathStyle: true, PartSize: 5 << 20}}, srv
}

// keys lists the bucket's objects.
func (f *fakeS3) keys(t *testing.T) []string {
	t.Helper()
	list, err := f.backend.ListBucket("artifacts", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range list.Contents {
		out = append(out, o.Key)
	}
	return out
}

type backendCase struct {
	name string
	s    Store
	// leftovers lists what the store holds besides blobs (temporary files
	// or objects): an aborted upload must leave none.
	leftovers func(t *testing.T) []string
	// corrupt damages a stored blob behind the store's back.
	corrupt func(t *testing.T, ref string)
}

func backends(t *testing.T) []backendCase {
	dir := t.TempDir()
	d, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeS3(t)
	s3, err := NewS3(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return []backendCase{
		{name: "dir", s: d,
			leftovers: func(t *testing.T) []string {
				entries, _ := os.ReadDir(filepath.Join(dir, "tmp"))
				var out []string
				for _, e := range entries {
					out = append(out, e.Name())
				}
				return out
			},
			corrupt: func(t *testing.T, ref string) {
				h, _ := ParseRef(ref)
				if err := os.WriteFile(d.path(h), []byte("damaged"), 0o600); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "s3", s: s3,
			leftovers: func(t *testing.T) []string {
				var out []string
				for _, k := range f.keys(t) {
					if !strings.HasPrefix(k, "recce/sha256/") {
						out = append(out, k)
					}
				}
				return out
			},
			corrupt: func(t *testing.T, ref string) {
				h, _ := ParseRef(ref)
				if _, err := f.backend.PutObject("artifacts", "recce/sha256/"+h, map[string]string{},
					bytes.NewReader([]byte("damaged")), 7, nil); err != nil {
					t.Fatal(err)
				}
			}},
	}
}

func TestPutOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			// 12 MiB: more than two S3 parts of 5 MiB.
			const size = 12<<20 + 7
			want := refOf(t, &pattern{n: size})
			info, err := b.s.Put(ctx, &pattern{n: size}, 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			if info.Ref != want || info.Size != size {
				t.Fatalf("put = %+v, want %s", info, want)
			}
			rc, got, err := b.s.Open(ctx, info.Ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Size != size || refOf(t, rc) != want {
				t.Fatalf("read back %+v", got)
			}
			rc.Close()
			if st, err := b.s.Stat(ctx, info.Ref); err != nil || st.Size != size {
				t.Fatalf("stat = %+v, %v", st, err)
			}
			// The same content again: the same blob, stored once.
			again, err := b.s.Put(ctx, &pattern{n: size}, 0)
			if err != nil || again != info {
				t.Fatalf("second put = %+v, %v", again, err)
			}
			if left := b.leftovers(t); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
			if err := b.s.Delete(ctx, info.Ref); err != nil {
				t.Fatal(err)
			}
			if _, _, err := b.s.Open(ctx, info.Ref); !errors.Is(err, ErrNotFound) {
				t.Fatalf("open after delete: %v", err)
			}
			if _, err := b.s.Stat(ctx, info.Ref); !errors.Is(err, ErrNotFound) {
				t.Fatalf("stat after delete: %v", err)
			}
			if err := b.s.Delete(ctx, info.Ref); err != nil {
				t.Fatalf("deleting a missing blob: %v", err)
			}
		})
	}
}

func TestSizeLimitIsEnforcedWhileStreaming(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			const limit = 6 << 20
			src := &pattern{n: 1 << 40} // a terabyte: reading it all would never end
			_, err := b.s.Put(ctx, src, limit)
			var tl *TooLargeError
			if !errors.Is(err, ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != limit {
				t.Fatalf("err = %v", err)
			}
			if src.off > limit+(1<<20) {
				t.Fatalf("read %d bytes past a %d limit", src.off, limit)
			}
			if left := b.leftovers(t); len(left) != 0 {
				t.Fatalf("an oversized upload left %v", left)
			}
			// Exactly the limit is fine.
			if _, err := b.s.Put(ctx, &pattern{n: limit}, limit); err != nil {
				t.Fatalf("put of exactly the limit: %v", err)
			}
		})
	}
}

func TestDamageIsDetectedOnRead(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			info, err := b.s.Put(ctx, strings.NewReader(`{"nodes":{}}`), 0)
			if err != nil {
				t.Fatal(err)
			}
			b.corrupt(t, info.Ref)
			rc, _, err := b.s.Open(ctx, info.Ref)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if _, err := io.ReadAll(rc); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("reading a damaged blob: %v", err)
			}
		})
	}
}

func TestConcurrentPutsOfOneArtifact(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			var wg sync.WaitGroup
			refs := make([]string, 6)
			for i := range refs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					info, err := b.s.Put(ctx, &pattern{n: 1 << 20}, 0)
					if err != nil {
						t.Error(err)
					}
					refs[i] = info.Ref
				}()
			}
			wg.Wait()
			for _, r := range refs[1:] {
				if r != refs[0] {
					t.Fatalf("refs differ: %v", refs)
				}
			}
			rc, _, err := b.s.Open(ctx, refs[0])
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if got := refOf(t, rc); got != refs[0] {
				t.Fatalf("content %s", got)
			}
		})
	}
}

// The directory backend streams: storing 64 MiB allocates a small fraction
// of it.
func TestDirPutDoesNotHoldTheArtifact(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := d.Put(context.Background(), &pattern{n: size}, 0); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
		t.Fatalf("storing %d bytes allocated %d", size, alloc)
	}
}

func TestDirCleanTempAndBadRefs(t *testing.T) {
	root := t.TempDir()
	d, _ := NewDir(root)
	os.WriteFile(filepath.Join(root, "tmp", "put-crashed"), []byte("half"), 0o600)
	if err := d.CleanTemp(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "tmp")); len(entries) != 0 {
		t.Fatalf("left: %v", entries)
	}
	for _, bad := range []string{"", "sha256:", "md5:abc", "sha256:" + strings.Repeat("g", 64), "sha256:" + strings.Repeat("A", 64),
		"sha256:../../../../etc/passwd" + strings.Repeat("a", 36)} {
		if _, _, err := d.Open(context.Background(), bad); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Put(ctx, &pattern{n: 1 << 20}, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled put: %v", err)
	}
}

func TestOpenFromSpec(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	env := func(k string) string {
		return map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret"}[k]
	}
	s, err := Open(ctx, "", dataDir, env)
	if _, ok := s.(*Dir); err != nil || !ok {
		t.Fatalf("default = %T, %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "artifacts", "sha256")); err != nil {
		t.Fatalf("default directory: %v", err)
	}
	f, _ := newFakeS3Server(t, httptest.NewServer)
	spec := "s3://artifacts/team/recce?endpoint=" + f.cfg.Endpoint + "&insecure=true&path_style=true&region=us-east-1"
	s, err = Open(ctx, spec, dataDir, env)
	if err != nil {
		t.Fatal(err)
	}
	if s3, ok := s.(*S3); !ok || s3.prefix != "team/recce/" || s3.bucket != "artifacts" {
		t.Fatalf("store = %+v", s)
	}
	if _, err := s.Stat(ctx, "sha256:"+strings.Repeat("0", 64)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stat of a missing blob through the spec's store: %v", err)
	}
	cfg, _ := ParseS3Spec("s3://bucket")
	if cfg.Endpoint != "s3.amazonaws.com" || cfg.Insecure || cfg.Prefix != "" {
		t.Fatalf("defaults = %+v", cfg)
	}
	for _, bad := range []string{
		"s3://AKIA:hunter22@artifacts/x",
		"s3:///nobucket",
		"s3://artifacts?insecure=maybe",
		"gs://bucket",
		"s3://missing-bucket?endpoint=" + f.cfg.Endpoint + "&insecure=true&path_style=true",
	} {
		_, err := Open(ctx, bad, dataDir, env)
		if err == nil || strings.Contains(err.Error(), "hunter22") || strings.Contains(err.Error(), "test-secret") {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
}
