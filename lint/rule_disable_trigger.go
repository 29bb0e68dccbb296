package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDisableTrigger = &Rule{
	ID:       "disable-trigger",
	Severity: Error,
	Summary:  "DISABLE TRIGGER on a table in use lets writes skip its triggers, or its foreign keys",
	Doc: `ALTER TABLE ... DISABLE TRIGGER name | USER | ALL takes SHARE ROW EXCLUSIVE on the table (writes
wait; in a golang-migrate file until the file's transaction ends). Once committed, every write of
both releases skips the disabled triggers until someone enables them again: audit rows, the sync
trigger of an expand/contract rename, derived columns silently stop. DISABLE TRIGGER ALL also
disables the internal triggers that enforce foreign keys (and deferrable unique and exclusion
constraints): rows written meanwhile are never checked, and nothing reports the orphans later.
When the same transaction enables the triggers again, other sessions' writes wait on the lock
instead of skipping them, but the migration's own writes still skip them (with ALL: unchecked
foreign keys). To let only a backfill skip a trigger, have the trigger function return early on
a setting that only the backfill's transaction sets; to load rows without foreign-key checks,
drop the foreign key and add it back NOT VALID, then VALIDATE it. Tables created by the same file
or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cmds := tableCmds(p, pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_DisableTrigUser, pg.AlterTableType_AT_DisableTrigAll)
		if at == nil || !p.Existing(at.Relation) {
			return
		}
		table := Name(at.Relation)
		for _, cmd := range cmds {
			what, them := fmt.Sprintf("the trigger %s of %s", cmd.Name, table), "it"
			switch cmd.Subtype {
			case pg.AlterTableType_AT_DisableTrigUser:
				what, them = "every user trigger of "+table, "them"
			case pg.AlterTableType_AT_DisableTrigAll:
				what, them = "every trigger of "+table+", its foreign-key checks included", "them"
			}
			f := Finding{
				Lock:   Lock{Mode: ShareRowExclusive, Relation: QualifiedName(at.Relation)},
				Breaks: BreaksBoth,
				Fix:    disableTriggerFix(p, at.Relation, cmd),
			}
			reenabled := reenabledLater(p, QualifiedName(at.Relation), cmd)
			switch {
			case reenabled && cmd.Subtype == pg.AlterTableType_AT_DisableTrigAll:
				f.Message = fmt.Sprintf("DISABLE TRIGGER ALL on %s turns off its foreign-key checks for the rows this transaction writes: violating rows go in unchecked; writes of the releases wait on SHARE ROW EXCLUSIVE until it commits", table)
			case reenabled:
				f.Severity = Warning
				f.Breaks = BreaksAvailability
				f.Message = fmt.Sprintf("DISABLE TRIGGER turns off %s and holds SHARE ROW EXCLUSIVE until the transaction that enables %s again commits: every write of %s waits until then, and this transaction's own writes skip %s", what, them, table, them)
			default:
				f.Message = fmt.Sprintf("DISABLE TRIGGER turns off %s: once committed, the writes of both releases skip %s until someone enables %s again", what, them, them)
			}
			p.Report(f)
		}
	},
}

// reenabledLater reports whether a later statement of the same transaction
// enables the triggers a DISABLE TRIGGER turned off.
func reenabledLater(p *Pass, rel string, dis *pg.AlterTableCmd) bool {
	for _, s := range laterInTransaction(p) {
		at := s.Node.GetAlterTableStmt()
		if at == nil || QualifiedName(at.Relation) != rel {
			continue
		}
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				continue
			}
			switch cmd.Subtype {
			case pg.AlterTableType_AT_EnableTrigAll:
				return true
			case pg.AlterTableType_AT_EnableTrigUser:
				if dis.Subtype != pg.AlterTableType_AT_DisableTrigAll {
					return true
				}
			case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_EnableAlwaysTrig, pg.AlterTableType_AT_EnableReplicaTrig:
				if dis.Subtype == pg.AlterTableType_AT_DisableTrig && cmd.Name == dis.Name {
					return true
				}
			}
		}
	}
	return false
}

func disableTriggerFix(p *Pass, rv *pg.RangeVar, cmd *pg.AlterTableCmd) string {
	if cmd.Subtype == pg.AlterTableType_AT_DisableTrigAll {
		var known string
		if t := p.Catalog.Table(rv); t != nil {
			for _, ct := range t.Constraints {
				if ct.Kind == ForeignKey {
					known += fmt.Sprintf("\n--   %s (%s) REFERENCES %s", ct.Name, colsSQL(ct.Columns), DisplayName(ct.References))
				}
			}
		}
		if known != "" {
			known = "\n-- the foreign keys of " + Name(rv) + " the history knows:" + known
		}
		return fmt.Sprintf(`-- do not turn off foreign-key checks on a table in use; to load rows without them,
-- drop the foreign key and add it back without a scan, then validate it in a later file:
ALTER TABLE %[1]s DROP CONSTRAINT <fk>;
-- ... the load ...
ALTER TABLE %[1]s ADD CONSTRAINT <fk> FOREIGN KEY (<columns>) REFERENCES <table> NOT VALID;
%[2]sALTER TABLE %[1]s VALIDATE CONSTRAINT <fk>;%[3]s`, rvSQL(rv), laterFileNote, known)
	}
	return `-- keep the trigger on for everyone else: let it skip only the migration's own writes,
-- with a guard at the top of the trigger function (CREATE OR REPLACE FUNCTION ...):
--   IF current_setting('lockstep.skip_triggers', true) = 'on' THEN RETURN COALESCE(NEW, OLD); END IF;
-- and, in the transaction of the backfill only:
SET LOCAL lockstep.skip_triggers = 'on';`
}
