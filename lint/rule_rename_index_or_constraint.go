package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleRenameIndexOrConstraint = &Rule{
	ID:       "rename-index-or-constraint",
	Severity: Warning,
	Summary:  "renaming an index or a constraint breaks code that names it",
	Doc: `Renaming an index (SHARE UPDATE EXCLUSIVE from PostgreSQL 12) or a constraint (ACCESS EXCLUSIVE,
briefly) changes nothing about the data, but code names them: INSERT ... ON CONFLICT ON CONSTRAINT
name fails once the constraint has another name, error handling that maps a violated constraint's
name to a message stops matching, and so do query hints, monitoring and later migrations that drop
or alter it by name. Renaming the index of a UNIQUE or PRIMARY KEY constraint renames the
constraint, and the other way round. The old release, still running while the deploy rolls out,
uses the old name. Prefer ON CONFLICT (columns), which does not depend on names, and rename in the
contract phase of the release after the one that stopped naming it. Indexes and constraints
created by the same file or by an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		rs := p.Node().GetRenameStmt()
		if rs == nil || rs.Relation == nil {
			return
		}
		contractFix := "-- release N: ship code that names neither (ON CONFLICT (columns) instead of ON CONFLICT ON CONSTRAINT)\n" +
			"-- release N+1, contract phase, once no release before N runs:\n-- lockstep:phase contract\n"
		switch rs.RenameType {
		case pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_TABLE:
			q := QualifiedName(rs.Relation)
			ix := p.Catalog.indexes[q]
			if rs.RenameType == pg.ObjectType_OBJECT_TABLE && ix == nil {
				return // a table: rename-table's business
			}
			if ix != nil && !p.HasReaders(ix.Origin) {
				return
			}
			what := "index " + Name(rs.Relation)
			if ix != nil {
				if ct := p.Catalog.TableNamed(ix.Table).Constraint(ix.Name); ct != nil && ct.Kind != Check && ct.Kind != ForeignKey {
					what = fmt.Sprintf("index %s (and so the %s constraint of %s)", Name(rs.Relation), ct.Kind, DisplayName(ix.Table))
				}
			}
			p.Report(Finding{
				Message: fmt.Sprintf("renaming %s to %s breaks code of the old release that names it: ON CONFLICT ON CONSTRAINT, error handling that matches the name, hints and scripts", what, rs.Newname),
				Lock:    p.LockOn(q),
				Breaks:  BreaksOld,
				Fix:     contractFix + fmt.Sprintf("ALTER INDEX %s RENAME TO %s;", Name(rs.Relation), rs.Newname),
			})
		case pg.ObjectType_OBJECT_TABCONSTRAINT:
			if !p.Existing(rs.Relation) {
				return
			}
			ct := p.Catalog.Table(rs.Relation).Constraint(rs.Subname)
			if ct != nil && !p.HasReaders(ct.Origin) {
				return
			}
			what := "constraint " + rs.Subname
			if ct != nil {
				what = string(ct.Kind) + " constraint " + rs.Subname
			}
			p.Report(Finding{
				Message: fmt.Sprintf("renaming %s of %s to %s breaks code of the old release that names it: INSERT ... ON CONFLICT ON CONSTRAINT %s fails, and error handling that matches the name stops matching",
					what, Name(rs.Relation), rs.Newname, rs.Subname),
				Lock:   p.LockOn(QualifiedName(rs.Relation)),
				Breaks: BreaksOld,
				Fix:    contractFix + fmt.Sprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s;", Name(rs.Relation), rs.Subname, rs.Newname),
			})
		}
	},
}
