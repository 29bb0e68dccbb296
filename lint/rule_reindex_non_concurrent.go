package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleReindexNonConcurrent = &Rule{
	ID:       "reindex-non-concurrent",
	Severity: Error,
	Summary:  "REINDEX without CONCURRENTLY blocks writes to the table and queries that use its indexes",
	Doc: `A plain REINDEX takes SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index while
it is rebuilt; the planner opens every index of a table it plans a query for, so in practice
reads of the table wait too, for the whole rebuild. REINDEX ... CONCURRENTLY (PostgreSQL 12 and
later, so every supported version) builds a new copy of each index under SHARE UPDATE EXCLUSIVE
and swaps it in. Like CREATE INDEX CONCURRENTLY it cannot run in a transaction block (under
golang-migrate: alone in its file), and a failed run leaves an invalid "_ccnew" index behind to
drop. REINDEX SYSTEM and system catalogs have no concurrent form. Indexes and tables created by
the same file or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		rs := p.Node().GetReindexStmt()
		if rs == nil || hasOption(rs.Params, "concurrently") {
			return
		}
		fix := p.Rewrite(func(n *pg.Node) {
			r := n.GetReindexStmt()
			r.Params = append(r.Params, pg.MakeSimpleDefElemNode("concurrently", nil, -1))
		})
		var what string
		lock := Lock{Mode: Share}
		switch rs.Kind {
		case pg.ReindexObjectType_REINDEX_OBJECT_INDEX:
			key := QualifiedName(rs.Relation)
			if !p.ExistingNamed(key) {
				return
			}
			table := "its table"
			lock.Relation = key
			if ix := p.Catalog.indexes[key]; ix != nil {
				if !p.ExistingNamed(ix.Table) {
					return
				}
				table, lock.Relation = DisplayName(ix.Table), ix.Table
			}
			what = fmt.Sprintf("REINDEX INDEX %s without CONCURRENTLY blocks writes to %s (SHARE) and every query planned against it (ACCESS EXCLUSIVE on the index) for the whole rebuild", Name(rs.Relation), table)
		case pg.ReindexObjectType_REINDEX_OBJECT_TABLE:
			if !p.Existing(rs.Relation) {
				return
			}
			lock.Relation = QualifiedName(rs.Relation)
			what = fmt.Sprintf("REINDEX TABLE %s without CONCURRENTLY blocks writes to it (SHARE) and every query planned against it (ACCESS EXCLUSIVE on each index) for the whole rebuild", Name(rs.Relation))
		case pg.ReindexObjectType_REINDEX_OBJECT_SCHEMA, pg.ReindexObjectType_REINDEX_OBJECT_DATABASE:
			kind := "SCHEMA"
			if rs.Kind == pg.ReindexObjectType_REINDEX_OBJECT_DATABASE {
				kind = "DATABASE"
			}
			if _, ok := p.Catalog.SchemaOrigin(rs.Name); ok && kind == "SCHEMA" {
				if o, _ := p.Catalog.SchemaOrigin(rs.Name); !p.HasReaders(o) {
					return
				}
			}
			what = fmt.Sprintf("REINDEX %s %s without CONCURRENTLY rebuilds every index in it, blocking writes to each table (SHARE) and the queries planned against it for that table's rebuild", kind, rs.Name)
		case pg.ReindexObjectType_REINDEX_OBJECT_SYSTEM:
			p.Report(Finding{
				Severity: Warning,
				Message:  "REINDEX SYSTEM rebuilds the system catalogs under locks every session needs, and has no CONCURRENTLY form: it does not belong in a migration",
				Lock:     Lock{Mode: AccessExclusive, Relation: "pg_catalog"}, Cost: Scan, Breaks: BreaksAvailability,
				Fix: "-- run it by hand in a maintenance window, not in a deploy:\n-- psql \"$DATABASE_URL\" -c 'REINDEX SYSTEM'",
			})
			return
		default:
			return
		}
		f := Finding{Message: what, Lock: lock, Cost: Scan, Breaks: BreaksAvailability, Fix: aloneNote(p) + fix}
		if p.OnlyStatement() {
			f.Suggestion = fix
		}
		p.Report(f)
	},
}
