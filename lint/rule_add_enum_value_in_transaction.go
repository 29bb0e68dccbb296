package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
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
		if p.PGVersion() < 12 || !p.InBlock() {
			return
		}
		added := enumValuesAddedInTx(p)
		if len(added) == 0 {
			return
		}
		targets := statementTables(p)
		reported := map[string]bool{}
		walk(p.Node(), func(n *pg.Node) bool {
			var ac *pg.A_Const
			var cast *pg.TypeName
			if tc := n.GetTypeCast(); tc != nil {
				ac, cast = tc.Arg.GetAConst(), tc.TypeName
			} else {
				ac = n.GetAConst()
			}
			if ac == nil || ac.GetSval() == nil {
				return true
			}
			v := ac.GetSval().Sval
			for _, a := range added {
				if a.value != v || reported[a.key()] {
					continue
				}
				use := false
				if cast != nil {
					use = qualifiedType(cast) == a.enum
				} else {
					use = tablesUseEnum(p, targets, a.enum)
				}
				if !use {
					continue
				}
				reported[a.key()] = true
				p.ReportAt(ac.Location, Finding{
					Message: fmt.Sprintf("'%s' was added to enum %s at line %d in the same transaction: PostgreSQL refuses to use a new enum value before that transaction commits (unsafe use of new value), so the migration fails",
						v, DisplayName(a.enum), a.line),
					Breaks: BreaksNew,
					Fix: fmt.Sprintf(`-- file N: only add the value
ALTER TYPE %s ADD VALUE IF NOT EXISTS '%s';
-- file N+1 (a transaction of its own, after N committed):
%s;`, DisplayName(a.enum), v, strings.TrimSpace(p.Stmt.Text())),
				})
			}
			return cast == nil // a cast's literal is decided by the cast
		})
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
	// The file's statements in the order they run: each top-level one, then
	// the statements of its DO block.
	var flat []*Statement
	idx := -1
	for _, s := range p.File.Statements {
		flat = append(flat, s)
		if s == p.Stmt {
			idx = len(flat) - 1
		}
		for _, ns := range s.nested {
			flat = append(flat, ns)
			if ns == p.Stmt {
				idx = len(flat) - 1
			}
		}
		if idx < 0 && p.Stmt.Via == s {
			idx = len(flat) // the body of a function s calls: runs after s
		}
	}
	if idx < 0 {
		return nil
	}
	outerInBlock := p.Tx.Explicit || p.Tx.MultiQuery
	var out []addedValue
	for j := idx - 1; j >= 0; j-- {
		e := flat[j]
		sameBody := p.Stmt.Via != nil && (e.Via == p.Stmt.Via || e == p.Stmt.Via)
		if !sameBody && !outerInBlock {
			break
		}
		if ts := e.Node.GetTransactionStmt(); ts != nil {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
				pg.TransactionStmtKind_TRANS_STMT_PREPARE:
				return out
			case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
				if !p.Tx.MultiQuery {
					return out
				}
			}
		}
		if ae := e.Node.GetAlterEnumStmt(); ae != nil && ae.OldVal == "" && ae.NewVal != "" {
			out = append(out, addedValue{enum: enumName(ae.TypeName), value: ae.NewVal, line: lineOf(p.File.Source, e.Start)})
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

// statementTables lists the tables a statement writes to or changes, and
// for CREATE TABLE the column types it declares.
type stmtTables struct {
	tables   []*pg.RangeVar
	newTypes []string // qualified type names of columns CREATE TABLE / ADD COLUMN declare
}

func statementTables(p *Pass) stmtTables {
	var st stmtTables
	n := p.Node()
	addDefs := func(elts []*pg.Node) {
		for _, e := range elts {
			if cd := e.GetColumnDef(); cd != nil && cd.TypeName != nil {
				st.newTypes = append(st.newTypes, qualifiedType(cd.TypeName))
			}
		}
	}
	switch {
	case n.GetInsertStmt() != nil:
		st.tables = append(st.tables, n.GetInsertStmt().Relation)
	case n.GetUpdateStmt() != nil:
		st.tables = append(st.tables, n.GetUpdateStmt().Relation)
	case n.GetDeleteStmt() != nil:
		st.tables = append(st.tables, n.GetDeleteStmt().Relation)
	case n.GetMergeStmt() != nil:
		st.tables = append(st.tables, n.GetMergeStmt().Relation)
	case n.GetIndexStmt() != nil:
		st.tables = append(st.tables, n.GetIndexStmt().Relation)
	case n.GetCreateStmt() != nil:
		addDefs(n.GetCreateStmt().TableElts)
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		st.tables = append(st.tables, at.Relation)
		for _, c := range at.Cmds {
			if cmd := c.GetAlterTableCmd(); cmd != nil {
				if cd := cmd.Def.GetColumnDef(); cd != nil && cd.TypeName != nil {
					st.newTypes = append(st.newTypes, qualifiedType(cd.TypeName))
				}
			}
		}
	}
	return st
}

// tablesUseEnum reports whether a string literal in the statement may be
// coerced to the enum: a table it writes has a column of that type (or is
// not described by the history), or it declares such a column.
func tablesUseEnum(p *Pass, st stmtTables, enum string) bool {
	if contains(st.newTypes, enum) {
		return true
	}
	for _, rv := range st.tables {
		t := p.Catalog.Table(rv)
		if t == nil || !t.Known {
			return true
		}
		for _, c := range t.Columns {
			if c.Type.Name == enum || qualify("", c.Type.Name) == enum {
				return true
			}
		}
	}
	return false
}
