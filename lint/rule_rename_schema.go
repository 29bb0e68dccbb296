package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleRenameSchema = &Rule{
	ID:       "rename-schema",
	Severity: Error,
	Summary:  "ALTER SCHEMA ... RENAME breaks every query of the old release that names the schema",
	Doc: `Renaming a schema renames, at once, the qualified name of every table, view, sequence, type and
function in it: every query of the old release that names the schema (or finds its objects
through search_path) fails from the moment the rename commits, and a release that uses the new
name fails until it has. Keep the old name working for the old release: rename, and in the same
transaction create the old schema again holding a view for each table (views over one table are
updatable), then drop that schema in the contract phase of a later release. A schema created by
the same file or by an unreleased one may be renamed freely.`,
	Check: func(p *Pass) {
		rs := p.Node().GetRenameStmt()
		if rs == nil || rs.RenameType != pg.ObjectType_OBJECT_SCHEMA {
			return
		}
		if o, ok := p.Catalog.SchemaOrigin(rs.Subname); ok && !p.HasReaders(o) {
			return
		}
		tables := tablesInSchema(p.Catalog, rs.Subname)
		var views strings.Builder
		for _, t := range tables {
			name := strings.TrimPrefix(t, rs.Subname+".")
			fmt.Fprintf(&views, "CREATE VIEW %s.%s AS SELECT * FROM %s.%s;\n", rs.Subname, name, rs.Newname, name)
		}
		if len(tables) == 0 {
			fmt.Fprintf(&views, "CREATE VIEW %s.<table> AS SELECT * FROM %s.<table>;  -- one per table the old release uses\n", rs.Subname, rs.Newname)
		}
		msg := fmt.Sprintf("renaming schema %s to %s breaks every query of the old release that names %s (or finds its objects through search_path) while the deploy runs",
			rs.Subname, rs.Newname, rs.Subname)
		if len(tables) > 0 {
			var short []string
			for _, t := range tables {
				short = append(short, DisplayName(t))
			}
			msg += "; it holds " + list(short)
		}
		p.Report(Finding{
			Message: msg,
			Breaks:  BreaksBoth,
			Fix: fmt.Sprintf(`-- expand (this release), in one transaction: rename, and keep the old names working for the old release
ALTER SCHEMA %[1]s RENAME TO %[2]s;
CREATE SCHEMA %[1]s;
%[3]s-- contract (a later release, once none before this one runs): drop the views and the old schema
DROP SCHEMA %[1]s CASCADE;`, rs.Subname, rs.Newname, views.String()),
		})
	},
}
