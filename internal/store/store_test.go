package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := OpenSQLite(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestMigrationsAreVersionedAndRerunnable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != migrations[len(migrations)-1].version {
			t.Fatalf("version = %d, %v", v, err)
		}
		s.Close()
		s2 := b.open(t)
		var n int
		if err := s2.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
			t.Fatalf("schema_migrations rows = %d, %v", n, err)
		}
	})
}

func TestSQLiteFileIsPrivateAndInWALMode(t *testing.T) {
	s, dir := open(t)
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	if st, err := os.Stat(filepath.Join(dir, FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode: %v %v", st.Mode().Perm(), err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		if _, err := s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err := b.tryOpen()
		if err == nil || !strings.Contains(err.Error(), "upgrade recce") {
			t.Fatalf("err = %v", err)
		}
	})
}

// fileBytes is the database and its WAL, as someone copying the folder would get them.
func fileBytes(t *testing.T, s *Store) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{s.Path(), s.Path() + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func conn(sealed []byte) Connection {
	return Connection{
		GitLabURL: "https://gitlab.example.com", Project: "data/analytics", ProjectID: 42, ProjectPath: "data/analytics",
		TokenSealed: sealed, TokenName: "Recce Integration", TokenExpiresAt: "2027-01-31", UserID: 7, Username: "recce-bot",
		Mode: "full", CheckJSON: `{"ok":true}`, CheckedAt: time.Now(),
	}
}

func TestConnectionReplacedAndDeletedLeavesNoCopy(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		ctx := context.Background()
		if _, err := s.Connection(ctx); !errors.Is(err, ErrNotConnected) {
			t.Fatalf("empty store: %v", err)
		}
		// Random bytes stand in for a sealed token: easy to find in the file if
		// any copy is left.
		first := make([]byte, 64)
		second := make([]byte, 64)
		rand.Read(first)
		rand.Read(second)
		if err := s.SaveConnection(ctx, conn(first)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Connection(ctx)
		if err != nil || !bytes.Equal(got.TokenSealed, first) || got.ProjectID != 42 || got.Mode != "full" {
			t.Fatalf("Connection = %+v, %v", got, err)
		}
		if b.name == "sqlite" && !bytes.Contains(fileBytes(t, s), first) {
			t.Fatal("the test cannot see the stored value in the file: it would prove nothing")
		}
		if err := s.SaveConnection(ctx, conn(second)); err != nil {
			t.Fatal(err)
		}
		if b.name == "sqlite" && bytes.Contains(fileBytes(t, s), first) {
			t.Fatal("the replaced token is still in the database files")
		}
		ok, err := s.DeleteConnection(ctx)
		if err != nil || !ok {
			t.Fatalf("DeleteConnection = %v, %v", ok, err)
		}
		if b.name == "sqlite" && bytes.Contains(fileBytes(t, s), second) {
			t.Fatal("the deleted token is still in the database files")
		}
		if _, err := s.Connection(ctx); !errors.Is(err, ErrNotConnected) {
			t.Fatalf("after delete: %v", err)
		}
		if ok, _ := s.DeleteConnection(ctx); ok {
			t.Fatal("second delete reported a connection")
		}
	})
}

func TestUpsertMergeRequestsTellsActivityFromOwnNotes(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		mr := MergeRequest{ProjectID: 42, IID: 1, Title: "Add orders", State: "opened", SourceBranch: "f", TargetBranch: "main", SHA: "aaa", Author: "ana", WebURL: "u", UpdatedAt: t0}
		res, err := s.UpsertMergeRequests(ctx, []MergeRequest{mr})
		if err != nil || len(res.New) != 1 {
			t.Fatalf("first upsert: %+v %v", res, err)
		}
		if err := s.RecordSummaryNote(ctx, 42, 1, 555, "h1", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// Our note moved updated_at and nothing else.
		mr.UpdatedAt = t0.Add(time.Minute)
		res, _ = s.UpsertMergeRequests(ctx, []MergeRequest{mr})
		if len(res.Changed) != 0 || res.Unchanged != 1 {
			t.Fatalf("note-only update counted as activity: %+v", res)
		}
		got, _ := s.MergeRequest(ctx, 42, 1)
		if !got.LastActivityAt.Equal(t0) || !got.UpdatedAt.Equal(t0.Add(time.Minute)) || got.SummaryNoteID != 555 || got.SummaryBodyHash != "h1" {
			t.Fatalf("stored = %+v", got)
		}
		// A new commit is activity; the summary fields survive the upsert.
		mr.SHA, mr.UpdatedAt = "bbb", t0.Add(2*time.Minute)
		res, _ = s.UpsertMergeRequests(ctx, []MergeRequest{mr})
		if len(res.Changed) != 1 {
			t.Fatalf("new commit not counted: %+v", res)
		}
		got, _ = s.MergeRequest(ctx, 42, 1)
		if got.SHA != "bbb" || !got.LastActivityAt.Equal(t0.Add(2*time.Minute)) || got.SummaryNoteID != 555 {
			t.Fatalf("stored = %+v", got)
		}
		// A late, older event does not go backwards.
		old := mr
		old.SHA, old.UpdatedAt = "aaa", t0
		res, _ = s.UpsertMergeRequests(ctx, []MergeRequest{old})
		got, _ = s.MergeRequest(ctx, 42, 1)
		if got.SHA != "bbb" || len(res.Changed) != 0 {
			t.Fatalf("an older event overwrote a newer one: %+v %+v", got, res)
		}

		closed := MergeRequest{ProjectID: 42, IID: 2, Title: "x", State: "closed", UpdatedAt: t0}
		s.UpsertMergeRequests(ctx, []MergeRequest{closed})
		list, _ := s.MergeRequests(ctx, 42, "opened")
		if len(list) != 1 || list[0].IID != 1 {
			t.Fatalf("opened = %+v", list)
		}
		list, _ = s.MergeRequests(ctx, 42, "all")
		if len(list) != 2 || list[0].IID != 1 {
			t.Fatalf("all = %+v (want most recently active first)", list)
		}
		if _, err := s.MergeRequest(ctx, 42, 99); !errors.Is(err, ErrMergeRequestNotTracked) {
			t.Fatalf("missing MR: %v", err)
		}
	})
}

func TestWebhookDeliveriesAreDedupedAcrossConcurrentReceivers(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		fresh := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.RecordWebhookDelivery(ctx, "delivery-1", "Merge Request Hook", time.Now())
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if fresh != 1 {
			t.Fatalf("%d receivers took the same delivery, want 1", fresh)
		}
		if ok, _ := s.RecordWebhookDelivery(ctx, "delivery-2", "Merge Request Hook", time.Now().Add(-48*time.Hour)); !ok {
			t.Fatal("a new key was taken for a duplicate")
		}
		n, err := s.PruneWebhookDeliveries(ctx, time.Now().Add(-24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
	})
}

func TestSyncCursor(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, ok, err := s.SyncCursor(ctx, 42); ok || err != nil {
			t.Fatalf("cursor before first sync: %v %v", ok, err)
		}
		c := SyncCursor{UpdatedAfter: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), LastFullSyncAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := s.SaveSyncCursor(ctx, 42, c); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.SyncCursor(ctx, 42)
		if !ok || err != nil || !got.UpdatedAfter.Equal(c.UpdatedAfter) || !got.LastFullSyncAt.Equal(c.LastFullSyncAt) {
			t.Fatalf("cursor = %+v %v %v", got, ok, err)
		}
	})
}

func TestPostgresDialectRendering(t *testing.T) {
	q := postgresDialect.rebind(`SELECT a FROM t WHERE x = ? AND y = ?`)
	if q != `SELECT a FROM t WHERE x = $1 AND y = $2` {
		t.Fatalf("rebind = %q", q)
	}
	if sqliteDialect.rebind(`x = ?`) != `x = ?` {
		t.Fatal("sqlite rebind changed the query")
	}
	for _, m := range migrations {
		for _, stmt := range m.up {
			ddl := postgresDialect.ddl(stmt)
			if strings.Contains(ddl, "{{") || strings.Contains(ddl, "BLOB") {
				t.Fatalf("migration %d not rendered for postgres: %s", m.version, ddl)
			}
		}
	}
}

func TestDefaultDataDir(t *testing.T) {
	env := func(k string) string {
		if k == "XDG_DATA_HOME" {
			return "/xdg"
		}
		return ""
	}
	d, err := DefaultDataDir(env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d, "recce") {
		t.Fatalf("data dir %q", d)
	}
}
