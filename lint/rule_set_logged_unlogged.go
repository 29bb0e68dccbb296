package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleSetLoggedUnlogged = &Rule{
	ID:       "set-logged-unlogged",
	Severity: Error,
	Summary:  "SET LOGGED / SET UNLOGGED rewrites a table in use under ACCESS EXCLUSIVE",
	Doc: `ALTER TABLE ... SET LOGGED and SET UNLOGGED rewrite the whole table (and rebuild its indexes)
into a new file while holding ACCESS EXCLUSIVE: reads and writes wait for the copy. SET LOGGED
also writes every row to the WAL, which standbys must replay (replication lag); SET UNLOGGED makes
the table empty after a crash and unreadable on standbys ("cannot access temporary or unlogged
relations during recovery"), which breaks any release reading it from a replica. There is no
online form: build a copy with the other persistence and switch over, or change it in a
maintenance window. A change to the persistence the table already has (the catalog knows it
from the history) does nothing, and tables created by the same file or an unreleased one have no
traffic: neither is flagged.`,
	Check: func(p *Pass) {
		at, cmds := tableCmds(p, pg.AlterTableType_AT_SetLogged, pg.AlterTableType_AT_SetUnLogged)
		if at == nil || !p.Existing(at.Relation) {
			return
		}
		t := p.Catalog.Table(at.Relation)
		if t != nil && t.Partitioned {
			return // no storage to rewrite
		}
		unlogged := cmds[len(cmds)-1].Subtype == pg.AlterTableType_AT_SetUnLogged
		if t != nil && t.Known && t.Unlogged == unlogged {
			return // already so: PostgreSQL has nothing to rewrite
		}
		name := Name(at.Relation)
		what, extra := "SET LOGGED", "and writes every row to the WAL, which standbys replay behind it"
		if unlogged {
			what, extra = "SET UNLOGGED", "and from then on it is empty after a crash and unreadable on standbys"
		}
		copyName := identSQL(at.Relation.Relname + "_new")
		persistence := "TABLE"
		if unlogged {
			persistence = "UNLOGGED TABLE"
		}
		p.Report(Finding{
			Message: fmt.Sprintf("%s rewrites %s under ACCESS EXCLUSIVE: no read or write of it gets through until the copy ends, %s", what, name, extra),
			Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
			Cost:    Rewrite,
			Breaks:  BreaksAvailability,
			Fix: fmt.Sprintf(`-- no online form: build a copy with the new persistence and switch over
CREATE %s %s (LIKE %s INCLUDING ALL);
-- keep it in step with a trigger on %s, copy the rows in batches of keys, then swap the names
-- in one short transaction (ALTER TABLE ... RENAME, under a lock_timeout); or run the
-- original statement in a maintenance window:
-- %s;`, persistence, copyName, rvSQL(at.Relation), name, p.Stmt.Text()),
		})
	},
}
