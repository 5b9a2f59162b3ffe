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
