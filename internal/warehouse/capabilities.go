package warehouse

import "context"

// What some warehouses can do beyond running SQL, each an optional
// interface that an adapter implements when its engine can answer cheaply
// and exactly. Callers ask through the functions below, which look
// through the sandbox (Guarded) to the adapter, and fall back to SQL
// when the adapter cannot answer.

// TableStats is implemented by adapters whose warehouse keeps exact row
// counts of tables in its metadata (Snowflake's and BigQuery's table
// metadata; never views): a row count that costs no scan.
type TableStats interface {
	// ExactRowCount returns the row count the warehouse keeps for a
	// table. ok is false when the relation is not a table, or its count
	// is not known exactly: the caller then counts with a query.
	ExactRowCount(ctx context.Context, database, schema, name string) (n int64, ok bool, err error)
}

// Estimator is implemented by adapters that can tell, before running a
// query, how many bytes it would scan (BigQuery's dry run; table sizes
// from metadata elsewhere), so that a budget can refuse it.
type Estimator interface {
	// EstimateBytes returns the bytes the query would scan. ok is false
	// when the warehouse cannot tell.
	EstimateBytes(ctx context.Context, sql string) (n int64, ok bool, err error)
}

// adapter returns the warehouse under the sandbox, if any.
func adapter(w Warehouse) Warehouse {
	if g, ok := w.(*Guarded); ok {
		return g.w
	}
	return w
}

// StatsOf returns the adapter's TableStats, if it has them.
func StatsOf(w Warehouse) (TableStats, bool) {
	s, ok := adapter(w).(TableStats)
	return s, ok
}

// EstimatorOf returns the adapter's Estimator, if it has one.
func EstimatorOf(w Warehouse) (Estimator, bool) {
	e, ok := adapter(w).(Estimator)
	return e, ok
}
