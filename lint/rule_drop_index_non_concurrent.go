package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropIndexNonConcurrent = &Rule{
	ID:       "drop-index-non-concurrent",
	Severity: Error,
	Summary:  "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table",
	Doc: `A plain DROP INDEX takes ACCESS EXCLUSIVE on the table the index belongs to: the drop itself is
quick, but while it waits for the lock behind any running query every read and write of the table
queues behind it, and in golang-migrate's default mode the lock is held until the whole file
commits. DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE instead and waits for the queries
using the index to finish. It cannot run in a transaction block (under golang-migrate: alone in
its file), drops one index per statement, and has no CASCADE. An index that backs a UNIQUE or
PRIMARY KEY constraint cannot be dropped at all (drop the constraint), and an index of a
partitioned table has no concurrent form. Indexes created by the same file or an unreleased one
are not flagged.`,
	Check: func(p *Pass) {
		ds := p.Node().GetDropStmt()
		if ds == nil || ds.RemoveType != pg.ObjectType_OBJECT_INDEX || ds.Concurrent {
			return
		}
		var names, fixes []string
		var lock Lock
		on := "its table"
		for _, obj := range ds.Objects {
			schema, name := objectName(obj)
			key := qualify(schema, name)
			if !p.ExistingNamed(key) {
				continue
			}
			ix := p.Catalog.indexes[key]
			if ix != nil && !p.ExistingNamed(ix.Table) {
				continue
			}
			var t *Table
			if ix != nil {
				t = p.Catalog.TableNamed(ix.Table)
				lock = Lock{Mode: AccessExclusive, Relation: ix.Table}
				on = DisplayName(ix.Table)
			} else if lock.Relation == "" {
				lock = Lock{Mode: AccessExclusive, Relation: key}
			}
			if ct := t.Constraint(name); ix != nil && ct != nil && (ct.Kind == Unique || ct.Kind == PrimaryKey || ct.Kind == Exclusion) {
				p.Report(Finding{
					Message: fmt.Sprintf("DROP INDEX %s fails: the index backs the %s constraint %s of %s; drop the constraint instead", name, ct.Kind, ct.Name, DisplayName(ix.Table)),
					Lock:    lock, Breaks: BreaksNew,
					Fix: fmt.Sprintf("-- drops the index with it (ACCESS EXCLUSIVE on %s, instant once granted)\nSET lock_timeout = '2s';\nALTER TABLE %s DROP CONSTRAINT %s;",
						DisplayName(ix.Table), relSQL(ix.Table), identSQL(ct.Name)),
				})
				return
			}
			if t != nil && t.Partitioned {
				p.Report(Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("DROP INDEX %s takes ACCESS EXCLUSIVE on the partitioned table %s and its partitions, and an index of a partitioned table has no CONCURRENTLY form: keep the lock wait short", name, DisplayName(ix.Table)),
					Lock:     lock, Breaks: BreaksAvailability,
					Fix: "-- in a file of its own, with a short lock_timeout (retry on timeout):\nSET lock_timeout = '2s';\n" + strings.TrimSpace(p.Stmt.Text()) + ";",
				})
				return
			}
			names = append(names, name)
			fixes = append(fixes, fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s;", relSQL(key)))
		}
		if len(names) == 0 {
			return
		}
		msg := fmt.Sprintf("DROP INDEX %s without CONCURRENTLY takes ACCESS EXCLUSIVE on %s: every read and write of it queues while the drop waits for its lock", joinNames(names), on)
		fix := aloneNote(p) + fixes[0]
		if len(fixes) > 1 {
			fix = "-- one index per statement, each in a migration file of its own:\n" + strings.Join(fixes, "\n")
		}
		if ds.Behavior == pg.DropBehavior_DROP_CASCADE {
			fix = "-- CONCURRENTLY has no CASCADE: drop what depends on the index first\n" + fix
		}
		f := Finding{Message: msg, Lock: lock, Breaks: BreaksAvailability, Fix: fix}
		if len(fixes) == 1 && ds.Behavior != pg.DropBehavior_DROP_CASCADE && p.OnlyStatement() {
			f.Suggestion = fixes[0]
		}
		p.Report(f)
	},
}
