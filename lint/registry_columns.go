package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

// columnRules: column additions and definitions whose cost depends on the
// default, the generation expression or the type, and the timeout that
// bounds such long statements.
var columnRules = []*Rule{
	ruleAddColumnVolatileDefault,
	ruleAddColumnGeneratedStored,
	ruleAddColumnSerial,
	ruleDomainWithConstraint,
	ruleMissingStatementTimeout,
}

// addedColumns returns the ADD COLUMN subcommands of an ALTER TABLE of a
// table with readers, with their column definitions; ADD COLUMN IF NOT
// EXISTS of a column the catalog already has is a no-op and left out.
func addedColumns(p *Pass) (*pg.AlterTableStmt, []*pg.ColumnDef) {
	at, cmds := alterCmds(p)
	if at == nil {
		return nil, nil
	}
	table := p.Catalog.Table(at.Relation)
	var out []*pg.ColumnDef
	for _, cmd := range cmds {
		cd := cmd.Def.GetColumnDef()
		if cmd.Subtype != pg.AlterTableType_AT_AddColumn || cd == nil {
			continue
		}
		if cmd.MissingOk && table.Column(cd.Colname) != nil {
			continue
		}
		out = append(out, cd)
	}
	return at, out
}

// columnConstraint returns the column definition's constraint of a kind.
func columnConstraint(cd *pg.ColumnDef, kind pg.ConstrType) *pg.Constraint {
	for _, cn := range cd.Constraints {
		if con := cn.GetConstraint(); con != nil && con.Contype == kind {
			return con
		}
	}
	return nil
}

// columnDefault is the DEFAULT expression of a column definition, nil for
// none (DEFAULT NULL included).
func columnDefault(cd *pg.ColumnDef) *pg.Node {
	if cd.RawDefault != nil {
		return nonNull(cd.RawDefault)
	}
	if con := columnConstraint(cd, pg.ConstrType_CONSTR_DEFAULT); con != nil {
		return nonNull(con.RawExpr)
	}
	return nil
}

// plainType renders a column type for a fix, serial types as the integer
// type they stand for.
func plainType(t Type) string {
	t.Serial = false
	return t.String()
}

// backfillStep is the batched backfill of a new column, as a file of its own
// that lockstep migrate backfill runs in key ranges.
func backfillStep(table, col, value string) string {
	return fmt.Sprintf(`-- in a file of its own, run in batches of key ranges by lockstep migrate backfill:
-- lockstep:phase backfill
-- lockstep:batch key=id size=5000
UPDATE %s SET %s = %s WHERE %s IS NULL;`, table, identSQL(col), value, identSQL(col))
}

// notNullLater is the last step when the column was meant to be NOT NULL.
func notNullLater(table, col string) string {
	return fmt.Sprintf("\n-- then make it NOT NULL without a scan under ACCESS EXCLUSIVE: lockstep plan set-not-null %s.%s writes the CHECK ... NOT VALID, VALIDATE and SET NOT NULL steps", table, col)
}

// replaceColumnRefs returns a deparsed copy of an expression with each
// one-part column reference renamed by rename (which returns the new
// qualified parts, or nil to keep it).
func replaceColumnRefs(e *pg.Node, rename func(string) []string) string {
	if e == nil {
		return ""
	}
	c := pgtree.Clone(e)
	pgtree.Walk(c, func(n *pg.Node) bool {
		cr := n.GetColumnRef()
		if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil {
			return true
		}
		if parts := rename(cr.Fields[0].GetString_().Sval); parts != nil {
			cr.Fields = nil
			for _, s := range parts {
				cr.Fields = append(cr.Fields, pg.MakeStrNode(s))
			}
		}
		return true
	})
	return deparseExpr(c)
}
