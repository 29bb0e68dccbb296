package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropNotNull = &Rule{
	ID:       "drop-not-null",
	Severity: Hint,
	Summary:  "DROP NOT NULL lets NULLs in that the old release may not expect (usually a legitimate expand step)",
	Doc: `DROP NOT NULL is catalog-only (ACCESS EXCLUSIVE for a moment, so keep a lock_timeout) and breaks
nothing by itself. It is usually the right first step of removing a column: the release that stops
writing the column needs it to accept NULL before the column can be dropped in a later release.
The risk is the other way round: once a release writes NULL there, the old release, still running,
may read a NULL it never expected (a non-nullable field in its model). So it is a hint: check that
every release that reads the column copes with NULL. It fails on a column of the primary key.
Columns added by the same file or by an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cmds := alterCmds(p)
		if at == nil {
			return
		}
		t := p.Catalog.Table(at.Relation)
		for _, cmd := range cmds {
			if cmd.Subtype != pg.AlterTableType_AT_DropNotNull {
				continue
			}
			col := t.Column(cmd.Name)
			if col != nil && (!p.HasReaders(col.Origin) || !col.NotNull) {
				continue // new, or not NOT NULL: nothing changes for readers
			}
			name := Name(at.Relation) + "." + cmd.Name
			f := Finding{
				Message: fmt.Sprintf("dropping NOT NULL on %s lets NULLs in, which the old release may not expect when it reads them; as the expand step before the column is dropped this is right", name),
				Lock:    p.LockOn(QualifiedName(at.Relation)),
				Breaks:  BreaksOld,
				Fix: fmt.Sprintf(`-- as the expand step of removing %[1]s: fine, once every release that reads it copes with NULL
ALTER TABLE %[2]s ALTER COLUMN %[3]s DROP NOT NULL;
-- release N stops reading and writing it; release N+1 (contract) drops it:
-- ALTER TABLE %[2]s DROP COLUMN %[3]s;`, name, Name(at.Relation), cmd.Name),
			}
			for _, ct := range tableConstraints(t) {
				if ct.Kind == PrimaryKey && contains(ct.Columns, cmd.Name) {
					f.Severity = Error
					f.Breaks = BreaksNew
					f.Message = fmt.Sprintf("dropping NOT NULL on %s fails: it is part of the primary key %s", name, ct.Name)
					f.Fix = fmt.Sprintf("-- a primary key column is always NOT NULL: drop or replace %s first (see drop-constraint)", ct.Name)
				}
			}
			p.ReportAt(-1, f)
		}
	},
}
