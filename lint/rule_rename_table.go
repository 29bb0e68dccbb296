package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleRenameTable = &Rule{
	ID:       "rename-table",
	Severity: Error,
	Summary:  "RENAME of a table or view breaks the release that still uses the old name",
	Doc: `Renaming a table (or a view) is instant, under ACCESS EXCLUSIVE, but the old release, still
serving traffic while the deploy rolls out, names the old table and fails from the moment the
rename commits, while a release that names the new table fails until it has. The usual way through
is to rename and, in the same transaction, create a view under the old name: a view over one table
is automatically updatable, so the old release's SELECT, INSERT, UPDATE and DELETE keep working
through it; the view is dropped in the contract phase of a later release ("lockstep plan
rename-table old new" writes those files). Tables created by the same file or by an unreleased one
have no readers and may be renamed freely.`,
	Check: func(p *Pass) {
		rs := p.Node().GetRenameStmt()
		if rs == nil || rs.Relation == nil {
			return
		}
		kind := ""
		switch rs.RenameType {
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_FOREIGN_TABLE:
			kind = "table"
		case pg.ObjectType_OBJECT_VIEW:
			kind = "view"
		case pg.ObjectType_OBJECT_MATVIEW:
			kind = "materialized view"
		default:
			return
		}
		q := QualifiedName(rs.Relation)
		if _, isIndex := p.Catalog.indexes[q]; isIndex {
			return // ALTER TABLE idx RENAME TO ...: rename-index-or-constraint's business
		}
		if !p.ExistingNamed(q) {
			return
		}
		old, nw := Name(rs.Relation), qualify(schemaOf(rs.Relation), rs.Newname)
		alter := map[string]string{"table": "TABLE", "view": "VIEW", "materialized view": "MATERIALIZED VIEW"}[kind]
		through := "(a view over one table is updatable: its SELECT, INSERT, UPDATE and DELETE go through)"
		if kind != "table" {
			through = "(a view over the " + kind + " reads the same rows)"
		}
		fix := fmt.Sprintf(`-- lockstep plan rename-table %[1]s %[2]s writes these files:
-- expand (this release), in one transaction: rename, and keep the old name working for the old release
-- %[5]s
ALTER %[4]s %[1]s RENAME TO %[3]s;
CREATE VIEW %[1]s AS SELECT * FROM %[2]s;
-- contract (a later release, once none before this one runs):
DROP VIEW %[1]s;`, old, DisplayName(nw), rs.Newname, alter, through)
		p.Report(Finding{
			Message: fmt.Sprintf("renaming %s %s to %s breaks the old release, which still queries %s while the deploy runs, and no code can work with both names",
				kind, old, rs.Newname, old),
			Lock:   Lock{Mode: AccessExclusive, Relation: q},
			Breaks: BreaksBoth,
			Fix:    fix,
		})
	},
}
