package lint

import (
	"fmt"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

var ruleAddEnumValueInTransaction = &Rule{
	ID:       "add-enum-value-in-transaction",
	Severity: Error,
	Summary:  "a value added by ALTER TYPE ... ADD VALUE is used in the same transaction, which fails",
	Doc: `Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block at all. From
PostgreSQL 12 it can, but the new value cannot be used until that transaction commits: a cast, an
INSERT or UPDATE that stores it, a DEFAULT or CHECK that names it fails with "unsafe use of new value
... of enum type" and the whole migration with it. golang-migrate's default mode runs a file of
several statements as one transaction, so ADD VALUE followed by a backfill that writes the value in
the same file always fails. lockstep follows the file's transactions (BEGIN/COMMIT, the runner) and
flags each statement that uses a new value in the transaction that added it: a string literal cast to
the enum, or one written to a table with a column of that enum (or a table the history does not
describe). Use the value in a later migration file, or after a COMMIT.`,
	Check: func(p *Pass) {
		if ae := p.Node().GetAlterEnumStmt(); ae != nil && ae.OldVal == "" && p.PGVersion() < 12 && p.InBlock() {
			p.Report(Finding{
				Message: fmt.Sprintf("ALTER TYPE %s ADD VALUE cannot run inside a transaction block before PostgreSQL 12", enumName(ae.TypeName)),
				Breaks:  BreaksNew,
				Fix:     "-- move it to a migration file of its own, with nothing else in it:\n" + strings.TrimSpace(p.Stmt.Text()) + ";",
			})
			return
		}
		if p.PGVersion() < 12 || !p.InBlock() || !strings.ContainsAny(p.Stmt.Text(), "'$") {
			return // a use needs a string literal
		}
		added := enumValuesAddedInTx(p)
		if len(added) == 0 {
			return
		}
		for _, a := range added {
			locs := enumUses(p, a.value, a.enum)
			if len(locs) == 0 {
				continue
			}
			p.ReportAt(locs[0], Finding{
				Message: fmt.Sprintf("'%s' was added to enum %s at line %d in the same transaction: PostgreSQL refuses to use a new enum value before that transaction commits (unsafe use of new value), so the migration fails and the new release cannot be deployed",
					a.value, DisplayName(a.enum), a.line),
				Breaks: BreaksNew,
				Fix: fmt.Sprintf(`-- file N: only add the value
ALTER TYPE %s ADD VALUE IF NOT EXISTS '%s';
-- file N+1 (a transaction of its own, after N committed):
%s;`, DisplayName(a.enum), a.value, strings.TrimSpace(p.Stmt.Text())),
			})
		}
	},
}

type addedValue struct {
	enum, value string
	line        int
}

func (a addedValue) key() string { return a.enum + "\x00" + a.value }

// enumValuesAddedInTx lists the enum values that ALTER TYPE ... ADD VALUE
// added earlier in the transaction the statement runs in.
func enumValuesAddedInTx(p *Pass) []addedValue {
	// The first statement of the file that adds an enum value, found once
	// per file: most files have none, and then there is nothing to look for.
	first, _ := p.File.fileMemo("add-enum-value", func() any {
		for _, s := range p.File.Statements {
			for _, x := range append([]*Statement{s}, s.nested...) {
				if ae := x.Node.GetAlterEnumStmt(); ae != nil && ae.OldVal == "" {
					return s.Index
				}
			}
		}
		return -1
	}).(int)
	if first < 0 || first > p.Stmt.Index || p.Stmt.Index >= len(p.File.Statements) {
		return nil
	}
	var out []addedValue
	consider := func(s *Statement) {
		if ae := s.Node.GetAlterEnumStmt(); ae != nil && ae.OldVal == "" && ae.NewVal != "" {
			out = append(out, addedValue{enum: enumName(ae.TypeName), value: ae.NewVal, line: lineOf(p.File.Source, s.Start)})
		}
	}
	top := p.File.Statements[p.Stmt.Index]
	if p.Stmt.Via != nil {
		// Earlier statements of the same DO block run in its transaction.
		for _, ns := range top.nested {
			if ns == p.Stmt {
				break
			}
			consider(ns)
		}
	}
	if !p.Tx.Explicit && !p.Tx.MultiQuery {
		return out // the statements before this one committed on their own
	}
	for j := p.Stmt.Index - 1; j >= 0; j-- {
		s := p.File.Statements[j]
		if ts := s.Node.GetTransactionStmt(); ts != nil {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
				pg.TransactionStmtKind_TRANS_STMT_PREPARE:
				return out
			case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
				if !p.Tx.MultiQuery {
					return out // the explicit transaction starts here
				}
			}
		}
		consider(s)
		for _, ns := range s.nested {
			consider(ns)
		}
	}
	return out
}

func enumName(names []*pg.Node) string {
	schema, name := splitName(names)
	return qualify(schema, name)
}

func qualifiedType(tn *pg.TypeName) string {
	if tn == nil {
		return ""
	}
	return enumName(tn.Names)
}

// enumUses returns the locations of the string literals in the statement
// that PostgreSQL coerces to the enum: cast to it, stored in or compared
// with a column of that type, or given as such a column's default. A
// literal meeting a column lockstep cannot resolve counts when the table is
// not described by the history.
func enumUses(p *Pass, value, enum string) []int32 {
	n := p.Node()
	var targets []*pg.RangeVar
	newCols := map[string]string{} // columns the statement declares -> qualified type
	addDef := func(cd *pg.ColumnDef) {
		if cd != nil && cd.TypeName != nil {
			newCols[cd.Colname] = qualifiedType(cd.TypeName)
		}
	}
	switch {
	case n.GetInsertStmt() != nil:
		targets = append(targets, n.GetInsertStmt().Relation)
	case n.GetUpdateStmt() != nil:
		targets = append(targets, n.GetUpdateStmt().Relation)
	case n.GetDeleteStmt() != nil:
		targets = append(targets, n.GetDeleteStmt().Relation)
	case n.GetMergeStmt() != nil:
		targets = append(targets, n.GetMergeStmt().Relation)
	case n.GetIndexStmt() != nil:
		targets = append(targets, n.GetIndexStmt().Relation)
	case n.GetCreateStmt() != nil:
		for _, e := range n.GetCreateStmt().TableElts {
			addDef(e.GetColumnDef())
		}
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		targets = append(targets, at.Relation)
		for _, c := range at.Cmds {
			if cmd := c.GetAlterTableCmd(); cmd != nil {
				addDef(cmd.Def.GetColumnDef())
			}
		}
	}
	// isEnum says whether a column is of the enum type; unsure when lockstep
	// cannot tell.
	isEnum := func(col string) bool {
		if t, ok := newCols[col]; ok {
			return t == enum
		}
		unknown := false
		for _, rv := range targets {
			t := p.Catalog.Table(rv)
			if c := t.Column(col); c != nil {
				return qualify("", c.Type.Name) == enum || c.Type.Name == enum
			}
			if t == nil || !t.Known {
				unknown = true
			}
		}
		return unknown
	}
	lit := func(x *pg.Node) (int32, bool) {
		if ac := x.GetAConst(); ac != nil && ac.GetSval() != nil && ac.GetSval().Sval == value {
			return ac.Location, true
		}
		return 0, false
	}
	var locs []int32
	use := func(x *pg.Node, col string) {
		if loc, ok := lit(x); ok && isEnum(col) {
			locs = append(locs, loc)
		}
	}
	pgtree.Walk(n, func(x *pg.Node) bool {
		switch {
		case x.GetTypeCast() != nil:
			tc := x.GetTypeCast()
			if loc, ok := lit(tc.Arg); ok {
				if qualifiedType(tc.TypeName) == enum {
					locs = append(locs, loc)
				}
				return false
			}
		case x.GetAExpr() != nil:
			ae := x.GetAExpr()
			l, r := simpleColumn(ae.Lexpr), simpleColumn(ae.Rexpr)
			for _, side := range []struct {
				col string
				val *pg.Node
			}{{l, ae.Rexpr}, {r, ae.Lexpr}} {
				if side.col == "" || side.val == nil {
					continue
				}
				if lst := side.val.GetList(); lst != nil {
					for _, it := range lst.Items {
						use(it, side.col)
					}
				} else {
					use(side.val, side.col)
				}
			}
		case x.GetColumnDef() != nil:
			cd := x.GetColumnDef()
			if cd.TypeName != nil && qualifiedType(cd.TypeName) == enum {
				use(cd.RawDefault, cd.Colname)
				for _, cn := range cd.Constraints {
					if con := cn.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_DEFAULT {
						use(con.RawExpr, cd.Colname)
					}
				}
			}
		case x.GetAlterTableCmd() != nil:
			if cmd := x.GetAlterTableCmd(); cmd.Subtype == pg.AlterTableType_AT_ColumnDefault && cmd.Def != nil {
				use(cmd.Def, cmd.Name)
			}
		}
		return true
	})
	if us := n.GetUpdateStmt(); us != nil {
		for _, t := range us.TargetList {
			if rt := t.GetResTarget(); rt != nil && rt.Val != nil {
				use(rt.Val, rt.Name)
			}
		}
	}
	if ins := n.GetInsertStmt(); ins != nil {
		var cols []string
		for _, c := range ins.Cols {
			if rt := c.GetResTarget(); rt != nil {
				cols = append(cols, rt.Name)
			}
		}
		if len(cols) == 0 {
			if t := p.Catalog.Table(ins.Relation); t != nil && t.Known {
				for _, c := range t.Columns {
					cols = append(cols, c.Name)
				}
			}
		}
		if sel := ins.SelectStmt.GetSelectStmt(); sel != nil {
			for _, row := range sel.ValuesLists {
				if l := row.GetList(); l != nil {
					for j, it := range l.Items {
						col := ""
						if j < len(cols) {
							col = cols[j]
						}
						use(it, col)
					}
				}
			}
		}
	}
	sort.Slice(locs, func(i, j int) bool { return locs[i] < locs[j] })
	return locs
}
