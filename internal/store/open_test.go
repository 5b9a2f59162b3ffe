package store

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/pgtest"
)

func TestOpenChoosesTheBackendByURL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, "")
	if err != nil || s.Backend() != "sqlite" || s.Path() == "" {
		t.Fatalf("empty URL: %v %v", s, err)
	}
	s.Close()
	for _, bad := range []string{"mysql://u:hunter22@h/db", "host=h password=hunter22", "sqlite:///tmp/x"} {
		if _, err := Open(ctx, dir, bad); err == nil || strings.Contains(err.Error(), "hunter22") {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
	url := pgtest.NewDatabase(t)
	for _, u := range []string{url, strings.Replace(url, "postgres://", "postgresql://", 1)} {
		s, err := Open(ctx, dir, u)
		if err != nil || s.Backend() != "postgres" || s.Path() != "" {
			t.Fatalf("Open(postgres) = %v, %v", s, err)
		}
		s.Close()
	}
}

func TestDatabasePasswordNeverInErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A port where nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	const pw = "S3cr3t-pa55word"
	for _, u := range []string{
		"postgres://recce:" + pw + "@127.0.0.1:" + port + "/recce?sslmode=disable&connect_timeout=2",
		"postgres://recce@127.0.0.1:" + port + "/recce?password=" + pw + "&sslmode=disable&connect_timeout=2",
		"postgres://recce:" + pw + "@127.0.0.1:" + port + "/recce?sslmode=bogus",
		"postgres://recce:" + pw + "@[::1/recce",
	} {
		_, err := Open(ctx, t.TempDir(), u)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", RedactURL(u))
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the password is in the error: %v", err)
		}
		if strings.Contains(u, "127.0.0.1") && !strings.Contains(err.Error(), "127.0.0.1:"+port) {
			t.Errorf("the error does not say which database: %v", err)
		}
	}
	if got := RedactURL("postgres://recce:" + pw + "@db.example.com:5432/recce?password=" + pw); got != "postgres://recce@db.example.com:5432/recce" {
		t.Errorf("RedactURL = %q", got)
	}
}

// Several instances starting at once on a fresh database migrate it once.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	stores := make([]*Store, 6)
	errs := make([]error, 6)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = OpenPostgres(ctx, url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n, distinct int
	if err := stores[0].db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || distinct != len(migrations) {
		t.Fatalf("schema_migrations has %d rows (%d versions), want %d", n, distinct, len(migrations))
	}
}
