package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// The data: generated inside DuckDB from range() and hash(), never random(),
// so that the same options give the same rows, and tens of millions of rows
// take seconds. Then each environment's models are built by running their
// compiled SQL in dependency order, as `dbt run` would: base into schema
// prod, current into schema dev, both reading the same raw schema.

// Planted order statuses and coupons. bucket(id) = id*7919 mod 1000 is a
// bijection on every block of 1,000 consecutive ids (7919 is prime to
// 1000), so a bucket range of width w holds exactly w rows per 1,000 and the
// diff's counts are known in advance (see PlantedDiff).
const (
	bucketExpr = "(range * 7919) % 1000"

	bucketsPerBlock = 1_000

	bucketPending = 0 // status pending_payment: base drops these rows, current keeps them (added)
	bucketFraud   = 1 // status fraud_suspected: current drops them (removed)
	// [2, 7): status return_pending: current gives them a shipped_date (from null)
	bucketReturnLo, bucketReturnHi = 2, 7
	// [527, 542): coupon LEGACY5: current voids the discount (to null) and so changes the amount
	bucketLegacyLo, bucketLegacyHi = 527, 542
)

// PlantedDiff is what a value diff of orders (by order_id) between base and
// current must find, computed from the planted buckets.
type PlantedDiff struct {
	Base, Current int64 // rows of orders in each environment
	Total         int64 // union of keys
	Added         int64 // only in current
	Removed       int64 // only in base
	Modified      int64 // in both, some column differs
	Unchanged     int64
	// Mismatched rows per column among rows in both; other columns match.
	Mismatched map[string]int64
}

// countBuckets counts the ids in [1, n] whose bucket is in [lo, hi).
func countBuckets(n int64, lo, hi int64) int64 {
	full := n / bucketsPerBlock * (hi - lo)
	for id := n/bucketsPerBlock*bucketsPerBlock + 1; id <= n; id++ {
		if b := id * 7919 % 1000; b >= lo && b < hi {
			full++
		}
	}
	return full
}

func plantedDiff(rows int64) PlantedDiff {
	pending := countBuckets(rows, bucketPending, bucketPending+1)
	fraud := countBuckets(rows, bucketFraud, bucketFraud+1)
	returns := countBuckets(rows, bucketReturnLo, bucketReturnHi)
	legacy := countBuckets(rows, bucketLegacyLo, bucketLegacyHi)
	d := PlantedDiff{
		Base: rows - pending, Current: rows - fraud, Total: rows,
		Added: pending, Removed: fraud, Modified: returns + legacy,
		Mismatched: map[string]int64{
			"order_id": 0, "customer_id": 0, "order_date": 0, "status": 0, "item_count": 0,
			"amount": legacy, "discount": legacy, "shipped_date": returns,
		},
	}
	d.Unchanged = rows - pending - fraud - d.Modified
	return d
}

// sizes of the raw tables for a given number of orders.
type sizes struct{ orders, customers, products, payments int64 }

func sizesFor(orders int64) sizes {
	return sizes{
		orders:    orders,
		customers: max(100, orders/10),
		products:  min(5000, max(50, orders/1000)),
		payments:  orders + orders/10, // every order paid once, one in ten twice
	}
}

func sqlList(xs ...string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// pickFrom is a SQL expression choosing an element of list by hash of the
// row id and a salt (a different salt gives an independent choice).
func pickFrom(salt string, list ...string) string {
	return fmt.Sprintf("%s[1 + (hash(range, '%s') %% %d)::bigint]", sqlList(list...), salt, len(list))
}

// rawStatement creates one raw table.
type rawStatement struct{ table, sql string }

func rawTablesSQL(sz sizes) []rawStatement {
	countryCodes := make([]string, len(countries))
	for i, c := range countries {
		countryCodes[i] = c[0]
	}
	return []rawStatement{
		{"", `create schema if not exists ` + rawSchema},
		{"customers", fmt.Sprintf(`create or replace table %s.customers as
select id, first_name, last_name,
    lower(first_name || '.' || last_name || id::varchar) || '@example.com' as email,
    country_code, created_at
from (
    select
        range as id,
        %s as first_name,
        %s as last_name,
        %s as country_code,
        timestamp '2022-01-01' + to_seconds((hash(range, 'created') %% 63072000)::bigint) as created_at
    from range(1, %d)
)`, rawSchema,
			pickFrom("first", "Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kai", "Lena", "Mia", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Xavi", "Yara", "Zoe"),
			pickFrom("last", "Smith", "Garcia", "Müller", "Tanaka", "Silva", "Martin", "Nguyen", "Kowalski", "Rossi", "Dubois", "Patel", "Johnson", "Santos", "Kim", "Novak", "Olsen"),
			pickFrom("country", countryCodes...), sz.customers+1)},
		{"products", fmt.Sprintf(`create or replace table %s.products as
select
    range as id,
    %s || ' ' || %s as name,
    %s as category,
    (100 + hash(range, 'price') %% 9900)::bigint as price_cents
from range(1, %d)`, rawSchema,
			pickFrom("adjective", "Classic", "Organic", "Deluxe", "Compact", "Smart", "Vintage", "Eco", "Premium"),
			pickFrom("noun", "Kettle", "Backpack", "Lamp", "Notebook", "Headphones", "Mug", "Jacket", "Blender", "Chair", "Sneakers"),
			pickFrom("category", "Home", "Outdoor", "Office", "Electronics", "Apparel", "Kitchen"), sz.products+1)},
		{"orders", fmt.Sprintf(`create or replace table %s.orders as
select
    id, user_id, product_id, quantity, order_date, status, coupon_code,
    case when status in ('shipped', 'completed', 'return_pending', 'returned')
        then order_date::timestamp + to_days((1 + hash(id, 'ship') %% 5)::integer) + to_seconds((hash(id, 'ship_s') %% 86400)::bigint)
    end as shipped_at
from (
    select
        range as id,
        1 + (hash(range, 'customer') %% %d)::bigint as user_id,
        1 + (hash(range, 'product') %% %d)::bigint as product_id,
        (1 + hash(range, 'quantity') %% 4)::integer as quantity,
        date '2024-01-01' + (hash(range, 'date') %% 730)::integer as order_date,
        case
            when bucket = %d then 'pending_payment'
            when bucket = %d then 'fraud_suspected'
            when bucket < %d then 'return_pending'
            when bucket < 27 then 'returned'
            when bucket < 227 then 'placed'
            when bucket < 527 then 'shipped'
            else 'completed'
        end as status,
        case
            when bucket >= %d and bucket < %d then 'LEGACY5'
            when hash(range, 'coupon') %% 100 < 6 then 'WELCOME10'
            when hash(range, 'coupon') %% 100 < 9 then 'SPRING20'
        end as coupon_code
    from (select range, %s as bucket from range(1, %d))
)`, rawSchema, sz.customers, sz.products, bucketPending, bucketFraud, bucketReturnHi, bucketLegacyLo, bucketLegacyHi, bucketExpr, sz.orders+1)},
		{"payments", fmt.Sprintf(`create or replace table %s.payments as
select
    range as id,
    case when range <= %d then range else 1 + (hash(range, 'order') %% %d)::bigint end as order_id,
    %s as payment_method,
    (500 + hash(range, 'amount') %% 49500)::bigint as amount_cents
from range(1, %d)`, rawSchema, sz.orders, max(1, sz.orders),
			pickFrom("method", "credit_card", "credit_card", "credit_card", "bank_transfer", "gift_card", "coupon"), sz.payments+1)},
	}
}

func synthSourceSQL(s *source) string {
	return fmt.Sprintf(`create or replace table %s.%s as
select
    range as id,
    1 + (hash(range, '%[2]s', 'account') %% 500)::bigint as account_id,
    timestamp '2023-01-01' + to_seconds((hash(range, '%[2]s', 'ts') %% 63072000)::bigint) as event_ts,
    %[3]s as category,
    (hash(range, '%[2]s', 'quantity') %% 10)::integer as quantity,
    (hash(range, '%[2]s', 'amount') %% 100000)::bigint as amount_cents,
    (hash(range, '%[2]s', 'score') %% 10000)::double / 10000 as score,
    hash(range, '%[2]s', 'active') %% 10 <> 0 as is_active,
    timestamp '2024-06-01' + to_seconds((hash(range, '%[2]s', 'updated') %% 31536000)::bigint) as updated_at,
    'note ' || range::varchar as note
from range(1, %[4]d)`, rawSchema, s.name, pickFrom(s.name, "Retail", "Wholesale", "Partner", "Internal", "unknown"), synthRows+1)
}

// openDuckDB opens the database for writing through the DuckDB adapter,
// which keeps clear of DuckDB's process-wide instance cache (see
// duckdb.Open).
func openDuckDB(ctx context.Context, path string) (*sql.DB, error) {
	w, err := duckdb.Open(ctx, path, duckdb.Options{ReadWrite: true})
	if err != nil {
		return nil, err
	}
	return w.DB(), nil
}

// progressFunc reports how far a stage has got; see Options.Progress.
type progressFunc func(stage string, done, total int)

// buildDatabase creates the DuckDB database at path: the raw tables, then
// each environment's seeds and models.
func buildDatabase(ctx context.Context, path string, sz sizes, envs []*project, progress progressFunc) error {
	db, err := openDuckDB(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection: DuckDB parallelises each statement itself, and a single
	// connection keeps the build's order obvious.
	db.SetMaxOpenConns(1)

	stmts := rawTablesSQL(sz)
	for _, s := range envs[0].sources {
		if s.sourceName != "shop" {
			stmts = append(stmts, rawStatement{s.name, synthSourceSQL(s)})
		}
	}
	for i, st := range stmts {
		progress("generating raw data", i, len(stmts))
		if _, err := db.ExecContext(ctx, st.sql); err != nil {
			return fmt.Errorf("generate raw table %s.%s: %w", rawSchema, st.table, err)
		}
	}
	progress("generating raw data", len(stmts), len(stmts))

	for _, p := range envs {
		if err := buildEnv(ctx, db, p, progress); err != nil {
			return fmt.Errorf("build the %s environment (schema %s): %w", p.env.name, p.env.schema, err)
		}
	}
	if _, err := db.ExecContext(ctx, "checkpoint"); err != nil {
		return fmt.Errorf("checkpoint DuckDB database %s: %w", path, err)
	}
	return nil
}

func buildEnv(ctx context.Context, db *sql.DB, p *project, progress progressFunc) error {
	order, err := p.buildOrder()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "create schema if not exists "+p.env.schema); err != nil {
		return err
	}
	for _, s := range p.seeds {
		if err := loadSeed(ctx, db, p.env, s); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, "begin transaction"); err != nil {
		return err
	}
	defer db.ExecContext(context.Background(), "rollback")
	c := newCompiler(p)
	stage := "building " + p.env.name + " models"
	for i, m := range order {
		if i%50 == 0 {
			progress(stage, i, len(order))
		}
		q, _ := c.compiled(m)
		rel := relation(p.env.schema, m.name)
		switch m.materialized {
		case "ephemeral":
			continue // inlined into its children
		case "view":
			q = "create view " + rel + " as (\n" + q + "\n)"
		default: // table, and incremental on its first run
			q = "create table " + rel + " as (\n" + q + "\n)"
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("model %s: %w", m.name, err)
		}
	}
	progress(stage, len(order), len(order))
	_, err = db.ExecContext(ctx, "commit")
	return err
}

func loadSeed(ctx context.Context, db *sql.DB, e env, s *seed) error {
	defs := make([]string, len(s.columns))
	for i, c := range s.columns {
		defs[i] = fmt.Sprintf("%q %s", c.name, c.typ)
	}
	rel := relation(e.schema, s.name)
	if _, err := db.ExecContext(ctx, "create table "+rel+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return fmt.Errorf("seed %s: %w", s.name, err)
	}
	marks := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(s.columns)), ", ") + ")"
	for _, r := range s.rows {
		args := make([]any, len(r))
		for i, v := range r {
			args[i] = v
		}
		if _, err := db.ExecContext(ctx, "insert into "+rel+" values "+marks, args...); err != nil {
			return fmt.Errorf("seed %s: %w", s.name, err)
		}
	}
	return nil
}
