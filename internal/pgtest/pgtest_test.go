package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabaseIsARealServer(t *testing.T) {
	ctx := context.Background()
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("two tests share database %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "create table t (x int); insert into t values (1), (2)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "select sum(x) from t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("sum %d, %v", n, err)
	}
}

func TestStartAndStop(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	s.Stop()
	if _, err := pgx.Connect(ctx, s.URL); err == nil {
		t.Fatal("the server still answers after Stop")
	}
	s.Stop() // twice is fine
}
