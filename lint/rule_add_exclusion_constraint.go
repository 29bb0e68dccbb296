package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAddExclusionConstraint = &Rule{
	ID:       "add-exclusion-constraint",
	Severity: Error,
	Summary:  "ADD EXCLUDE builds and checks its index under ACCESS EXCLUSIVE, with no online form",
	Doc: `ADD CONSTRAINT ... EXCLUDE on an existing table takes ACCESS EXCLUSIVE, builds the constraint's
index (usually GiST) and checks every row against every other while reads and writes wait. Unlike
CHECK and foreign keys it cannot be added NOT VALID, and unlike UNIQUE it cannot adopt an index
built CONCURRENTLY (USING INDEX takes only unique btree indexes). There is no online path: either
run it in a quiet window, bounded by lock_timeout and statement_timeout so that it gives up
rather than stalling traffic, or build a new table with the constraint, copy the rows in batches
and swap. Tables created by the same file or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cmds, _ := lockAlter(p)
		for _, cmd := range cmds {
			con := cmd.Def.GetConstraint()
			if cmd.Subtype != pg.AlterTableType_AT_AddConstraint || con == nil || con.Contype != pg.ConstrType_CONSTR_EXCLUSION {
				continue
			}
			name := constraintNameOf(at.Relation, con, ConstraintColumns(con))
			table := Name(at.Relation)
			p.ReportAt(con.Location, Finding{
				Message: fmt.Sprintf("the exclusion constraint %s builds its index and checks every row of %s while holding ACCESS EXCLUSIVE, and cannot be added NOT VALID or USING INDEX", name, table),
				Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
				Cost:    Scan,
				Breaks:  BreaksAvailability,
				Fix: fmt.Sprintf(`-- there is no online form: in a migration file of its own, run in a quiet window and bounded,
-- so that it gives up (and can be retried) instead of stalling traffic on %s
SET lock_timeout = '2s';
SET statement_timeout = '5min';
%s
-- or: create a new table with the constraint, copy the rows in batches, and swap the names in one short transaction`,
					table, strings.TrimSpace(alterSQL(at, cmd))),
			})
		}
	},
}
