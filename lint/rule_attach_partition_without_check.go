package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleAttachPartitionWithoutCheck = &Rule{
	ID:       "attach-partition-without-check",
	Severity: Error,
	Summary:  "ATTACH PARTITION scans a table in use under ACCESS EXCLUSIVE when no CHECK proves the bound",
	Doc: `ALTER TABLE parent ATTACH PARTITION child FOR VALUES ... takes SHARE UPDATE EXCLUSIVE on the
parent (from PostgreSQL 12: reads and writes of the parent go on) but ACCESS EXCLUSIVE on the table
being attached, and then reads every row of it to prove that each fits the bound, unless a
validated CHECK constraint on it already implies the bound. Reads and writes of that table wait
for the whole scan. When the parent has a DEFAULT partition, that one is scanned too, under ACCESS
EXCLUSIVE, to prove no row of it belongs in the new bound, unless a validated CHECK on it excludes
the bound. Add the CHECK NOT VALID, validate it in a later file (SHARE UPDATE EXCLUSIVE, no traffic
waits), attach, and drop the CHECK, which the partition constraint replaces. lockstep takes a
validated CHECK on the partition key columns as the proof; PostgreSQL checks the implication
itself and scans when it does not hold (for a range bound, the key columns must also be NOT NULL or
the CHECK must say IS NOT NULL).`,
	Check: func(p *Pass) {
		at, cmds := tableCmds(p, pg.AlterTableType_AT_AttachPartition)
		if at == nil {
			return
		}
		parent := QualifiedName(at.Relation)
		// key: the columns the partition key uses; plain: the key columns
		// when the key has no expression, to write the CHECK from the bound.
		var key, plain []string
		if pt := p.Catalog.TableNamed(parent); pt != nil && pt.Known {
			key = pt.PartitionKey
			if !pt.PartitionKeyExpr {
				plain = key
			}
		}
		for _, cmd := range cmds {
			pc := cmd.Def.GetPartitionCmd()
			if pc == nil || pc.Name == nil {
				continue
			}
			child := QualifiedName(pc.Name)
			cond := partitionCheckSQL(plain, pc.Bound)
			if p.Existing(pc.Name) && !checkCoversKey(p.Catalog.TableNamed(child), key) {
				p.Report(Finding{
					Message: fmt.Sprintf("ATTACH PARTITION takes ACCESS EXCLUSIVE on %s and scans all of it to prove its rows fit the bound: no read or write of it gets through until the scan ends; a validated CHECK implying the bound skips the scan",
						Name(pc.Name)),
					Lock:   Lock{Mode: AccessExclusive, Relation: child},
					Cost:   Scan,
					Breaks: BreaksAvailability,
					Fix:    attachFix(p, rvSQL(pc.Name), pc.Name.Relname+"_partition_check", cond, false),
				})
			}
			def := defaultPartition(p.Catalog, parent)
			if def == "" || def == child || (pc.Bound != nil && pc.Bound.IsDefault) || !p.ExistingNamed(def) ||
				defaultExcludes(p.Catalog.TableNamed(def), key, cond) {
				continue
			}
			p.Report(Finding{
				Message: fmt.Sprintf("ATTACH PARTITION %s also takes ACCESS EXCLUSIVE on the default partition %s and scans it for rows of the new bound: no read or write of it gets through until the scan ends",
					Name(pc.Name), DisplayName(def)),
				Lock:   Lock{Mode: AccessExclusive, Relation: def},
				Cost:   Scan,
				Breaks: BreaksAvailability,
				Fix:    attachFix(p, relSQL(def), p.Catalog.TableNamed(def).Name+"_not_"+pc.Name.Relname, cond, true),
			})
		}
	},
}

// checkCoversKey reports whether a table has a validated CHECK constraint on
// every partition key column (any validated CHECK when the key is unknown),
// which lockstep takes to imply the partition bound.
func checkCoversKey(t *Table, key []string) bool {
	if t == nil {
		return false
	}
	for _, ct := range t.Constraints {
		if ct.Kind != Check || !ct.Valid || ct.NotNullOf != "" {
			continue
		}
		all := true
		for _, k := range key {
			all = all && contains(ct.Columns, k)
		}
		if all {
			return true
		}
	}
	return false
}

// defaultExcludes reports whether the DEFAULT partition has a validated
// CHECK that excludes the new bound. A default partition collects one such
// CHECK per partition attached the safe way, so lockstep looks for this
// bound's negation, as the fix writes it; when it cannot render the bound
// it falls back to a CHECK on the key columns.
func defaultExcludes(t *Table, key []string, cond string) bool {
	if cond == "" {
		return checkCoversKey(t, key)
	}
	want := normalizeExpr("NOT (" + cond + ")")
	for _, ct := range t.Constraints {
		if ct.Kind == Check && ct.Valid && ct.Expr != nil && want != "" && deparseExpr(ct.Expr) == want {
			return true
		}
	}
	return false
}

// normalizeExpr renders an SQL expression as the deparser does, so that
// two spellings of one expression compare equal; "" when it does not parse.
func normalizeExpr(sql string) string {
	res, err := pg.Parse("SELECT " + sql)
	if err != nil || len(res.Stmts) != 1 {
		return ""
	}
	sel := res.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return ""
	}
	return deparseExpr(sel.TargetList[0].GetResTarget().GetVal())
}

// attachFix is the CHECK-first path: add it NOT VALID, validate it in a
// later file, attach, drop it. exclude makes the CHECK the negation of
// the bound, for the default partition.
func attachFix(p *Pass, table, conName, cond string, exclude bool) string {
	if cond == "" {
		cond = "<the partition bound as an expression on the key columns>"
	}
	if exclude {
		cond = "NOT (" + cond + ")"
	}
	con := identSQL(conName)
	var b strings.Builder
	fmt.Fprintf(&b, "-- a CHECK that proves the bound, added without a scan:\nALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID;\n", table, con, cond)
	fmt.Fprintf(&b, "%sALTER TABLE %s VALIDATE CONSTRAINT %s;  -- scans under SHARE UPDATE EXCLUSIVE: traffic goes on\n", laterFileNote, table, con)
	fmt.Fprintf(&b, "%s%s;  -- PostgreSQL finds the CHECK and skips the scan\nALTER TABLE %s DROP CONSTRAINT %s;  -- the partition constraint replaces it",
		laterFileNote, p.Stmt.Text(), table, con)
	return b.String()
}
