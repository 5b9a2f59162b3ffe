package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A backend opens Store values on one fresh database per test: calling
// open twice gives two Stores on the same database, as two server
// instances (or two recce processes) would have.
type backend struct {
	name    string
	tryOpen func() (*Store, error)
}

func (b backend) open(t *testing.T) *Store {
	t.Helper()
	s, err := b.tryOpen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachBackend runs fn as a subtest against SQLite and against a real
// PostgreSQL (skipped, loudly, where none can start; CI installs one).
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, backend{name: "sqlite", tryOpen: func() (*Store, error) { return OpenSQLite(context.Background(), dir) }})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		fn(t, backend{name: "postgres", tryOpen: func() (*Store, error) { return OpenPostgres(context.Background(), url) }})
	})
}

// eachStore is forEachBackend for tests that need one Store.
func eachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	forEachBackend(t, func(t *testing.T, b backend) { fn(t, b.open(t)) })
}

// clock is a settable time shared by the Stores of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(s ...*Store) *clock {
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	for _, st := range s {
		st.now = c.Now
	}
	return c
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
