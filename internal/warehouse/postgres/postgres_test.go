package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/pgtest"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T) (*Warehouse, string) {
	t.Helper()
	u := pgtest.NewDatabase(t)
	w, err := OpenURL(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, u
}

func TestValuesAndErrors(t *testing.T) {
	w, u := open(t)
	ctx := context.Background()
	for _, s := range []string{
		`create table "a b" (id int, n numeric(10,2), big numeric, f real, d date, ts timestamptz, u uuid, j json, t text)`,
		`insert into "a b" values (1, 2.50, 12345678901234, 1.5, '2024-02-03', '2024-02-03 04:05:06+00', '00000000-0000-0000-0000-000000000001', '{"k": 1}', 'x')`,
		`create role nobody login`,
		`grant usage on schema public to nobody`,
	} {
		if _, err := w.Pool().Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	cols, rows, err := warehouse.QueryAll(ctx, w, `select * from "a b"`)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []warehouse.Kind{warehouse.KindInteger, warehouse.KindNumber, warehouse.KindNumber, warehouse.KindNumber,
		warehouse.KindDate, warehouse.KindDatetime, warehouse.KindText, warehouse.KindUnknown, warehouse.KindText}
	for i, c := range cols {
		if c.Kind != kinds[i] {
			t.Errorf("column %s (%s): kind %s, want %s", c.Name, c.Type, c.Kind, kinds[i])
		}
	}
	r := rows[0]
	if r[0] != int64(1) || r[1] != 2.5 || r[2] != int64(12345678901234) || r[3] != 1.5 || r[6] != "00000000-0000-0000-0000-000000000001" || r[8] != "x" {
		t.Errorf("values %#v", r)
	}
	if ts, ok := r[5].(time.Time); !ok || !ts.Equal(time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("timestamptz %#v", r[5])
	}

	_, err = w.Query(ctx, "select * from no_such_table")
	if !errors.Is(err, warehouse.ErrRelationNotFound) {
		t.Errorf("missing table: %v", err)
	}
	_, err = w.Query(ctx, "select * from no_such_schema.t")
	if !errors.Is(err, warehouse.ErrRelationNotFound) {
		t.Errorf("missing schema: %v", err)
	}
	pu, _ := url.Parse(u)
	pu.User = url.User("nobody")
	nobody, err := OpenURL(ctx, pu.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nobody.Close()
	_, err = nobody.Query(ctx, `select * from "a b"`)
	if !errors.Is(err, warehouse.ErrPermissionDenied) {
		t.Errorf("no privilege: %v", err)
	}
}

// TestCancelReachesTheServer checks that cancelling the context cancels
// the query on the server, not only the wait for it.
func TestCancelReachesTheServer(t *testing.T) {
	w, _ := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := warehouse.QueryAll(ctx, w, "select pg_sleep(60) /* recce-cancel-test */")
	if err == nil {
		t.Fatal("the query was not cancelled")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("cancelled after %v", d)
	}
	// The server must not be running it any more.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, rows, err := warehouse.QueryAll(context.Background(), w,
			"select count(*) from pg_stat_activity where query like '%recce-cancel-test%' and query not like '%pg_stat_activity%' and state = 'active'")
		if err != nil {
			t.Fatal(err)
		}
		if warehouse.Int64(rows[0][0]) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the query still runs on the server after the cancel")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOpenTargetNeverShowsThePassword(t *testing.T) {
	s := pgtest.Shared(t)
	ctx := context.Background()
	const secret = "pa55-w0rd-never-shown"
	if _, err := OpenURL(ctx, s.URL); err != nil {
		t.Fatal(err)
	}
	// A wrong database: the server answers with an error that must not
	// carry the password.
	tg := &dbt.Target{Type: "postgres", Host: "127.0.0.1", Port: s.Port, User: "postgres", Password: dbt.Secret(secret),
		Database: "no_such_db", SSLMode: "disable", ProfilesPath: "profiles.yml", Profile: "p", Name: "dev"}
	_, err := OpenTarget(ctx, tg)
	if err == nil {
		t.Fatal("connected to a missing database")
	}
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "no_such_db") {
		t.Errorf("error %q", err)
	}
	_, err = OpenTarget(ctx, &dbt.Target{Type: "postgres", ProfilesPath: "profiles.yml", Profile: "p", Name: "dev"})
	if err == nil || !strings.Contains(err.Error(), "lacks") || !strings.Contains(err.Error(), "host:") {
		t.Errorf("missing fields: %v", err)
	}
}
