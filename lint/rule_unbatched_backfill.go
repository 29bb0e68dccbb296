package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleUnbatchedBackfill = &Rule{
	ID:       "unbatched-backfill",
	Severity: Error,
	Summary:  "UPDATE or DELETE over a table in use without a bounded key range changes every matching row in one transaction",
	Doc: `One UPDATE (or DELETE) over a large table keeps a row lock on every row it changed until it
commits, so application writes to those rows wait; it writes a burst of WAL that replicas lag
behind, and it cannot be resumed if it fails. In golang-migrate's default mode it also shares the
file's transaction, keeping any ACCESS EXCLUSIVE lock taken earlier in the file for its whole run.
A loop in a DO block that updates row by row is no better: it is still one transaction.
Run backfills in small batches over a key range, each in its own transaction: give the file a
"-- lockstep:batch key=id size=5000" header and lockstep migrate backfill does the batching,
checkpointing and throttling; a statement bounded on both sides of a key range
(id BETWEEN a AND b, id >= a AND id < b, id = x, id IN (...)) is not flagged. Tables created
by the same file or by an unreleased one have no traffic and are not flagged.`,
	Check: func(p *Pass) {
		var rel *pg.RangeVar
		var where *pg.Node
		var what string
		switch n := p.Node(); {
		case n.GetUpdateStmt() != nil:
			rel, where, what = n.GetUpdateStmt().Relation, n.GetUpdateStmt().WhereClause, "UPDATE"
		case n.GetDeleteStmt() != nil:
			rel, where, what = n.GetDeleteStmt().Relation, n.GetDeleteStmt().WhereClause, "DELETE"
		default:
			return
		}
		if !p.Existing(rel) {
			return
		}
		if _, ok := p.File.Directive(DirBatch); ok {
			return // lockstep migrate runs it in batches
		}
		table := Name(rel)
		var msg string
		switch {
		case p.Stmt.InLoop:
			msg = fmt.Sprintf("%s of %s in a loop of %s: every iteration runs in one transaction, so the row locks and WAL of the whole backfill pile up until it commits", what, table, p.Stmt.Context)
		case boundedKeyRange(where):
			return
		case where == nil:
			msg = fmt.Sprintf("%s of every row of %s in one transaction: the row locks are held until it commits and it writes the whole table's WAL at once", what, table)
		default:
			msg = fmt.Sprintf("%s of %s without a bounded key range changes every matching row in one transaction: their row locks are held until it commits", what, table)
		}
		p.Report(Finding{
			Message: msg,
			Lock:    Lock{Mode: RowExclusive, Relation: QualifiedName(rel)},
			Cost:    Scan,
			Breaks:  BreaksAvailability,
			Fix:     "-- lockstep:phase backfill\n-- lockstep:batch key=id size=5000\n" + strings.TrimSpace(p.Stmt.Text()) + ";\n-- in a file of its own; lockstep migrate backfill runs it in batches of key ranges, one short transaction each",
		})
	},
}

// boundedKeyRange reports whether a WHERE clause (one of its AND-ed terms)
// bounds one column on both sides, or to given values.
func boundedKeyRange(where *pg.Node) bool {
	if where == nil {
		return false
	}
	lower, upper := map[string]bool{}, map[string]bool{}
	var terms []*pg.Node
	var collect func(n *pg.Node)
	collect = func(n *pg.Node) {
		if be := n.GetBoolExpr(); be != nil && be.Boolop == pg.BoolExprType_AND_EXPR {
			for _, a := range be.Args {
				collect(a)
			}
			return
		}
		terms = append(terms, n)
	}
	collect(where)
	for _, t := range terms {
		ae := t.GetAExpr()
		if ae == nil {
			continue
		}
		col := simpleColumn(ae.Lexpr)
		if col == "" {
			continue
		}
		switch ae.Kind {
		case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_BETWEEN_SYM:
			return true
		case pg.A_Expr_Kind_AEXPR_IN:
			return true
		case pg.A_Expr_Kind_AEXPR_OP:
			if len(ae.Name) != 1 {
				continue
			}
			switch strVal(ae.Name[0]) {
			case "=":
				if ae.Rexpr.GetSubLink() == nil {
					return true
				}
			case ">", ">=":
				lower[col] = true
			case "<", "<=":
				upper[col] = true
			}
		}
		if sl := ae.Rexpr.GetSubLink(); sl != nil && hasLimit(sl.Subselect) {
			return true
		}
	}
	for _, t := range terms {
		if sl := t.GetSubLink(); sl != nil && hasLimit(sl.Subselect) {
			return true
		}
	}
	for c := range lower {
		if upper[c] {
			return true
		}
	}
	return false
}

func simpleColumn(n *pg.Node) string {
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
		return strVal(cr.Fields[len(cr.Fields)-1])
	}
	if tc := n.GetTypeCast(); tc != nil {
		return simpleColumn(tc.Arg)
	}
	return ""
}

func hasLimit(n *pg.Node) bool {
	sel := n.GetSelectStmt()
	return sel != nil && sel.LimitCount != nil
}
