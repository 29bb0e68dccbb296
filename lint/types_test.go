package lint

import (
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

func typeFromSQL(t *testing.T, sql string) Type {
	t.Helper()
	r, err := pg.Parse("CREATE TABLE x (c " + sql + ")")
	if err != nil {
		t.Fatalf("parse %q: %v", sql, err)
	}
	cd := r.Stmts[0].Stmt.GetCreateStmt().TableElts[0].GetColumnDef()
	return TypeOf(cd.TypeName)
}

func TestTypeOf(t *testing.T) {
	tests := map[string]string{
		"int": "integer", "integer": "integer", "int4": "integer", "bigint": "bigint", "serial": "serial",
		"bigserial": "bigserial", "varchar(50)": "varchar(50)", "character varying(5)": "varchar(5)",
		"varchar": "varchar", "text": "text", "char": "char(1)", "char(3)": "char(3)",
		"numeric(10,2)": "numeric(10,2)", "decimal": "numeric", "timestamp": "timestamp",
		"timestamp with time zone": "timestamptz", "timestamptz(3)": "timestamptz(3)", "boolean": "boolean",
		"text[]": "text[]", "double precision": "double precision", "public.mood": "public.mood", "uuid": "uuid",
	}
	for sql, want := range tests {
		if got := typeFromSQL(t, sql).String(); got != want {
			t.Errorf("TypeOf(%s) = %s; want %s", sql, got, want)
		}
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		from, to string
		pg       int
		want     Conversion
	}{
		{"varchar(50)", "varchar(100)", 15, ConvSafe},
		{"varchar(100)", "varchar(50)", 15, ConvRewrite},
		{"varchar(50)", "text", 15, ConvSafe},
		{"varchar(50)", "varchar", 15, ConvSafe},
		{"text", "varchar", 15, ConvSafe},
		{"text", "varchar(20)", 15, ConvRewrite},
		{"int", "bigint", 15, ConvRewrite},
		{"int", "int", 15, ConvSafe},
		{"numeric(10,2)", "numeric(12,2)", 15, ConvSafe},
		{"numeric(10,2)", "numeric(12,3)", 15, ConvRewrite},
		{"numeric(10,2)", "numeric", 15, ConvSafe},
		{"numeric", "numeric(10,2)", 15, ConvRewrite},
		{"timestamp(3)", "timestamp(6)", 15, ConvSafe},
		{"timestamp", "timestamptz", 15, ConvTimeZone},
		{"timestamp", "timestamptz", 11, ConvRewrite},
		{"cidr", "inet", 15, ConvSafe},
		{"char(3)", "text", 15, ConvRewrite},
		{"text", "text[]", 15, ConvRewrite},
		{"json", "jsonb", 15, ConvRewrite},
	}
	for _, tt := range tests {
		if got := Convert(typeFromSQL(t, tt.from), typeFromSQL(t, tt.to), tt.pg); got != tt.want {
			t.Errorf("Convert(%s -> %s, pg%d) = %d; want %d", tt.from, tt.to, tt.pg, got, tt.want)
		}
	}
}
