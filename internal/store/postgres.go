package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres opens the PostgreSQL database at databaseURL
// (postgres://user:password@host:5432/database?sslmode=...) and brings its
// schema up to date. Several server instances may open the same database at
// once: the migrations run once, under an advisory lock (see migrate).
//
// The URL holds a password: no error returned here contains it, nor the
// URL as given; errors name the database with RedactURL.
func OpenPostgres(ctx context.Context, databaseURL string) (*Store, error) {
	where := RedactURL(databaseURL)
	password := urlPassword(databaseURL)
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors quote the input; say what is expected instead.
		return nil, fmt.Errorf("the PostgreSQL URL %s cannot be read: write it as postgres://user:password@host:5432/database?sslmode=require (percent-encode special characters in the password)", where)
	}
	db := stdlib.OpenDB(*cfg)
	// A server instance needs a handful of connections: requests, the job
	// workers, the migration lock. Keep them bounded so that several
	// instances stay well under max_connections (100 by default).
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := newStore(db, postgresDialect, "")
	fail := func(what string, err error) (*Store, error) {
		db.Close()
		return nil, fmt.Errorf("%s PostgreSQL database %s: %w", what, where, redactErr(err, password, databaseURL))
	}
	if err := db.PingContext(ctx); err != nil {
		return fail("connect to the", err)
	}
	if err := s.migrate(ctx); err != nil {
		return fail("migrate the", err)
	}
	return s, nil
}

// RedactURL is a database URL fit for messages and logs: scheme, user, host,
// port and database, never the password or the query string (which may hold
// one too, as password=...).
func RedactURL(databaseURL string) string {
	u, err := url.Parse(strings.TrimSpace(databaseURL))
	if err != nil || u.Host == "" {
		return "(unreadable URL)"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		r.User = url.User(u.User.Username())
	}
	return r.String()
}

func urlPassword(databaseURL string) string {
	u, err := url.Parse(strings.TrimSpace(databaseURL))
	if err != nil {
		return ""
	}
	if p, ok := u.User.Password(); ok {
		return p
	}
	return u.Query().Get("password")
}

// redactErr rebuilds err's text without the password and the raw URL. The
// driver's own messages name user, host and database but not the password;
// this is the second line of defence. Context errors stay recognisable with
// errors.Is.
func redactErr(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return &redactedError{msg: msg, cause: c}
		}
	}
	return &redactedError{msg: msg}
}

type redactedError struct {
	msg   string
	cause error // only a context error, never the driver's (unredacted) one
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }
