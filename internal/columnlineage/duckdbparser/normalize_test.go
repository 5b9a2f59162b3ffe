package duckdbparser

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ dialect, in, want string }{
		{"snowflake", `select value:a, header :b :c :: string, v:"Key".x[0], $1:y from t`,
			`select value['a'], header['b']['c'] :: string, v['Key']['x'][0], $1['y'] from t`},
		{"snowflake", `select x::array, cast(y as object) from t minus select 1, 2`,
			`select x::"ARRAY", cast(y as "OBJECT") from t EXCEPT select 1, 2`},
		{"snowflake", `select a from t, table(flatten(input => t.x)) f`,
			`select a from t,   flatten(input => t.x)  f`},
		{"snowflake", `select 'it\'s', 'a:b' from t -- x:y`,
			`select 'it''s', 'a:b' from t -- x:y`},
		{"snowflake", `select listagg(v, ',') within group (order by p) from t`,
			`select listagg(v, ','       order by p) from t`},
		{"snowflake", `select percentile_cont(0.5) within group (order by p) from t`,
			`select percentile_cont(0.5) within group (order by p) from t`},
		{"snowflake", `select a from db..t sample (10) where b ilike any ('x%', 'y%') and c rlike '^z'`,
			`select a from db."PUBLIC".t TABLESAMPLE BERNOULLI (10) where b ilike list_value ('x%', 'y%') and c SIMILAR TO '^z'`},
		{"postgres", `select a from t where b like all (array['x%'])`, `select a from t where b like list_value (array['x%'])`},
		{"postgres", `select a from t where b like 'any' union all select all c from u`, `select a from t where b like 'any' union all select all c from u`},
		{"bigquery", `select timestamp('2020-01-01'), date(a) from t`, `select "timestamp"('2020-01-01'), "date"(a) from t`},
		{"bigquery", "select `a b`, * except (c), safe_cast(d as int64) from `p.d.t` where e = \"x'y\" and f = r'\\d' # c",
			`select "a b", * EXCLUDE (c), TRY_CAST(d as int64) from "p"."d"."t" where e = 'x''y' and f = '\d' -- c`},
		{"databricks", "select `a.b` from `db`.`t`", `select "a.b" from "db"."t"`},
		{"postgres", `select a::text, $$x:y$$ from t`, `select a::text, $$x:y$$ from t`},
		{"postgres", `select listagg(v, ',') WITHIN group (order by p) from t`, `select listagg(v, ','       order by p) from t`},
		{"postgres", `select 'within' as "within" from t`, `select 'within' as "within" from t`},
		{"duckdb", `select {'a': 1}, l[1:2] from t`, `select {'a': 1}, l[1:2] from t`},
	} {
		if got := normalize(tc.dialect, tc.in); got.sql != tc.want || got.alone {
			t.Errorf("%s: normalize(%s)\n got %s (alone %v)\nwant %s", tc.dialect, tc.in, got.sql, got.alone, tc.want)
		}
	}
}

// A statement is parsed alone when joining it with others could change
// them: a semicolon, or a string or comment left open.
func TestNormalizeAlone(t *testing.T) {
	for _, in := range []string{"select 1; select 2", "select 1 /* open", "select 'open", `select "open`, "select $$open"} {
		if !normalize("duckdb", in).alone {
			t.Errorf("%q is not parsed alone", in)
		}
	}
}
