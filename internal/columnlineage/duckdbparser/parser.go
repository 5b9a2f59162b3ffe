// Package duckdbparser parses SQL with the embedded DuckDB's own parser:
// json_serialize_sql returns the statement's tree as JSON, read here into
// columnlineage's tree. Statements of other warehouses are normalised
// first where DuckDB reads them differently (see normalize.go).
//
// The DuckDB instance is private, in memory, and only parses: external
// access is disabled and the configuration locked, so that no statement
// can read or write anything. Its connections are pooled and reused.
package duckdbparser

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

// MaxSQLBytes bounds one statement: compiled SQL is untrusted, and a huge
// statement is not a model anyone reviews column by column.
const MaxSQLBytes = 4 << 20

// Options tune a Parser.
type Options struct {
	// Workers is the number of statements parsed at once (DuckDB
	// connections); 0 means the number of CPUs, at most 4.
	Workers int
	// Batch is the number of statements sent to DuckDB in one call;
	// 0 means 32. Batching halves the cost of small statements.
	Batch int
}

// Parser parses with a private in-memory DuckDB, opened on first use.
// Safe for concurrent use; Close it when done.
type Parser struct {
	opts Options

	once    sync.Once
	openErr error
	db      *sql.DB
	pool    chan *conn
	closed  bool
	mu      sync.Mutex
}

type conn struct {
	c    *sql.Conn
	stmt *sql.Stmt
	strs interner // used by one goroutine at a time, as the connection
}

var _ cl.Parser = (*Parser)(nil)

// New returns a parser.
func New(opts Options) *Parser {
	if opts.Workers <= 0 {
		opts.Workers = min(runtime.NumCPU(), 4)
	}
	if opts.Batch <= 0 {
		opts.Batch = 32
	}
	return &Parser{opts: opts}
}

// serializeSQL asks for the tree without null and empty members: a third
// smaller, and the decoder reads absent members as empty.
const serializeSQL = "select json_serialize_sql(?::varchar, skip_null := true, skip_empty := true)::varchar"

// Open starts the DuckDB instance now rather than on the first Parse: a
// caller can start it while it reads the artifacts. Calling it again does
// nothing.
func (p *Parser) Open(ctx context.Context) error { return p.open(ctx) }

func (p *Parser) open(ctx context.Context) error {
	p.once.Do(func() {
		connector, err := duckdb.NewConnector("", nil)
		if err != nil {
			p.openErr = fmt.Errorf("open DuckDB for parsing: %w", err)
			return
		}
		db := sql.OpenDB(connector)
		db.SetMaxOpenConns(p.opts.Workers)
		db.SetMaxIdleConns(p.opts.Workers)
		pool := make(chan *conn, p.opts.Workers)
		fail := func(err error) {
			for len(pool) > 0 {
				c := <-pool
				c.stmt.Close()
				c.c.Close()
			}
			db.Close()
			p.openErr = fmt.Errorf("open DuckDB for parsing: %w", err)
		}
		for i := range p.opts.Workers {
			c, err := db.Conn(ctx)
			if err != nil {
				fail(err)
				return
			}
			if i == 0 {
				// Instance-wide settings, then locked: the instance can
				// only parse.
				for _, q := range []string{
					"SET enable_external_access = false",
					"SET autoinstall_known_extensions = false",
					"SET autoload_known_extensions = false",
					"SET threads = 1",
					"SET memory_limit = '256MB'",
					"SET lock_configuration = true",
				} {
					if _, err := c.ExecContext(ctx, q); err != nil {
						c.Close()
						fail(fmt.Errorf("%s: %w", q, err))
						return
					}
				}
			}
			stmt, err := c.PrepareContext(ctx, serializeSQL)
			if err != nil {
				c.Close()
				fail(err)
				return
			}
			pool <- &conn{c: c, stmt: stmt, strs: interner{}}
		}
		p.db, p.pool = db, pool
	})
	return p.openErr
}

// Close releases the DuckDB instance.
func (p *Parser) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db == nil || p.closed {
		return nil
	}
	p.closed = true
	for range p.opts.Workers {
		c := <-p.pool
		c.stmt.Close()
		c.c.Close()
	}
	return p.db.Close()
}

// errClosed is returned after Close.
var errClosed = errors.New("the SQL parser is closed")

// Parse parses sqls (see columnlineage.Parser), Workers at a time, in
// batches.
func (p *Parser) Parse(ctx context.Context, dialect string, sqls []string, each func(int, *cl.Query, error)) error {
	if err := p.open(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return errClosed
	}
	dialect = strings.ToLower(dialect)

	// Batches of consecutive statements; one that must be parsed alone
	// gets its own.
	type job []int
	jobs := make(chan job)
	var batches []job
	var cur job
	for i, s := range sqls {
		if len(s) > MaxSQLBytes {
			each(i, nil, fmt.Errorf("the statement is %d MB, more than the %d MB followed", len(s)>>20, MaxSQLBytes>>20))
			continue
		}
		cur = append(cur, i)
		if len(cur) == p.opts.Batch {
			batches = append(batches, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}

	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	workers := min(p.opts.Workers, len(batches))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := <-p.pool
			defer func() { p.pool <- c }()
			for b := range jobs {
				if err := p.parseBatch(ctx, c, dialect, sqls, b, each); err != nil {
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
send:
	for _, b := range batches {
		select {
		case jobs <- b:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// parseBatch parses a batch in one call, joined by semicolons; when that
// fails (a statement does not parse) or does not give one tree per
// statement, each is parsed alone.
func (p *Parser) parseBatch(ctx context.Context, c *conn, dialect string, sqls []string, b []int, each func(int, *cl.Query, error)) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	norm := make([]normalized, len(b))
	alone := false
	for k, i := range b {
		norm[k] = normalize(dialect, sqls[i])
		alone = alone || norm[k].alone
	}
	if len(b) > 1 && !alone {
		var sb strings.Builder
		for k, n := range norm {
			if k > 0 {
				sb.WriteString("\n;\n")
			}
			sb.WriteString(n.sql)
		}
		res, err := p.serialize(ctx, c, sb.String())
		if err != nil {
			return err
		}
		if res.err == "" && len(res.statements) == len(b) {
			for k, i := range b {
				each(i, res.statements[k], nil)
			}
			return nil
		}
	}
	for k, i := range b {
		res, err := p.serialize(ctx, c, norm[k].sql)
		switch {
		case err != nil:
			return err
		case res.err != "":
			each(i, nil, errors.New(res.err))
		case len(res.statements) != 1:
			each(i, nil, fmt.Errorf("%d statements, where a model has one", len(res.statements)))
		default:
			each(i, res.statements[0], nil)
		}
	}
	return nil
}

// serialize calls json_serialize_sql. A statement the decoder cannot read
// is reported as not parsed, not as a failure of the parser.
func (p *Parser) serialize(ctx context.Context, c *conn, text string) (*result, error) {
	var out string
	if err := c.stmt.QueryRowContext(ctx, text).Scan(&out); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// json_serialize_sql answers errors as JSON; an error here is one
		// of DuckDB's own (such as the memory limit): not the statement's.
		return &result{err: "DuckDB could not parse it: " + err.Error()}, nil
	}
	res, err := decodeResult([]byte(out), c.strs)
	if err != nil {
		return &result{err: "unsupported syntax tree: " + err.Error()}, nil
	}
	return res, nil
}
