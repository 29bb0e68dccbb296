package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropColumn = &Rule{
	ID:       "drop-column",
	Severity: Error,
	Summary:  "DROP COLUMN breaks the release that still reads or writes the column",
	Doc: `During a rolling, blue-green or canary deploy the old release keeps running against the new
schema. If it still selects, inserts or updates the column, its queries fail the moment the column
is gone (an ORM that lists every column fails on every query of the table). Dropping also takes
ACCESS EXCLUSIVE (briefly: the space is reclaimed later) and silently drops indexes and constraints
that use the column. The safe sequence is contract-phase: release N stops using the column; the
drop runs only once no instance of a release before N is left. A file declared
"-- lockstep:phase contract" is sequenced that way by lockstep migrate, so the finding drops to a
warning there. Columns added by the same file or by an unreleased one have no readers and are not
flagged.`,
	Check: func(p *Pass) {
		at := p.Node().GetAlterTableStmt()
		if at == nil || at.Objtype != pg.ObjectType_OBJECT_TABLE || !p.Existing(at.Relation) {
			return
		}
		table := p.Catalog.Table(at.Relation)
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil || cmd.Subtype != pg.AlterTableType_AT_DropColumn {
				continue
			}
			col := table.Column(cmd.Name)
			if col != nil && !p.HasReaders(col.Origin) {
				continue
			}
			if col == nil && cmd.MissingOk && table != nil && table.Known {
				continue // DROP COLUMN IF EXISTS of a column the history never had (or already dropped): a no-op
			}
			name := Name(at.Relation) + "." + cmd.Name
			msg := fmt.Sprintf("dropping %s breaks the old release, which still reads or writes it while the deploy runs", name)
			var lost []string
			if table != nil {
				for _, ix := range p.Catalog.IndexesOn(table.Qualified()) {
					if contains(ix.Columns, cmd.Name) {
						lost = append(lost, ix.Name)
					}
				}
			}
			if len(lost) > 0 {
				msg += "; it also drops the index " + strings.Join(lost, ", ")
			}
			f := Finding{
				Message: msg,
				Lock:    p.LockOn(QualifiedName(at.Relation)),
				Breaks:  BreaksOld,
				Fix: dropColumnPlanLine(at.Relation, table, cmd.Name) + fmt.Sprintf(`-- release N: ship code that no longer reads or writes %s (ORMs: mark it ignored)
-- release N+1, contract phase, once no instance of a release before N runs:
-- lockstep:phase contract
ALTER TABLE %s DROP COLUMN %s;`, name, Name(at.Relation), cmd.Name),
			}
			if declaredPhase(p.File) == Contract {
				f.Severity = Warning
				f.Message += " (declared contract: lockstep migrate runs it only after a later release is fully rolled out; make sure the release that adds this file no longer uses the column)"
			}
			p.ReportAt(-1, f)
		}
	},
}

// dropColumnPlanLine names lockstep plan drop-column, unless the column is
// part of the primary key, which plan refuses to drop.
func dropColumnPlanLine(rv *pg.RangeVar, t *Table, col string) string {
	for _, ct := range tableConstraints(t) {
		if ct.Kind == PrimaryKey && contains(ct.Columns, col) {
			return ""
		}
	}
	return planFixLine("drop-column", []string{planColumnArg(rv, col)})
}

// declaredPhase reads the file's -- lockstep:phase header.
func declaredPhase(f *File) Phase {
	d, ok := f.Directive(DirPhase)
	if !ok {
		return PhaseNone
	}
	ph, _ := ParsePhase(strings.TrimSpace(d.Args))
	return ph
}
