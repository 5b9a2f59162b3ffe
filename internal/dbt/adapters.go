package dbt

// adapterPackages are the macro packages each adapter ships: its own and
// those of the adapters it builds on (an adapter plugin's dependencies,
// whose macros dbt loads with it). dbt-databricks and dbt-glue build on
// dbt-spark, dbt-redshift on dbt-postgres, dbt-sqlserver and dbt-synapse
// on dbt-fabric (dbt-synapse on dbt-sqlserver before that). dbt's own
// macros (the global project, shipped by dbt-core and, from dbt 1.8, by
// dbt-adapters) are in the package "dbt".
var adapterPackages = map[string][]string{
	"athena":      {"dbt_athena"},
	"bigquery":    {"dbt_bigquery"},
	"clickhouse":  {"dbt_clickhouse"},
	"databricks":  {"dbt_databricks", "dbt_spark"},
	"duckdb":      {"dbt_duckdb"},
	"fabric":      {"dbt_fabric"},
	"glue":        {"dbt_glue", "dbt_spark"},
	"materialize": {"dbt_materialize"},
	"postgres":    {"dbt_postgres"},
	"redshift":    {"dbt_redshift", "dbt_postgres"},
	"snowflake":   {"dbt_snowflake"},
	"spark":       {"dbt_spark"},
	"sqlserver":   {"dbt_sqlserver", "dbt_fabric"},
	"synapse":     {"dbt_synapse", "dbt_sqlserver", "dbt_fabric"},
	"trino":       {"dbt_trino"},
}

// InternalMacroPackages names the macro packages that come with dbt and
// the given adapter rather than with the project: dbt's own ("dbt") and
// the adapter's, dependencies included. An adapter not in the table is
// taken to ship one package, dbt_<adapter type>, the convention every
// adapter above follows for its own.
func InternalMacroPackages(adapterType string) []string {
	out := []string{"dbt"}
	if adapterType == "" {
		return out
	}
	if pkgs, ok := adapterPackages[adapterType]; ok {
		return append(out, pkgs...)
	}
	return append(out, "dbt_"+adapterType)
}
