package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleCreatePartitionScansDefault = &Rule{
	ID:       "create-partition-scans-default",
	Severity: Error,
	Summary:  "CREATE TABLE ... PARTITION OF scans the DEFAULT partition while holding ACCESS EXCLUSIVE on the whole partitioned table",
	Doc: `CREATE TABLE ... PARTITION OF parent takes ACCESS EXCLUSIVE on the parent. Without a DEFAULT
partition that is a brief catalog change (missing-lock-timeout covers the wait for it); with one,
PostgreSQL also reads the whole DEFAULT partition to prove that none of its rows belongs in the new
bound, still holding ACCESS EXCLUSIVE on the parent: no read or write of any partition gets through
until that scan ends. Create the table on its own instead, give the DEFAULT partition a CHECK that
excludes the new bound (NOT VALID, validated in a later file without blocking traffic), and ATTACH
it, which takes only SHARE UPDATE EXCLUSIVE on the parent and, with the CHECK, scans nothing. A
DEFAULT partition that already has a validated CHECK excluding the bound is not scanned, and
parents created by the same file or an unreleased one have no traffic: neither is flagged.`,
	Check: func(p *Pass) {
		cs := p.Node().GetCreateStmt()
		if cs == nil || cs.Partbound == nil || cs.Partbound.IsDefault || len(cs.InhRelations) == 0 {
			return
		}
		prv := cs.InhRelations[0].GetRangeVar()
		if prv == nil || !p.Existing(prv) {
			return
		}
		parent := QualifiedName(prv)
		def := defaultPartition(p.Catalog, parent)
		if def == "" || !p.ExistingNamed(def) {
			return
		}
		var key, plain []string
		if pt := p.Catalog.TableNamed(parent); pt != nil && pt.Known {
			key = pt.PartitionKey
			if !pt.PartitionKeyExpr {
				plain = key
			}
		}
		cond := partitionCheckSQL(plain, cs.Partbound)
		dt := p.Catalog.TableNamed(def)
		if defaultExcludes(dt, key, cond) {
			return
		}
		attach := alterSQL(&pg.AlterTableStmt{Relation: prv, Objtype: pg.ObjectType_OBJECT_TABLE},
			&pg.AlterTableCmd{Subtype: pg.AlterTableType_AT_AttachPartition,
				Def: &pg.Node{Node: &pg.Node_PartitionCmd{PartitionCmd: &pg.PartitionCmd{Name: cs.Relation, Bound: cs.Partbound}}}})
		if cond == "" {
			cond = "<the partition bound as an expression on the key columns>"
		}
		con := identSQL(dt.Name + "_not_" + cs.Relation.Relname)
		p.Report(Finding{
			Message: fmt.Sprintf("CREATE TABLE %s PARTITION OF %s takes ACCESS EXCLUSIVE on %s and scans its DEFAULT partition %s for rows of the new bound: no read or write of any partition gets through until the scan ends",
				Name(cs.Relation), Name(prv), Name(prv), DisplayName(def)),
			Lock:   Lock{Mode: AccessExclusive, Relation: parent},
			Cost:   Scan,
			Breaks: BreaksAvailability,
			Fix: fmt.Sprintf(`-- the table on its own, and a CHECK that keeps the new bound out of the DEFAULT partition:
CREATE TABLE %[1]s (LIKE %[2]s INCLUDING ALL);
ALTER TABLE %[3]s ADD CONSTRAINT %[4]s CHECK (NOT (%[5]s)) NOT VALID;
%[6]sALTER TABLE %[3]s VALIDATE CONSTRAINT %[4]s;  -- scans under SHARE UPDATE EXCLUSIVE: traffic goes on
%[6]s%[7]s  -- SHARE UPDATE EXCLUSIVE on %[8]s; the CHECK spares the scan
ALTER TABLE %[3]s DROP CONSTRAINT %[4]s;`,
				rvSQL(cs.Relation), rvSQL(prv), relSQL(def), con, cond, laterFileNote, attach, Name(prv)),
		})
	},
}
