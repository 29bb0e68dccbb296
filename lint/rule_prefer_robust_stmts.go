package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var rulePreferRobustStmts = &Rule{
	ID:       "prefer-robust-stmts",
	Severity: Warning,
	Summary:  "a CREATE or DROP that cannot run twice, in a file that is not atomic",
	Doc: `When the statements of a file commit one by one, a failure half-way (a lock timeout, a deadlock,
a duplicate key) leaves the first part applied and golang-migrate marks the version dirty; the
file is then fixed and run again, and every CREATE of something that now exists, or DROP of
something now gone, fails on the second run. That is the case with x-multi-statement=true
(runner multi-statement), with runners that commit each statement (per-statement), and for
CREATE/DROP INDEX CONCURRENTLY, which commit in several steps even in a file of their own. Write
them so they can run twice: IF NOT EXISTS / IF EXISTS, CREATE OR REPLACE, DROP CONSTRAINT IF EXISTS
before ADD CONSTRAINT, and a DO block that ignores duplicate_object for CREATE TYPE. A failed
CREATE INDEX CONCURRENTLY leaves an INVALID index behind that IF NOT EXISTS would skip, so drop it
first (DROP INDEX CONCURRENTLY IF EXISTS) where the runner allows two statements in the file.
golang-migrate's default mode sends a file as one query string, which PostgreSQL runs as one
transaction: such a file is atomic, a failure leaves nothing behind, and this rule stays quiet;
statements inside BEGIN ... COMMIT and the last statement that can fail are quiet too. Renames are
not flagged: PostgreSQL has no IF EXISTS for the renamed column.`,
	Check: func(p *Pass) {
		if p.Stmt.Via != nil || p.InBlock() {
			return
		}
		n := p.Node()
		concurrent := (n.GetIndexStmt() != nil && n.GetIndexStmt().Concurrent) || (n.GetDropStmt() != nil && n.GetDropStmt().Concurrent)
		if !concurrent && (p.Config.Runner == RunnerGolangMigrate || !laterCanFail(p)) {
			return // atomic, or nothing after it can fail
		}
		how := map[Runner]string{
			RunnerGolangMigrate:  "runs in several transactions of its own",
			RunnerMultiStatement: "runs in autocommit (x-multi-statement=true splits the file and sends each statement on its own)",
			RunnerPerStatement:   "commits on its own (runner per-statement)",
		}[p.Config.Runner]
		if concurrent {
			how = "commits in several steps"
		}
		if is := n.GetIndexStmt(); is != nil && is.Concurrent {
			robustCIC(p, is)
			return
		}
		what, fix := robustRewrite(p)
		if what == "" {
			return
		}
		f := Finding{
			Message: fmt.Sprintf("%s %s: if a later statement of the file fails, re-running the file fails here because %s", verb(p), how, what),
			Fix:     fix,
		}
		if concurrent {
			f.Message = fmt.Sprintf("%s %s: if it fails or the run stops after it, re-running the file fails here because %s", verb(p), how, what)
		}
		if ownLines(p) && !strings.Contains(fix, "\n") {
			f.Suggestion = fix
		}
		p.Report(f)
	},
}

// laterCanFail reports whether a statement after the pass's one in the file
// can fail (anything but SET, RESET, SHOW and transaction control).
func laterCanFail(p *Pass) bool {
	for i := p.Stmt.Index + 1; i < len(p.File.Statements); i++ {
		n := p.File.Statements[i].Node
		if n.GetVariableSetStmt() == nil && n.GetVariableShowStmt() == nil && n.GetTransactionStmt() == nil {
			return true
		}
	}
	return false
}

// robustRewrite says what makes the statement fail on a second run and
// returns a form that runs twice.
func robustRewrite(p *Pass) (what, fix string) {
	n := p.Node()
	rewrite := func(m func(*pg.Node)) string { return p.Rewrite(m) }
	switch {
	case n.GetCreateStmt() != nil && !n.GetCreateStmt().IfNotExists:
		return Name(n.GetCreateStmt().Relation) + " then exists", rewrite(func(c *pg.Node) { c.GetCreateStmt().IfNotExists = true })
	case n.GetIndexStmt() != nil && !n.GetIndexStmt().IfNotExists && n.GetIndexStmt().Idxname != "":
		return "index " + n.GetIndexStmt().Idxname + " then exists", rewrite(func(c *pg.Node) { c.GetIndexStmt().IfNotExists = true })
	case n.GetCreateSeqStmt() != nil && !n.GetCreateSeqStmt().IfNotExists:
		return "sequence " + Name(n.GetCreateSeqStmt().Sequence) + " then exists", rewrite(func(c *pg.Node) { c.GetCreateSeqStmt().IfNotExists = true })
	case n.GetCreateSchemaStmt() != nil && !n.GetCreateSchemaStmt().IfNotExists:
		return "schema " + n.GetCreateSchemaStmt().Schemaname + " then exists", rewrite(func(c *pg.Node) { c.GetCreateSchemaStmt().IfNotExists = true })
	case n.GetCreateExtensionStmt() != nil && !n.GetCreateExtensionStmt().IfNotExists:
		return "extension " + n.GetCreateExtensionStmt().Extname + " then exists", rewrite(func(c *pg.Node) { c.GetCreateExtensionStmt().IfNotExists = true })
	case n.GetCreateTableAsStmt() != nil && !n.GetCreateTableAsStmt().IfNotExists && n.GetCreateTableAsStmt().Into != nil:
		return Name(n.GetCreateTableAsStmt().Into.Rel) + " then exists", rewrite(func(c *pg.Node) { c.GetCreateTableAsStmt().IfNotExists = true })
	case n.GetViewStmt() != nil && !n.GetViewStmt().Replace:
		return "view " + Name(n.GetViewStmt().View) + " then exists", rewrite(func(c *pg.Node) { c.GetViewStmt().Replace = true })
	case n.GetCreateFunctionStmt() != nil && !n.GetCreateFunctionStmt().Replace:
		_, name := splitName(n.GetCreateFunctionStmt().Funcname)
		return name + "() then exists", rewrite(func(c *pg.Node) { c.GetCreateFunctionStmt().Replace = true })
	case n.GetCreateTrigStmt() != nil && !n.GetCreateTrigStmt().Replace:
		ct := n.GetCreateTrigStmt()
		what = "trigger " + ct.Trigname + " then exists"
		if p.PGVersion() >= 14 {
			return what, rewrite(func(c *pg.Node) { c.GetCreateTrigStmt().Replace = true })
		}
		return what, fmt.Sprintf("-- CREATE OR REPLACE TRIGGER needs PostgreSQL 14\nDROP TRIGGER IF EXISTS %s ON %s;\n%s;", ct.Trigname, Name(ct.Relation), strings.TrimSpace(p.Stmt.Text()))
	case n.GetCreateEnumStmt() != nil || n.GetCompositeTypeStmt() != nil || n.GetCreateDomainStmt() != nil || n.GetCreateRangeStmt() != nil:
		return "the type then exists (CREATE TYPE has no IF NOT EXISTS)",
			fmt.Sprintf("DO $$\nBEGIN\n  %s;\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND\n$$;", strings.TrimSpace(p.Stmt.Text()))
	case n.GetAlterEnumStmt() != nil && n.GetAlterEnumStmt().OldVal == "" && !n.GetAlterEnumStmt().SkipIfNewValExists:
		return "the value '" + n.GetAlterEnumStmt().NewVal + "' then exists", rewrite(func(c *pg.Node) { c.GetAlterEnumStmt().SkipIfNewValExists = true })
	case n.GetDropStmt() != nil && !n.GetDropStmt().MissingOk:
		var names []string
		for _, o := range n.GetDropStmt().Objects {
			s, nm := objectName(o)
			names = append(names, DisplayName(qualify(s, nm)))
		}
		return list(names) + " is then gone", rewrite(func(c *pg.Node) { c.GetDropStmt().MissingOk = true })
	case n.GetAlterTableStmt() != nil:
		return robustAlterTable(p)
	}
	return "", ""
}

func robustAlterTable(p *Pass) (what, fix string) {
	at := p.Node().GetAlterTableStmt()
	var whats []string
	dropped := map[string]bool{} // DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c: runs twice
	for _, c := range at.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			if !cmd.MissingOk {
				whats = append(whats, "column "+cmd.Def.GetColumnDef().GetColname()+" then exists")
			}
		case pg.AlterTableType_AT_DropColumn:
			if !cmd.MissingOk {
				whats = append(whats, "column "+cmd.Name+" is then gone")
			}
		case pg.AlterTableType_AT_DropConstraint:
			if !cmd.MissingOk {
				whats = append(whats, "constraint "+cmd.Name+" is then gone")
			}
			dropped[cmd.Name] = true
		case pg.AlterTableType_AT_AddConstraint:
			if con := cmd.Def.GetConstraint(); con != nil && con.Indexname == "" && !dropped[constraintName(p, at, con)] {
				whats = append(whats, "constraint "+constraintName(p, at, con)+" then exists")
			}
		}
	}
	if len(whats) == 0 {
		return "", ""
	}
	dropped = map[string]bool{}
	fix = p.Rewrite(func(n *pg.Node) {
		at := n.GetAlterTableStmt()
		var cmds []*pg.Node
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				cmds = append(cmds, c)
				continue
			}
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddColumn, pg.AlterTableType_AT_DropColumn:
				cmd.MissingOk = true
			case pg.AlterTableType_AT_DropConstraint:
				dropped[cmd.Name] = true
				cmd.MissingOk = true
			case pg.AlterTableType_AT_AddConstraint:
				if con := cmd.Def.GetConstraint(); con != nil && con.Indexname == "" && !dropped[constraintName(p, at, con)] {
					if con.Conname == "" {
						con.Conname = constraintName(p, at, con)
					}
					cmds = append(cmds, &pg.Node{Node: &pg.Node_AlterTableCmd{AlterTableCmd: &pg.AlterTableCmd{
						Subtype: pg.AlterTableType_AT_DropConstraint, Name: con.Conname, MissingOk: true, Behavior: pg.DropBehavior_DROP_RESTRICT}}})
				}
			}
			cmds = append(cmds, c)
		}
		at.Cmds = cmds
	})
	return list(whats), fix
}

// constraintName is a constraint's name, or the one PostgreSQL gives it.
func constraintName(p *Pass, at *pg.AlterTableStmt, con *pg.Constraint) string {
	if con.Conname != "" {
		return con.Conname
	}
	return defaultConstraintName(at.Relation.Relname, ConstraintColumns(con), constraintKind(con.Contype))
}

// robustCIC reports a CREATE INDEX CONCURRENTLY that a second run would
// trip over: a failed build leaves an INVALID index behind.
func robustCIC(p *Pass, is *pg.IndexStmt) {
	name := is.Idxname
	if name == "" {
		name = indexName(is.Relation.Relname, IndexColumns(is))
	}
	// A DROP INDEX ... IF EXISTS of the same index earlier in the file
	// clears any leftover: robust.
	for _, s := range p.File.Statements {
		if s == p.Stmt {
			break
		}
		if ds := s.Node.GetDropStmt(); ds != nil && ds.RemoveType == pg.ObjectType_OBJECT_INDEX && ds.MissingOk {
			for _, o := range ds.Objects {
				if sc, nm := objectName(o); qualify(sc, nm) == qualify(schemaOf(is.Relation), name) {
					return
				}
			}
		}
	}
	cic := p.Rewrite(func(n *pg.Node) {
		n.GetIndexStmt().Idxname = name
		n.GetIndexStmt().IfNotExists = false
	})
	drop := fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s;", DisplayName(qualify(schemaOf(is.Relation), name)))
	f := Finding{}
	switch {
	case p.Config.Runner != RunnerGolangMigrate:
		// Two statements in the file run one by one: drop any leftover first.
		f.Message = fmt.Sprintf("CREATE INDEX CONCURRENTLY %s leaves an INVALID index behind if it fails (a lock timeout, a deadlock, a duplicate key): re-running the file then fails with \"already exists\"", name)
		if is.IfNotExists {
			f.Message = fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s skips the INVALID index that a failed earlier run leaves behind, so a re-run succeeds without a usable index", name)
		}
		f.Fix = drop + "\n" + cic
	case is.IfNotExists:
		return // the best a file of one statement can do
	default:
		f.Message = fmt.Sprintf("CREATE INDEX CONCURRENTLY %s leaves an INVALID index behind if it fails (a lock timeout, a deadlock, a duplicate key): re-running the file then fails with \"already exists\"", name)
		f.Fix = p.Rewrite(func(n *pg.Node) { n.GetIndexStmt().Idxname, n.GetIndexStmt().IfNotExists = name, true }) +
			fmt.Sprintf("\n-- IF NOT EXISTS would also skip an INVALID leftover: after a failed run, drop it before re-running:\n-- %s", drop)
	}
	p.Report(f)
}
