package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Type is a column type as the catalog models it: a canonical name (the
// internal PostgreSQL name for built-in types: int4, int8, varchar, bpchar,
// numeric, timestamptz, ...), its modifiers and whether it is an array.
type Type struct {
	Name   string
	Mods   []int
	Array  bool
	Serial bool // declared as serial, bigserial or smallserial
}

var typeAliases = map[string]string{
	"int": "int4", "integer": "int4", "int4": "int4", "serial": "int4", "serial4": "int4",
	"bigint": "int8", "int8": "int8", "bigserial": "int8", "serial8": "int8",
	"smallint": "int2", "int2": "int2", "smallserial": "int2", "serial2": "int2",
	"character varying": "varchar", "varchar": "varchar",
	// char(n) and character(n) arrive as pg_catalog.bpchar; a bare "char"
	// is PostgreSQL's internal one-byte type, not char(1).
	"character": "bpchar", "bpchar": "bpchar",
	"decimal": "numeric", "numeric": "numeric",
	"boolean": "bool", "bool": "bool",
	"float": "float8", "double precision": "float8", "float8": "float8", "real": "float4", "float4": "float4",
	"timestamp without time zone": "timestamp", "timestamp": "timestamp",
	"timestamp with time zone": "timestamptz", "timestamptz": "timestamptz",
	"time without time zone": "time", "time": "time", "time with time zone": "timetz", "timetz": "timetz",
	"bit varying": "varbit", "varbit": "varbit",
}

var serialTypes = map[string]bool{"serial": true, "serial4": true, "bigserial": true, "serial8": true, "smallserial": true, "serial2": true}

var sqlNames = map[string]string{
	"int4": "integer", "int8": "bigint", "int2": "smallint", "bpchar": "char", "char": `"char"`, "bool": "boolean",
	"float8": "double precision", "float4": "real",
}

// TypeOf converts a parsed type name.
func TypeOf(tn *pg.TypeName) Type {
	if tn == nil {
		return Type{}
	}
	var parts []string
	for _, n := range tn.Names {
		if s := n.GetString_(); s != nil {
			parts = append(parts, s.Sval)
		}
	}
	if len(parts) > 1 && parts[0] == "pg_catalog" {
		parts = parts[1:]
	}
	name := strings.Join(parts, ".")
	t := Type{Name: name, Array: len(tn.ArrayBounds) > 0, Serial: serialTypes[name]}
	if c, ok := typeAliases[name]; ok {
		t.Name = c
	}
	for _, m := range tn.Typmods {
		if ac := m.GetAConst(); ac != nil {
			if iv := ac.GetIval(); iv != nil {
				t.Mods = append(t.Mods, int(iv.Ival))
				continue
			}
		}
		t.Mods = append(t.Mods, -1)
	}
	// char without a length is char(1).
	if t.Name == "bpchar" && len(t.Mods) == 0 {
		t.Mods = []int{1}
	}
	return t
}

// String spells the type as SQL.
func (t Type) String() string {
	n := t.Name
	if s, ok := sqlNames[n]; ok {
		n = s
	}
	if t.Serial {
		switch t.Name {
		case "int4":
			n = "serial"
		case "int8":
			n = "bigserial"
		case "int2":
			n = "smallserial"
		}
	}
	if len(t.Mods) > 0 {
		ms := make([]string, len(t.Mods))
		for i, m := range t.Mods {
			ms[i] = fmt.Sprint(m)
		}
		n += "(" + strings.Join(ms, ",") + ")"
	}
	if t.Array {
		n += "[]"
	}
	return n
}

// Equal reports whether two types are the same.
func (t Type) Equal(u Type) bool {
	if t.Name != u.Name || t.Array != u.Array || len(t.Mods) != len(u.Mods) {
		return false
	}
	for i := range t.Mods {
		if t.Mods[i] != u.Mods[i] {
			return false
		}
	}
	return true
}

// Conversion is what ALTER COLUMN ... TYPE costs going from one type to another.
type Conversion int

const (
	// ConvRewrite copies the table and rebuilds its indexes.
	ConvRewrite Conversion = iota
	// ConvSafe changes only the catalog: binary-coercible with no new
	// constraint on the data (a widening).
	ConvSafe
	// ConvIndexRebuild keeps the table but rebuilds the indexes on the column.
	ConvIndexRebuild
	// ConvTimeZone is timestamp -> timestamptz: catalog-only from PostgreSQL 12
	// when the session's TimeZone is UTC, a rewrite otherwise.
	ConvTimeZone
)

// Convert classifies the change of a column from type from to type to.
// pgVersion matters for timestamp -> timestamptz.
func Convert(from, to Type, pgVersion int) Conversion {
	if from.Array != to.Array {
		return ConvRewrite
	}
	if from.Equal(to) {
		return ConvSafe
	}
	unbounded := len(to.Mods) == 0
	switch {
	case from.Name == to.Name:
		switch from.Name {
		case "varchar", "varbit":
			if unbounded || (len(from.Mods) == 1 && len(to.Mods) == 1 && to.Mods[0] >= from.Mods[0]) {
				return ConvSafe
			}
		case "numeric":
			// numeric(p,s) -> numeric(p2>=p, s) or unconstrained numeric.
			if unbounded {
				return ConvSafe
			}
			if len(from.Mods) > 0 {
				fs, ts := 0, 0
				if len(from.Mods) > 1 {
					fs = from.Mods[1]
				}
				if len(to.Mods) > 1 {
					ts = to.Mods[1]
				}
				if fs == ts && to.Mods[0] >= from.Mods[0] {
					return ConvSafe
				}
			}
		case "timestamp", "timestamptz", "time", "timetz":
			if unbounded || (len(from.Mods) == 1 && len(to.Mods) == 1 && to.Mods[0] >= from.Mods[0]) {
				return ConvSafe
			}
		}
		return ConvRewrite
	case from.Name == "varchar" && to.Name == "text":
		return ConvSafe
	case from.Name == "text" && to.Name == "varchar" && unbounded:
		return ConvSafe
	case from.Name == "cidr" && to.Name == "inet":
		return ConvSafe
	case from.Name == "timestamp" && to.Name == "timestamptz" && len(to.Mods) == 0 && len(from.Mods) == 0:
		if pgVersion >= 12 {
			return ConvTimeZone
		}
	}
	return ConvRewrite
}
