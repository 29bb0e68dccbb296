package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleRefreshMatviewNonConcurrent = &Rule{
	ID:       "refresh-matview-non-concurrent",
	Severity: Error,
	Summary:  "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view for the whole refresh",
	Doc: `A plain REFRESH MATERIALIZED VIEW takes ACCESS EXCLUSIVE on the view and holds it while the whole
query reruns: every read of the view waits. REFRESH ... CONCURRENTLY takes EXCLUSIVE instead,
which lets reads through, and swaps in the differences. It needs a unique index on the view that
covers every row (plain columns, no WHERE clause) and a view that is already populated; it can run
in a transaction block. lockstep knows from the replayed history whether such an index exists; if
not, the fix creates one first (CONCURRENTLY, in a file of its own). WITH NO DATA empties the view
at once and leaves it unreadable until the next refresh. Views created by the same file or an
unreleased one have no readers and are not flagged.`,
	Check: func(p *Pass) {
		rm := p.Node().GetRefreshMatViewStmt()
		if rm == nil || rm.Concurrent || !p.Existing(rm.Relation) {
			return
		}
		view := Name(rm.Relation)
		f := Finding{
			Lock:   Lock{Mode: AccessExclusive, Relation: QualifiedName(rm.Relation)},
			Cost:   Scan,
			Breaks: BreaksAvailability,
		}
		if rm.SkipData {
			f.Message = fmt.Sprintf("REFRESH MATERIALIZED VIEW %s WITH NO DATA empties it: every read fails (\"has not been populated\") until the next refresh", view)
			f.Cost, f.Breaks = Instant, BreaksBoth
			f.Fix = fmt.Sprintf("-- refresh it with data instead, without blocking reads:\nREFRESH MATERIALIZED VIEW CONCURRENTLY %s;", rvSQL(rm.Relation))
			p.Report(f)
			return
		}
		concurrent := p.Rewrite(func(n *pg.Node) { n.GetRefreshMatViewStmt().Concurrent = true })
		f.Message = fmt.Sprintf("REFRESH MATERIALIZED VIEW %s without CONCURRENTLY holds ACCESS EXCLUSIVE on it while the query reruns: every read of the view waits", view)
		_, known := p.Catalog.ViewOrigin(QualifiedName(rm.Relation))
		switch {
		case matviewUniqueIndex(p.Catalog, QualifiedName(rm.Relation)) != nil:
			ix := matviewUniqueIndex(p.Catalog, QualifiedName(rm.Relation))
			f.Fix = fmt.Sprintf("-- EXCLUSIVE: reads go on (uses the unique index %s)\n%s", ix.Name, concurrent)
			if p.OnlyStatement() {
				f.Suggestion = concurrent
			}
		case known:
			f.Message += fmt.Sprintf("; CONCURRENTLY needs a unique index on %s, which the history does not create", view)
			f.Fix = aloneNote(p) + fmt.Sprintf("-- a unique index over columns that identify every row of the view, e.g.\nCREATE UNIQUE INDEX CONCURRENTLY %s ON %s (id);\n",
				identSQL(rm.Relation.Relname+"_key"), rvSQL(rm.Relation)) + laterFileNote + concurrent
		default:
			f.Fix = "-- EXCLUSIVE: reads go on; needs a unique index on the view covering every row (plain columns, no WHERE)\n" + concurrent
			if p.OnlyStatement() {
				f.Suggestion = concurrent
			}
		}
		p.Report(f)
	},
}

// matviewUniqueIndex returns a unique index REFRESH ... CONCURRENTLY can use.
func matviewUniqueIndex(c *Catalog, view string) *Index {
	for _, ix := range c.IndexesOn(view) {
		if ix.Unique && !ix.Partial && !ix.Expression {
			return ix
		}
	}
	return nil
}
