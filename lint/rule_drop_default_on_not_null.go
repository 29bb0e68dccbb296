package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropDefaultOnNotNull = &Rule{
	ID:       "drop-default-on-not-null",
	Severity: Error,
	Summary:  "DROP DEFAULT on a NOT NULL column fails the old release's inserts that leave the column out",
	Doc: `While the column is NOT NULL, its default is what lets an INSERT leave it out. The old release,
still running while the deploy rolls out, does exactly that for a column it does not know, or one
it relies on the database to fill: once the default is gone, those inserts fail with a NOT NULL
violation. The change itself is catalog-only (ACCESS EXCLUSIVE for a moment). It catches the
pattern ORMs generate for a new required column, ADD COLUMN ... DEFAULT x NOT NULL followed at once
by ALTER COLUMN ... DROP DEFAULT: the old release never sets that column. Keep the default until no
release that leaves the column out is left, and drop it in the contract phase of a later release.
lockstep knows from the replayed history whether the column is NOT NULL and has a default; SET
DEFAULT NULL counts as dropping it. Tables created by the same file or by an unreleased one are not
flagged. Nor is a default replaced within one transaction: when the same statement, or a later one
of the same transaction (golang-migrate's one-query file, BEGIN ... COMMIT, a DO block), sets a new
default or drops NOT NULL, nobody sees the column without a default, since the DROP DEFAULT's lock
is held until that transaction commits. When the new default comes in another transaction (a later
statement in autocommit, after a COMMIT, or a later file of the run) the old release's inserts fail
in between: a warning, whose fix is SET DEFAULT alone, which replaces a default at once.`,
	Check: func(p *Pass) {
		at, cmds := alterCmds(p)
		if at == nil {
			return
		}
		table := p.Catalog.Table(at.Relation)
		// Columns the same statement adds (ADD ... DEFAULT x NOT NULL, ALTER ... DROP DEFAULT):
		// the catalog is from before the statement.
		added := map[string]*Column{}
		for _, cmd := range cmds {
			if cd := cmd.Def.GetColumnDef(); cmd.Subtype == pg.AlterTableType_AT_AddColumn && cd != nil {
				added[cd.Colname] = columnOf(cd, Origin{File: p.File.Source.Path, Line: lineOf(p.File.Source, p.Stmt.Start)})
			}
		}
		for i, cmd := range cmds {
			if cmd.Subtype != pg.AlterTableType_AT_ColumnDefault || nonNull(cmd.Def) != nil {
				continue
			}
			col := table.Column(cmd.Name)
			if a := added[cmd.Name]; a != nil {
				col = a
			}
			if col == nil || !col.NotNull || col.Default == nil || col.Identity || col.Generated {
				continue
			}
			name := Name(at.Relation) + "." + cmd.Name
			f := Finding{
				Message: fmt.Sprintf("dropping the default of %s, which is NOT NULL, fails every insert of the old release that leaves %s out", name, cmd.Name),
				Lock:    p.LockOn(QualifiedName(at.Relation)),
				Breaks:  BreaksOld,
				Fix: fmt.Sprintf(`-- keep the default while any release that leaves %[2]s out of its inserts runs; then, in a later release:
-- lockstep:phase contract
ALTER TABLE %[1]s ALTER COLUMN %[2]s DROP DEFAULT;`, Name(at.Relation), cmd.Name),
			}
			if !p.HasReaders(col.Origin) {
				f.Message = fmt.Sprintf("dropping the default of %s, which is NOT NULL and was added %s, fails every insert of the old release: it does not know %s and leaves it out",
					name, addedWhere(p, col.Origin), cmd.Name)
			} else if declaredPhase(p.File) == Contract {
				f.Severity = Warning
				f.Message += contractNote
			}
			qual := QualifiedName(at.Relation)
			r := defaultRestoredInFile(p, qual, cmd.Name, cmds[i+1:])
			switch {
			case r.stmt != nil && r.sameTx:
				// Nobody sees the column without a default: the statement's
				// ACCESS EXCLUSIVE lock is held until the transaction that
				// also restores it commits.
				continue
			case r.stmt != nil:
				f.Severity = Warning
				f.Message = fmt.Sprintf("dropping the default of %s, which is NOT NULL, fails the old release's inserts that leave %s out until line %d %s, in another transaction",
					name, cmd.Name, lineOf(p.File.Source, r.stmt.Start), r.what)
				f.Fix = replaceDefaultFix(at.Relation, cmd.Name, r.expr)
				p.ReportAt(-1, f)
				continue
			}
			// A later file of the run may restore it: decided once every
			// file is parsed, by one of two findings that exclude each other.
			later := defaultRestoredLater(p.File, qual, cmd.Name)
			p.Unless(later).ReportAt(-1, f)
			g := f
			g.Severity = Warning
			g.Message = fmt.Sprintf("dropping the default of %s, which is NOT NULL: a later migration file of this change sets a new default or drops NOT NULL, but until it commits every insert of the old release that leaves %s out fails",
				name, cmd.Name)
			g.Fix = replaceDefaultFix(at.Relation, cmd.Name, "")
			p.Unless(func() bool { return !later() }).ReportAt(-1, g)
		}
	},
}

// columnOf reads what a column definition declares: NOT NULL, a default,
// identity or generated.
func columnOf(cd *pg.ColumnDef, o Origin) *Column {
	col := &Column{Name: cd.Colname, Type: TypeOf(cd.TypeName), NotNull: cd.IsNotNull, Default: nonNull(cd.RawDefault), Origin: o}
	if col.Type.Serial {
		col.NotNull, col.Default = true, nextvalDefault
	}
	for _, cn := range cd.Constraints {
		con := cn.GetConstraint()
		if con == nil {
			continue
		}
		switch con.Contype {
		case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_PRIMARY:
			col.NotNull = true
		case pg.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg.ConstrType_CONSTR_DEFAULT:
			col.Default = nonNull(con.RawExpr)
		case pg.ConstrType_CONSTR_IDENTITY:
			col.Identity, col.NotNull = true, true
		case pg.ConstrType_CONSTR_GENERATED:
			col.Generated = true
		}
	}
	return col
}

// restored is the first statement after a DROP DEFAULT that lets inserts
// leave the column out again: a new non-null default, or DROP NOT NULL.
type restored struct {
	stmt *Statement
	// sameTx is true when it runs in the DROP DEFAULT's transaction.
	sameTx bool
	// what says what it does, for messages; expr is the new default's SQL.
	what, expr string
}

// restoresDefault reports whether an ALTER TABLE command lets inserts that
// leave the column out succeed again, and how.
func restoresDefault(cmd *pg.AlterTableCmd, col string) (what, expr string, ok bool) {
	if cmd == nil || cmd.Name != col {
		return "", "", false
	}
	switch {
	case cmd.Subtype == pg.AlterTableType_AT_ColumnDefault && nonNull(cmd.Def) != nil:
		return "sets a new default", deparseExpr(cmd.Def), true
	case cmd.Subtype == pg.AlterTableType_AT_DropNotNull:
		return "drops NOT NULL", "", true
	}
	return "", "", false
}

// restoredBy looks for such a command for table.col in a statement.
func restoredBy(n *pg.Node, table, col string) (what, expr string, ok bool) {
	at := n.GetAlterTableStmt()
	if at == nil || at.Relation == nil || QualifiedName(at.Relation) != table {
		return "", "", false
	}
	for _, c := range at.Cmds {
		if what, expr, ok := restoresDefault(c.GetAlterTableCmd(), col); ok {
			return what, expr, true
		}
	}
	return "", "", false
}

// defaultRestoredInFile finds the first command after the pass's DROP
// DEFAULT, in the rest of its statement (rest) and then in the statements
// after it in the file (a DO block's own ones first), and whether it runs in
// the same transaction: the statement's transaction block lasts until a
// COMMIT or ROLLBACK, a DO block is one transaction on its own, and in
// autocommit every top-level statement is its own.
func defaultRestoredInFile(p *Pass, table, col string, rest []*pg.AlterTableCmd) restored {
	for _, cmd := range rest {
		if what, expr, ok := restoresDefault(cmd, col); ok {
			return restored{stmt: p.Stmt, sameTx: true, what: what, expr: expr}
		}
	}
	top := p.Stmt
	if p.Stmt.Via != nil {
		top = p.Stmt.Via
		after := false
		for _, ns := range top.nested {
			if after {
				if what, expr, ok := restoredBy(ns.Node, table, col); ok {
					return restored{stmt: ns, sameTx: true, what: what, expr: expr}
				}
			}
			after = after || ns == p.Stmt
		}
	}
	// The top-level transaction: a multi-statement query string or BEGIN.
	inBlock := p.Tx.MultiQuery || p.Tx.Explicit
	after := false
	for _, s := range p.File.Statements {
		if !after {
			after = s == top
			continue
		}
		if ts := s.Node.GetTransactionStmt(); ts != nil {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
				pg.TransactionStmtKind_TRANS_STMT_PREPARE:
				inBlock = false
			}
			continue
		}
		for _, c := range append([]*Statement{s}, s.nested...) {
			if what, expr, ok := restoredBy(c.Node, table, col); ok {
				return restored{stmt: c, sameTx: inBlock, what: what, expr: expr}
			}
		}
	}
	return restored{}
}

// defaultRestoredLater returns whether a file after f in the run restores
// a default (or drops NOT NULL) on table.col, for Pass.Unless.
func defaultRestoredLater(f *File, table, col string) func() bool {
	return func() bool {
		m, _ := f.runMemo("drop-default-on-not-null", runRestoredDefaults).(map[string][]int)
		for _, pos := range m[table+"\x00"+col] {
			if pos > f.pos {
				return true
			}
		}
		return false
	}
}

// runRestoredDefaults lists, by table and column, the positions of the
// files of the run that set a non-null default or drop NOT NULL on them.
func runRestoredDefaults(all []*File) any {
	out := map[string][]int{}
	for _, f := range all {
		for _, s := range f.Statements {
			for _, c := range append([]*Statement{s}, s.nested...) {
				at := c.Node.GetAlterTableStmt()
				if at == nil || at.Relation == nil {
					continue
				}
				for _, n := range at.Cmds {
					cmd := n.GetAlterTableCmd()
					if cmd == nil {
						continue
					}
					if _, _, ok := restoresDefault(cmd, cmd.Name); ok {
						k := QualifiedName(at.Relation) + "\x00" + cmd.Name
						out[k] = append(out[k], f.pos)
					}
				}
			}
		}
	}
	return out
}

// replaceDefaultFix is the fix when a new default follows the drop in
// another transaction: SET DEFAULT replaces the old default in one catalog
// change, with no moment without one.
func replaceDefaultFix(rel *pg.RangeVar, col, expr string) string {
	if expr == "" {
		expr = "<the new default>"
	}
	return fmt.Sprintf("-- SET DEFAULT replaces the old default at once: do not drop it first\nALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;", rvSQL(rel), identSQL(col), expr)
}

// defaultRestoredInTx reports whether the transaction of a DROP DEFAULT
// command also sets a new default (or drops NOT NULL) after it, so that no
// insert ever sees the column without one.
func defaultRestoredInTx(p *Pass, at *pg.AlterTableStmt, cmd *pg.AlterTableCmd) bool {
	var rest []*pg.AlterTableCmd
	seen := false
	for _, c := range at.Cmds {
		if c.GetAlterTableCmd() == cmd {
			seen = true
			continue
		}
		if seen && c.GetAlterTableCmd() != nil {
			rest = append(rest, c.GetAlterTableCmd())
		}
	}
	r := defaultRestoredInFile(p, QualifiedName(at.Relation), cmd.Name, rest)
	return r.stmt != nil && r.sameTx
}
