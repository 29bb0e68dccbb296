package lint

import (
	"fmt"
	"strings"
)

var ruleVacuumFull = &Rule{
	ID:       "vacuum-full",
	Severity: Error,
	Summary:  "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
	Doc: `VACUUM FULL copies the whole table into a new file and rebuilds every index, holding ACCESS
EXCLUSIVE throughout: no read or write of the table gets through until it ends, which on a large
table is minutes to hours. Without a table list it does that to every table of the database, one
after the other. Plain VACUUM (SHARE UPDATE EXCLUSIVE) makes dead space reusable without blocking
traffic, though it does not shrink the file; to give the space back online use pg_repack (or
pg_squeeze), which rebuild the table in the background and take a brief lock only to swap it in.
VACUUM of any kind cannot run in a transaction block, so under golang-migrate it must be the only
statement of its file. Tables created by the same file or an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		vs := p.Node().GetVacuumStmt()
		if vs == nil || !vs.IsVacuumcmd || !hasOption(vs.Options, "full") {
			return
		}
		var tables, rels []string
		var first string
		for _, r := range vs.Rels {
			vr := r.GetVacuumRelation()
			if vr == nil || vr.Relation == nil || !p.Existing(vr.Relation) {
				continue
			}
			if first == "" {
				first = QualifiedName(vr.Relation)
			}
			tables = append(tables, Name(vr.Relation))
			rels = append(rels, rvSQL(vr.Relation))
		}
		if len(vs.Rels) > 0 && len(tables) == 0 {
			return
		}
		f := Finding{Lock: Lock{Mode: AccessExclusive, Relation: first}, Cost: Rewrite, Breaks: BreaksAvailability}
		if len(tables) == 0 {
			f.Message = "VACUUM FULL without a table rewrites every table of the database, each under ACCESS EXCLUSIVE for its whole copy"
			f.Fix = "-- makes dead space reusable without blocking traffic (alone in its file):\nVACUUM (ANALYZE);\n-- to give space back online, rebuild tables with pg_repack outside the migration:\n-- pg_repack --no-order --all \"$DATABASE_URL\""
		} else {
			f.Message = fmt.Sprintf("VACUUM FULL rewrites %s under ACCESS EXCLUSIVE: no read or write gets through until the copy and its index rebuilds end", joinNames(tables))
			var repack string
			for _, t := range tables {
				repack += fmt.Sprintf(" --table=%s", t)
			}
			f.Fix = fmt.Sprintf("-- makes dead space reusable without blocking traffic (alone in its file):\nVACUUM (ANALYZE) %s;\n-- to give the space back online, rebuild with pg_repack outside the migration:\n-- pg_repack --no-order%s \"$DATABASE_URL\"", strings.Join(rels, ", "), repack)
		}
		p.Report(f)
	},
}
