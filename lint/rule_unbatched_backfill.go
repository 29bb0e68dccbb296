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
by the same file or by an unreleased one (CREATE TABLE, CREATE TABLE AS, SELECT INTO) are empty or
small and have no traffic: not flagged. A column just added to an existing table is different: no
release reads it yet, but the table holds all its rows, and the UPDATE writes a new version of each
one (while, in the same transaction, the ADD COLUMN's ACCESS EXCLUSIVE lock is held): still
flagged, saying so. When it sets a constant on every row, the fix is a DEFAULT on the ADD COLUMN,
which fills the existing rows from the catalog without writing them.`,
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
		fix := "-- lockstep:phase backfill\n-- lockstep:batch key=id size=5000\n" + strings.TrimSpace(p.Stmt.Text()) + ";\n-- in a file of its own; lockstep migrate backfill runs it in batches of key ranges, one short transaction each"
		if us := p.Node().GetUpdateStmt(); us != nil && !p.Stmt.InLoop {
			if fresh := freshColumns(p, us); len(fresh) > 0 {
				// A column just added to a table in use: nobody reads it
				// yet, but the table has all its rows, and each one the
				// UPDATE sets is written anew.
				var added []string
				for _, c := range fresh {
					added = append(added, fmt.Sprintf("%s.%s was added %s", table, c.Name, addedWhere(p, c.Origin)))
				}
				msg = strings.Join(added, ", ") + ", but " + table + " already holds its rows: " + msg
				if alt, ok := constantBackfillFix(p, us, fresh); ok {
					msg += "; it sets a constant: a DEFAULT on the ADD COLUMN fills the existing rows without writing them"
					fix = alt
				}
			}
		}
		p.Report(Finding{
			Message: msg,
			Lock:    Lock{Mode: RowExclusive, Relation: QualifiedName(rel)},
			Cost:    Scan,
			Breaks:  BreaksAvailability,
			Fix:     fix,
		})
	},
}

// freshColumns returns the columns an UPDATE sets, when every one of them
// was added by this file or an unreleased one (nobody reads them yet) to
// the existing table it updates; nil otherwise.
func freshColumns(p *Pass, us *pg.UpdateStmt) []*Column {
	t := p.Catalog.Table(us.Relation)
	if t == nil {
		return nil
	}
	var out []*Column
	for _, tn := range us.TargetList {
		rt := tn.GetResTarget()
		if rt == nil {
			return nil
		}
		c := t.Column(rt.Name)
		if c == nil || p.HasReaders(c.Origin) {
			return nil
		}
		if !containsColumn(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func containsColumn(cs []*Column, c *Column) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// constantBackfillFix is the fix for an UPDATE that sets a constant on
// every row of columns just added: on PostgreSQL 11 and later a
// non-volatile DEFAULT on ADD COLUMN is stored once in the catalog and read
// for the existing rows, so no row is written; dropping the default right
// after keeps what later inserts get unchanged.
func constantBackfillFix(p *Pass, us *pg.UpdateStmt, cols []*Column) (string, bool) {
	if us.WhereClause != nil || len(us.FromClause) > 0 {
		return "", false
	}
	vals := map[string]string{}
	for _, tn := range us.TargetList {
		rt := tn.GetResTarget()
		if rt == nil || len(rt.Indirection) > 0 || !isConstant(rt.Val) {
			return "", false
		}
		vals[rt.Name] = deparseExpr(rt.Val)
	}
	var b strings.Builder
	b.WriteString("-- instead of the ADD COLUMN and this UPDATE (catalog-only: existing rows read the default, none is written):\n")
	var drops []string
	for _, c := range cols {
		if c.Default != nil || c.Identity || c.Generated || c.Type.Name == "" {
			return "", false
		}
		notNull := ""
		if c.NotNull {
			notNull = " NOT NULL"
		}
		fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN %s %s DEFAULT %s%s;\n", rvSQL(us.Relation), identSQL(c.Name), c.Type, vals[c.Name], notNull)
		if !c.NotNull {
			// The column had no default: new rows keep getting NULL.
			drops = append(drops, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;", rvSQL(us.Relation), identSQL(c.Name)))
		}
	}
	b.WriteString(strings.Join(drops, "\n"))
	return strings.TrimRight(b.String(), "\n"), true
}

// isConstant reports whether an expression is a literal (possibly cast).
func isConstant(n *pg.Node) bool {
	if tc := n.GetTypeCast(); tc != nil {
		return isConstant(tc.Arg)
	}
	ac := n.GetAConst()
	return ac != nil && !ac.Isnull
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
