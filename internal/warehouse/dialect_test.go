package warehouse

import "testing"

func TestBaseDialectQuoting(t *testing.T) {
	d := BaseDialect{Type: "ansi"}
	cases := map[string]string{
		`customers`:             `"customers"`,
		`my "odd" select model`: `"my ""odd"" select model"`,
		`""`:                    `""""""`,
	}
	for in, want := range cases {
		if got := d.QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
	if got := d.QuoteString(`it's`); got != `'it''s'` {
		t.Errorf("QuoteString: %s", got)
	}
	if got := d.Relation("", `s"x`, "t"); got != `"s""x"."t"` {
		t.Errorf("Relation: %s", got)
	}
}

func TestKinds(t *testing.T) {
	d := BaseDialect{}
	cases := map[string]Kind{
		"BIGINT": KindInteger, "int4": KindInteger, "DECIMAL(18,2)": KindNumber, "numeric": KindNumber,
		"double precision": KindNumber, "VARCHAR": KindText, "character varying(20)": KindText, "bpchar": KindText,
		"DATE": KindDate, "TIMESTAMP WITH TIME ZONE": KindDatetime, "timestamptz": KindDatetime, "BOOLEAN": KindBoolean,
		"INTERVAL": KindTimedelta, "json": KindUnknown, "INTEGER[]": KindUnknown, "STRUCT(a INTEGER)": KindUnknown, "": KindUnknown,
	}
	for in, want := range cases {
		if got := d.Kind(in); got != want {
			t.Errorf("Kind(%q) = %s, want %s", in, got, want)
		}
	}
}

// relation_name comes from manifests, which anyone who runs a pipeline
// writes: only identifiers pass, quoted again.
func TestSafeRelation(t *testing.T) {
	d := BaseDialect{}
	ok := map[string]string{
		`"db"."schema"."orders"`:           `"db"."schema"."orders"`,
		`schema.orders`:                    `schema.orders`,
		`ORDERS`:                           `ORDERS`,
		`"s"."my ""odd"" select model"`:    `"s"."my ""odd"" select model"`,
		`"a.b"."c;d"`:                      `"a.b"."c;d"`,
		`"x y"`:                            `"x y"`,
		`analytics.dbt_$user.t_1`:          `analytics.dbt_$user.t_1`,
		`"Straße"."größe"`:                 `"Straße"."größe"`,
		`"with -- comment"."and /* more"`:  `"with -- comment"."and /* more"`,
		`"select 1) q; drop table t; --"`:  `"select 1) q; drop table t; --"`,
		`"db"."s"."t"`:                     `"db"."s"."t"`,
		`db."s".t`:                         `db."s".t`,
		`"quote "" at the end """`:         `"quote "" at the end """`,
		`"""leading"`:                      `"""leading"`,
		`s."t"`:                            `s."t"`,
		`a.b.c`:                            `a.b.c`,
		`_private`:                         `_private`,
		`"1starts_with_digit_but_quoted"`:  `"1starts_with_digit_but_quoted"`,
		`"db"."schema"."orders_2024_q1"`:   `"db"."schema"."orders_2024_q1"`,
		`"db"."schema"."orders""quoted"""`: `"db"."schema"."orders""quoted"""`,
	}
	for in, want := range ok {
		got, err := SafeRelation(d, in)
		if err != nil || got != want {
			t.Errorf("SafeRelation(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{
		``, `.`, `a.`, `.a`, `a..b`, `a.b.c.d`, `""`, `"unterminated`, `"a"b`, `"a" "b"`,
		`(select 1) x`, `read_text('/etc/passwd')`, `t where 1 = 0`, `t; drop table t`, `t --`, `t/**/`,
		`"t" as x`, `t, u`, `1t`, `a.1b`, `t)`, `"a".b c`, " t", "t ", "t\n", "s.\"t\"\x00",
		`read_csv('jaffle-shop-data/raw_orders.csv', header=true)`,
	} {
		if got, err := SafeRelation(d, in); err == nil {
			t.Errorf("SafeRelation(%q) = %s, want an error", in, got)
		}
	}
}
