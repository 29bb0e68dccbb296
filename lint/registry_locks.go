package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

// lockRules: statements that take a lock that stalls traffic, or scan or
// rewrite a table while holding one.
var lockRules = []*Rule{
	ruleCreateIndexNonConcurrent,
	ruleChangeColumnType,
	ruleUnbatchedBackfill,
	ruleDropIndexNonConcurrent,
	ruleReindexNonConcurrent,
	ruleAddForeignKeyNotValidMissing,
	ruleAddCheckNotValidMissing,
	ruleValidateInSameTransaction,
	ruleAddUniqueConstraint,
	ruleAddPrimaryKey,
	ruleAddExclusionConstraint,
	ruleVacuumFull,
	ruleCluster,
	ruleLockTable,
	ruleTruncate,
	ruleRefreshMatviewNonConcurrent,
}

// lockAlter returns an ALTER TABLE of a table with readers, its subcommands
// and what the catalog knows of the table (nil when the history never
// created it); at is nil for any other statement.
func lockAlter(p *Pass) (at *pg.AlterTableStmt, cmds []*pg.AlterTableCmd, t *Table) {
	at = p.Node().GetAlterTableStmt()
	if at == nil || at.Objtype != pg.ObjectType_OBJECT_TABLE || !p.Existing(at.Relation) {
		return nil, nil, nil
	}
	for _, c := range at.Cmds {
		if cmd := c.GetAlterTableCmd(); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return at, cmds, p.Catalog.Table(at.Relation)
}

// alterSQL renders ALTER TABLE <relation> with the given subcommands.
func alterSQL(at *pg.AlterTableStmt, cmds ...*pg.AlterTableCmd) string {
	st := &pg.AlterTableStmt{Relation: at.Relation, Objtype: at.Objtype, MissingOk: at.MissingOk}
	for _, c := range cmds {
		st.Cmds = append(st.Cmds, &pg.Node{Node: &pg.Node_AlterTableCmd{AlterTableCmd: c}})
	}
	return stmtSQL(&pg.Node{Node: &pg.Node_AlterTableStmt{AlterTableStmt: st}})
}

// stmtSQL deparses a statement built or copied by a rule, with a semicolon.
func stmtSQL(n *pg.Node) string { return RewriteNode(n, nil) }

// cloneCmd returns a deep copy of an ALTER TABLE subcommand to mutate.
func cloneCmd(c *pg.AlterTableCmd) *pg.AlterTableCmd { return pgtree.Clone(c) }

// identSQL quotes an identifier as PostgreSQL needs it.
func identSQL(name string) string {
	return sqlIdent(name)
}

// relSQL renders a qualified catalog name for SQL (public. dropped).
func relSQL(qualified string) string {
	schema, name, ok := strings.Cut(qualified, ".")
	if !ok {
		return identSQL(qualified)
	}
	if schema == "public" {
		return identSQL(name)
	}
	return identSQL(schema) + "." + identSQL(name)
}

// rvSQL renders a relation as written (schema kept when given).
func rvSQL(rv *pg.RangeVar) string {
	if rv.Schemaname != "" {
		return identSQL(rv.Schemaname) + "." + identSQL(rv.Relname)
	}
	return identSQL(rv.Relname)
}

// colsSQL renders a column list: a, "B", c.
func colsSQL(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = identSQL(c)
	}
	return strings.Join(q, ", ")
}

// aloneNote is the instruction a statement that cannot run in a
// transaction block needs, for the configured runner.
func aloneNote(p *Pass) string {
	if p.Config.Runner == RunnerGolangMigrate {
		return "-- in a migration file of its own (golang-migrate runs a file of several statements as one transaction, and this cannot run in one):\n"
	}
	return "-- outside any BEGIN ... COMMIT block (it cannot run in a transaction):\n"
}

// laterFileNote starts the step of a fix that must run in a later file.
const laterFileNote = "-- in a later migration file (its own transaction):\n"

// laterInTransaction returns the statements after the current one that run
// in the same transaction: the rest of the file in golang-migrate's default
// mode, or up to the COMMIT of an explicit block.
func laterInTransaction(p *Pass) []*Statement {
	var out []*Statement
	top := p.Stmt
	if p.Stmt.Via != nil {
		top = p.Stmt.Via
		after := false
		for _, ns := range top.nested {
			if after {
				out = append(out, ns)
			}
			after = after || ns == p.Stmt || (ns.Start == p.Stmt.Start && ns.End == p.Stmt.End)
		}
	}
	if !p.Tx.MultiQuery && !p.Tx.Explicit {
		return out
	}
	for _, s := range p.File.Statements[top.Index+1:] {
		if ts := s.Node.GetTransactionStmt(); ts != nil {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
				pg.TransactionStmtKind_TRANS_STMT_PREPARE:
				return out
			}
			continue
		}
		out = append(out, s)
		out = append(out, s.nested...)
	}
	return out
}

// stmtLine is the line a statement starts on.
func stmtLine(s *Statement) int { return lineOf(s.source, s.Start) }

// uniqueIndexOn finds a valid-looking unique index on exactly these columns
// (in order), usable by ADD CONSTRAINT ... USING INDEX: not partial, no
// expressions, not already backing a constraint.
func uniqueIndexOn(c *Catalog, t *Table, cols []string) *Index {
	if t == nil {
		return nil
	}
	for _, ix := range c.IndexesOn(t.Qualified()) {
		if !ix.Unique || ix.Partial || ix.Expression || !sameStrings(ix.Columns, cols) {
			continue
		}
		if ct := t.Constraint(ix.Name); ct != nil && (ct.Kind == Unique || ct.Kind == PrimaryKey) {
			continue
		}
		return ix
	}
	return nil
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// uniqueIndexSQL renders CREATE UNIQUE INDEX CONCURRENTLY for the keys of
// a UNIQUE or PRIMARY KEY constraint.
func uniqueIndexSQL(rv *pg.RangeVar, name string, cols []string, con *pg.Constraint) string {
	is := &pg.IndexStmt{Idxname: name, Relation: rv, AccessMethod: "btree", Unique: true, Concurrent: true}
	elem := func(c string) *pg.Node {
		return &pg.Node{Node: &pg.Node_IndexElem{IndexElem: &pg.IndexElem{Name: c,
			Ordering: pg.SortByDir_SORTBY_DEFAULT, NullsOrdering: pg.SortByNulls_SORTBY_NULLS_DEFAULT}}}
	}
	for _, c := range cols {
		is.IndexParams = append(is.IndexParams, elem(c))
	}
	if con != nil {
		is.NullsNotDistinct = con.NullsNotDistinct
		is.Options = con.Options
		is.TableSpace = con.Indexspace
		for _, inc := range con.Including {
			is.IndexIncludingParams = append(is.IndexIncludingParams, elem(strVal(inc)))
		}
	}
	return stmtSQL(&pg.Node{Node: &pg.Node_IndexStmt{IndexStmt: is}})
}

// usingIndexSQL renders ALTER TABLE ... ADD CONSTRAINT name UNIQUE|PRIMARY
// KEY USING INDEX index, keeping the constraint's deferrability.
func usingIndexSQL(at *pg.AlterTableStmt, kind pg.ConstrType, name, index string, con *pg.Constraint) string {
	c := &pg.Constraint{Contype: kind, Conname: name, Indexname: index}
	if con != nil {
		c.Deferrable, c.Initdeferred = con.Deferrable, con.Initdeferred
	}
	return alterSQL(at, &pg.AlterTableCmd{Subtype: pg.AlterTableType_AT_AddConstraint,
		Def: &pg.Node{Node: &pg.Node_Constraint{Constraint: c}}, Behavior: pg.DropBehavior_DROP_RESTRICT})
}

// notNullSteps returns the fix steps that make columns NOT NULL without a
// long lock (a validated CHECK proves it from PostgreSQL 12), or "".
func notNullSteps(rv *pg.RangeVar, cols []string) (add, validate string) {
	var a, v []string
	for _, c := range cols {
		name := identSQL(rv.Relname + "_" + c + "_not_null")
		a = append(a, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;", rvSQL(rv), name, identSQL(c)))
		v = append(v, fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", rvSQL(rv), name))
	}
	return strings.Join(a, "\n"), strings.Join(v, "\n")
}

// nullableColumns splits columns into those that may hold NULL (not NOT
// NULL and no validated CHECK (col IS NOT NULL)) and those the catalog does
// not know.
func nullableColumns(t *Table, cols []string) (nullable, unknown []string) {
	for _, c := range cols {
		col := t.Column(c)
		switch {
		case col == nil:
			unknown = append(unknown, c)
		case !col.NotNull && !t.HasValidNotNullCheck(c):
			nullable = append(nullable, c)
		}
	}
	return nullable, unknown
}

// constraintNameOf is the name PostgreSQL gives the constraint.
func constraintNameOf(rv *pg.RangeVar, con *pg.Constraint, cols []string) string {
	if con.Conname != "" {
		return con.Conname
	}
	return defaultConstraintName(rv.Relname, cols, constraintKind(con.Contype))
}

// tableUse names the traffic a lock blocks, for messages.
func blocksWhat(m LockMode) string {
	switch {
	case m >= AccessExclusive:
		return "reads and writes"
	case m >= Share:
		return "writes"
	}
	return "schema changes"
}

// joinNames joins names for a message: "a", "a and b", "a, b and c".
func joinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
