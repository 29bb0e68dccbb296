package lint

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

// Volatility of an expression, as pg_proc.provolatile would say.
type Volatility int

const (
	Immutable Volatility = iota
	Stable
	Volatile
	// UnknownVolatility is a call of a function lockstep does not know.
	UnknownVolatility
)

// volatileFuncs are built-in functions marked VOLATILE in pg_proc that
// migrations use as defaults (uuid_generate_* and gen_random_bytes,
// gen_salt come from the uuid-ossp and pgcrypto extensions).
var volatileFuncs = map[string]bool{
	"random": true, "clock_timestamp": true, "timeofday": true, "gen_random_uuid": true, "uuid_generate_v1": true,
	"uuid_generate_v1mc": true, "uuid_generate_v4": true, "nextval": true, "setval": true, "gen_random_bytes": true,
	"random_normal": true, "uuidv7": true, "uuidv4": true, "gen_salt": true, "currval": true, "lastval": true,
}

// stableFuncs are built-in STABLE functions (fine as defaults from PG 11:
// ADD COLUMN evaluates them once). Functions with both immutable and stable
// overloads are listed here.
var stableFuncs = map[string]bool{
	"now": true, "statement_timestamp": true, "transaction_timestamp": true, "current_setting": true,
	"to_char": true, "to_timestamp": true, "age": true, "current_database": true, "current_schema": true,
	"pg_backend_pid": true, "localtimestamp": true, "localtime": true, "txid_current": true,
	"txid_current_if_assigned": true, "pg_current_xact_id": true, "timezone": true, "date_trunc": true,
	"date_part": true, "extract": true, "jsonb_build_object": true, "json_build_object": true,
	"jsonb_build_array": true, "json_build_array": true, "to_jsonb": true, "to_json": true, "row_to_json": true,
	"format": true, "concat": true, "concat_ws": true, "array_to_string": true, "make_timestamptz": true,
	"to_tsvector": true, "to_date": true, "to_number": true, "inet_client_addr": true, "version": true,
	"pg_postmaster_start_time": true, "date": true, "length": true,
}

// immutableFuncs are common built-in IMMUTABLE functions.
var immutableFuncs = map[string]bool{
	"lower": true, "upper": true, "coalesce": true, "nullif": true, "greatest": true, "least": true,
	"abs": true, "round": true, "trim": true, "btrim": true, "ltrim": true, "rtrim": true,
	"md5": true, "make_date": true, "make_interval": true, "substring": true, "substr": true,
	"replace": true, "left": true, "right": true, "array_length": true, "int4": true, "int8": true, "text": true,
	"encode": true, "decode": true, "sha256": true, "pi": true, "floor": true, "ceil": true, "sqrt": true,
	"power": true, "mod": true, "split_part": true, "array_fill": true, "repeat": true, "translate": true,
	"regexp_replace": true, "initcap": true, "char_length": true, "justify_interval": true, "isfinite": true,
	"jsonb_set": true, "array_append": true, "array_cat": true, "array_remove": true, "cardinality": true,
}

// ExprVolatility classifies an expression. Functions the catalog created
// (CREATE FUNCTION ... IMMUTABLE) are looked up there.
func ExprVolatility(e *pg.Node, cat *Catalog) (v Volatility, culprit string) {
	pgtree.Walk(e, func(n *pg.Node) bool {
		switch {
		case n.GetFuncCall() != nil:
			fc := n.GetFuncCall()
			name := funcName(fc)
			fv := funcVolatility(name, qualifiedFuncName(fc.Funcname), cat)
			if fv > v {
				v, culprit = fv, name+"()"
			}
		case n.GetSqlvalueFunction() != nil:
			// CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_USER, ...: stable.
			if Stable > v {
				v = Stable
			}
		case n.GetSubLink() != nil:
			v, culprit = Volatile, "a subquery"
			return false
		}
		return true
	})
	return v, culprit
}

func funcVolatility(name, qualified string, cat *Catalog) Volatility {
	if cat != nil {
		if f := cat.Function(qualified); f != nil {
			switch f.Volatility {
			case "immutable":
				return Immutable
			case "stable":
				return Stable
			}
			return Volatile
		}
	}
	switch {
	case volatileFuncs[name]:
		return Volatile
	case stableFuncs[name]:
		return Stable
	case immutableFuncs[name]:
		return Immutable
	}
	return UnknownVolatility
}
