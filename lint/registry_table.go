package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// tableRules: table-level storage, partitioning and trigger changes that
// take a long lock or rewrite the table.
var tableRules = []*Rule{
	ruleSetTablespace,
	ruleSetLoggedUnlogged,
	ruleAttachPartitionWithoutCheck,
	ruleCreatePartitionScansDefault,
	ruleDetachPartitionNonConcurrent,
	ruleDisableTrigger,
	ruleIndexOnPartitionedTable,
	ruleCreateTrigger,
}

// tableCmds returns an ALTER TABLE (of a table, not an index or view) and
// its subcommands of the given kinds; at is nil when there are none.
func tableCmds(p *Pass, kinds ...pg.AlterTableType) (at *pg.AlterTableStmt, cmds []*pg.AlterTableCmd) {
	at = p.Node().GetAlterTableStmt()
	if at == nil || at.Relation == nil || at.Objtype != pg.ObjectType_OBJECT_TABLE {
		return nil, nil
	}
	for _, c := range at.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		for _, k := range kinds {
			if cmd.Subtype == k {
				cmds = append(cmds, cmd)
			}
		}
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	return at, cmds
}

// lockTimeoutSet reports whether the statement runs with a lock_timeout,
// set in the file or assumed from the role.
func lockTimeoutSet(p *Pass) bool { return p.Config.AssumeLockTimeout || p.Tx.LockTimeout.Set() }

// boundDatumSQL renders one datum of a partition bound; "" for MINVALUE
// and MAXVALUE.
func boundDatumSQL(n *pg.Node) string {
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		if s := strings.ToLower(strVal(cr.Fields[0])); s == "minvalue" || s == "maxvalue" {
			return ""
		}
	}
	return deparseExpr(n)
}

// partitionCheckSQL renders the partition constraint of a bound on a
// single plain key column as a CHECK expression; "" when it cannot (a
// hash or DEFAULT bound, several key columns, an unknown key).
func partitionCheckSQL(key []string, b *pg.PartitionBoundSpec) string {
	if b == nil || b.IsDefault || len(key) != 1 {
		return ""
	}
	k := identSQL(key[0])
	switch b.Strategy {
	case "r":
		if len(b.Lowerdatums) != 1 || len(b.Upperdatums) != 1 {
			return ""
		}
		parts := []string{k + " IS NOT NULL"}
		if lo := boundDatumSQL(b.Lowerdatums[0]); lo != "" {
			parts = append(parts, fmt.Sprintf("%s >= %s", k, lo))
		}
		if hi := boundDatumSQL(b.Upperdatums[0]); hi != "" {
			parts = append(parts, fmt.Sprintf("%s < %s", k, hi))
		}
		return strings.Join(parts, " AND ")
	case "l":
		var vals []string
		null := false
		for _, d := range b.Listdatums {
			if ac := d.GetAConst(); ac != nil && ac.Isnull {
				null = true
				continue
			}
			vals = append(vals, deparseExpr(d))
		}
		in := fmt.Sprintf("%s IN (%s)", k, strings.Join(vals, ", "))
		switch {
		case len(vals) == 0 && null:
			return k + " IS NULL"
		case null:
			return fmt.Sprintf("(%s IS NULL OR %s)", k, in)
		}
		return fmt.Sprintf("%s IS NOT NULL AND %s", k, in)
	}
	return ""
}
