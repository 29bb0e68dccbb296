package trace

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lockstep-dev/lockstep/internal/pgtest"
	"github.com/lockstep-dev/lockstep/lint"
)

// TestLintLocksMatchPostgres runs the positive testdata of every lint rule
// (lint/testdata/rules/<id>/, rules added later included) through the
// tracer against the real PostgreSQL, and checks that the lock each finding
// predicts (Finding.Lock: mode on relation) is the strongest one PostgreSQL
// takes on that relation. Each flagged statement is traced alone, after the
// statements before it ran for real, so its own locks are seen; tables the
// testdata uses without creating them are made up by the harness from what
// the statement names. What cannot be compared is listed, with the reason,
// in testdata/lock_skips.txt.
func TestLintLocksMatchPostgres(t *testing.T) {
	root := filepath.Join("..", "..", "lint", "testdata", "rules")
	skips := readSkips(t, filepath.Join("testdata", "lock_skips.txt"))
	var compared, skipped int
	for _, r := range lint.Rules() {
		entries, err := os.ReadDir(filepath.Join(root, r.ID))
		if err != nil {
			continue // TestRules reports rules without testdata
		}
		for _, e := range entries {
			path := filepath.Join(root, r.ID, e.Name())
			if !e.IsDir() && !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			t.Run(r.ID+"/"+e.Name(), func(t *testing.T) {
				c, s := checkCase(t, r.ID, path, e.IsDir(), skips)
				compared += c
				skipped += s
			})
		}
	}
	t.Logf("%d lock predictions compared with PostgreSQL, %d skipped (testdata/lock_skips.txt)", compared, skipped)
	if compared < 20 {
		t.Errorf("only %d lock predictions compared: the harness found too little to check", compared)
	}
	for k, sk := range skips {
		if !sk.used {
			t.Errorf("testdata/lock_skips.txt: %q matches no finding any more: remove it", k)
		}
	}
}

type skip struct {
	reason string
	used   bool
}

// readSkips reads "rule-id path:line reason" lines (path relative to
// lint/testdata/rules/<rule-id>/).
func readSkips(t *testing.T, path string) map[string]*skip {
	t.Helper()
	out := map[string]*skip{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, " ", 3)
		if len(parts) < 3 || strings.TrimSpace(parts[2]) == "" {
			t.Fatalf("%s:%d: want `rule-id path:line reason`", path, n)
		}
		out[parts[0]+" "+parts[1]] = &skip{reason: parts[2]}
	}
	return out
}

var testOptRe = regexp.MustCompile(`^--\s*test:\s*(.*)$`)

// caseInputs reads a case as lint's TestRules does: files in history order
// and the options of their "-- test:" lines.
func caseInputs(t *testing.T, path string, isDir bool, pgVersion int) ([]lint.Input, lint.Config) {
	t.Helper()
	paths := []string{path}
	if isDir {
		ms, err := lint.Discover(lint.DirFS(), path)
		if err != nil {
			t.Fatal(err)
		}
		paths = nil
		for _, m := range ms {
			if m.Direction == lint.Up {
				paths = append(paths, m.Path)
			}
		}
	}
	cfg := lint.DefaultConfig()
	var newSet []string
	var inputs []lint.Input
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := testOptRe.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			for _, kv := range strings.Fields(m[1]) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "runner":
					cfg.Runner = lint.Runner(v)
				case "new":
					newSet = append(newSet, strings.Split(v, ",")...)
				case "assume_lock_timeout":
					cfg.AssumeLockTimeout = v == "true"
				case "rule":
					id, sev, _ := strings.Cut(v, ":")
					if cfg.Rules == nil {
						cfg.Rules = map[string]string{}
					}
					cfg.Rules[id] = sev
				}
			}
		}
		isNew := false
		for _, prefix := range newSet {
			if strings.HasPrefix(filepath.Base(p), prefix) {
				isNew = true
			}
		}
		inputs = append(inputs, lint.Input{Path: p, Text: string(b), New: isNew})
	}
	// The prediction is compared with the server at hand, whatever version
	// the case targets.
	cfg.PGVersion = pgVersion
	return inputs, cfg
}

type target struct {
	rule  string
	lock  lint.Lock
	line  int
	label string // path relative to the rule's testdata, and line
}

func checkCase(t *testing.T, ruleID, path string, isDir bool, skips map[string]*skip) (compared, skipped int) {
	ctx := ctx(t)
	url := pgtest.Database(t)
	s, err := Connect(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	major, _ := strconv.Atoi(strings.Split(s.Server(), ".")[0])
	if major < lint.MinPGVersion || major > lint.MaxPGVersion {
		major = lint.DefaultPGVersion
	}
	inputs, cfg := caseInputs(t, path, isDir, major)
	l, err := lint.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Lint(ctx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]map[int][]target{} // file -> statement index
	ruleDir := filepath.Join(filepath.Dir(path))
	if isDir {
		ruleDir = filepath.Dir(path)
	}
	for _, f := range res.Findings {
		if (f.Rule != ruleID && os.Getenv("ALL_FINDINGS") == "") || f.Lock.Mode == lint.NoLock || f.Lock.Relation == "" {
			continue
		}
		rel, _ := filepath.Rel(ruleDir, f.Pos.File)
		if targets[f.Pos.File] == nil {
			targets[f.Pos.File] = map[int][]target{}
		}
		targets[f.Pos.File][f.Statement] = append(targets[f.Pos.File][f.Statement],
			target{rule: f.Rule, lock: f.Lock, line: f.Pos.Line, label: fmt.Sprintf("%s:%d", filepath.ToSlash(rel), f.Pos.Line)})
	}
	if len(targets) == 0 {
		return 0, 0
	}
	made := map[string]string{} // relations the harness made: index -> its table, table -> ""
	for _, in := range inputs {
		f := lint.Parse(lint.NewSource(in.Path, in.Text))
		if f.Err != nil {
			return compared, skipped
		}
		for _, st := range f.Statements {
			if _, ok := txControl(st); ok {
				continue
			}
			if err := prepare(ctx, s, st, made); err != nil {
				t.Logf("%s:%d: preparing: %v", in.Path, line(f, st), err)
			}
			ts := targets[in.Path][st.Index]
			if len(ts) == 0 {
				if err := s.Apply(ctx, in.Path, st.Text()); err != nil {
					t.Logf("%s:%d: %v (the case goes on)", in.Path, line(f, st), err)
				}
				continue
			}
			alone := lint.Parse(lint.NewSource(in.Path, st.Text()+";\n"))
			ft, err := s.Trace(ctx, alone)
			if err != nil {
				t.Fatal(err)
			}
			got := ft.Statements[0]
			for _, tg := range ts {
				key := tg.rule + " " + tg.label
				if sk := skips[key]; sk != nil {
					sk.used = true
					if want, ok := strings.CutPrefix(sk.reason, "fails:"); ok {
						// lint says the statement cannot work: PostgreSQL must agree.
						compared++
						if got.Err == "" {
							t.Errorf("%s (%s): lint predicts the statement fails (%s), PostgreSQL %s runs it", tg.label, tg.rule, strings.TrimSpace(want), s.Server())
						} else if want = strings.TrimSpace(want); !strings.Contains(got.Err, want) {
							t.Errorf("%s (%s): PostgreSQL %s fails with %q, testdata/lock_skips.txt expects %q", tg.label, tg.rule, s.Server(), got.Err, want)
						}
						continue
					}
					skipped++
					continue
				}
				rel := tg.lock.Relation
				if !strings.Contains(rel, ".") {
					rel = "public." + rel
				}
				// An index the history never creates: lint cannot know its
				// table and names the index in its stead, so either counts.
				if table := made[rel]; table != "" && lockOn(got, rel) != tg.lock.Mode {
					rel = table
				}
				if got.Err != "" {
					t.Errorf("%s (%s): the statement fails on PostgreSQL %s: %s; create what it needs in the testdata, or list `%s <reason>` in testdata/lock_skips.txt",
						tg.label, tg.rule, s.Server(), got.Err, key)
					continue
				}
				compared++
				if m := lockOn(got, rel); m != tg.lock.Mode {
					t.Errorf("%s (%s): lint predicts %s on %s, PostgreSQL %s takes %s (all: %s)\n\t%s",
						tg.label, tg.rule, tg.lock.Mode, lint.DisplayName(rel), s.Server(), orNone(m), lockList(got.Locks), got.SQL)
				}
			}
			if ft.RolledBack {
				if err := s.Apply(ctx, in.Path, st.Text()); err != nil {
					t.Logf("%s:%d: %v (the case goes on)", in.Path, line(f, st), err)
				}
			}
		}
	}
	return compared, skipped
}

func orNone(m lint.LockMode) string {
	if m == lint.NoLock {
		return "no lock"
	}
	return m.String()
}

func lockList(ls []Lock) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Mode.String()+" on "+lint.DisplayName(l.Relation))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// prepare creates what a statement needs and the testdata does not create:
// tables (with the columns the statement names), indexes, constraints,
// materialized views, schemas. It is the harness's stand-in for the
// production schema a migration runs against.
func prepare(ctx context.Context, s *Session, st *lint.Statement, made map[string]string) error {
	need := needs(st)
	for _, e := range need.enums {
		var exists bool
		if err := s.conn.QueryRow(ctx, "SELECT to_regtype($1) IS NOT NULL", quoteName(e)).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE TYPE %s AS ENUM ('lockstep_harness')", quoteName(e))); err != nil {
				return err
			}
		}
	}
	for _, schema := range need.schemas {
		if _, err := s.conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema)); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(need.tables))
	for n := range need.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		tb := need.tables[name]
		var exists bool
		if err := s.conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", quoteName(name)).Scan(&exists); err != nil {
			return err
		}
		if exists {
			if _, ours := made[name]; ours && !tb.matview && !tb.view {
				// A table the harness made for an earlier statement: give it
				// the columns this one names.
				for _, c := range tb.columnList() {
					if _, err := s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", quoteName(name), quoteIdent(c), columnType(c, tb.types[c]))); err != nil {
						return err
					}
				}
			}
		} else {
			made[name] = ""
			if tb.view {
				if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE VIEW %s AS SELECT 1::bigint AS id", quoteName(name))); err != nil {
					return err
				}
				continue
			}
			if tb.matview {
				if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS SELECT 1::bigint AS id", quoteName(name))); err != nil {
					return err
				}
				if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE UNIQUE INDEX ON %s (id)", quoteName(name))); err != nil {
					return err
				}
				continue
			}
			var cols []string
			for _, c := range tb.columnList() {
				def := quoteIdent(c) + " " + columnType(c, tb.types[c])
				if c == "id" && !tb.addsPK && !tb.hasPK(ctx, s, name) {
					def += " PRIMARY KEY"
				}
				cols = append(cols, def)
			}
			if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", quoteName(name), strings.Join(cols, ", "))); err != nil {
				return fmt.Errorf("CREATE TABLE %s: %w", name, err)
			}
			if need.loops {
				// A loop over the table must run its body once.
				row := "DEFAULT VALUES"
				if contains(tb.columnList(), "id") {
					row = "(id) VALUES (1)"
				}
				if _, err := s.conn.Exec(ctx, fmt.Sprintf("INSERT INTO %s %s", quoteName(name), row)); err != nil {
					return err
				}
			}
		}
		for con, notValid := range tb.constraints {
			if tb.addsCons[con] {
				continue
			}
			var n int
			if err := s.conn.QueryRow(ctx, "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2", quoteName(name), con).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				sql := fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (true)", quoteName(name), quoteIdent(con))
				if notValid {
					sql += " NOT VALID"
				}
				if _, err := s.conn.Exec(ctx, sql); err != nil {
					return err
				}
			}
		}
	}
	for _, ix := range need.indexes {
		var exists bool
		if err := s.conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", quoteName(ix)).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		schema, name, _ := strings.Cut(ix, ".")
		tbl := schema + "." + name + "_table"
		if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (id bigint)", quoteName(tbl))); err != nil {
			return err
		}
		if _, err := s.conn.Exec(ctx, fmt.Sprintf("CREATE INDEX %s ON %s (id)", quoteIdent(name), quoteName(tbl))); err != nil {
			return err
		}
		made[ix], made[tbl] = tbl, ""
	}
	return nil
}

// hasPK is never true for a table about to be made; kept as a hook for
// tables the statement itself gives a primary key.
func (tb *tableNeed) hasPK(context.Context, *Session, string) bool { return false }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

type tableNeed struct {
	cols        []string
	types       map[string]string // target type of ALTER COLUMN ... TYPE
	constraints map[string]bool   // name -> must be NOT VALID
	addsPK      bool
	adds        map[string]bool // columns the statement adds
	addsCons    map[string]bool // constraints the statement adds
	matview     bool
	view        bool
}

func (tb *tableNeed) columnList() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range tb.cols {
		if !seen[c] && !tb.adds[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = []string{"lockstep_harness"}
	}
	return out
}

type need struct {
	schemas []string
	tables  map[string]*tableNeed
	indexes []string
	enums   []string
	// loops is true for a DO block with a loop.
	loops bool
}

func qualify(schema, name string) string {
	if schema == "" {
		schema = "public"
	}
	return schema + "." + name
}

// needs reads what a statement (and the statements of its DO block) uses.
func needs(st *lint.Statement) need {
	nd := need{tables: map[string]*tableNeed{}}
	table := func(rv *pg.RangeVar) *tableNeed {
		q := qualify(rv.Schemaname, rv.Relname)
		if rv.Schemaname != "" && rv.Schemaname != "public" {
			nd.schemas = append(nd.schemas, rv.Schemaname)
		}
		tb := nd.tables[q]
		if tb == nil {
			tb = &tableNeed{types: map[string]string{}, constraints: map[string]bool{}, adds: map[string]bool{}, addsCons: map[string]bool{}}
			nd.tables[q] = tb
		}
		return tb
	}
	nodes := []*pg.Node{st.Node}
	for _, ns := range st.Nested() {
		nodes = append(nodes, ns.Node)
		nd.loops = nd.loops || ns.InLoop
	}
	for _, n := range nodes {
		var main *tableNeed
		if ae := n.GetAlterEnumStmt(); ae != nil {
			var parts []string
			for _, p := range ae.TypeName {
				parts = append(parts, p.GetString_().GetSval())
			}
			if len(parts) == 1 {
				parts = append([]string{"public"}, parts...)
			}
			nd.enums = append(nd.enums, strings.Join(parts, "."))
		}
		created := map[*pg.RangeVar]bool{}
		switch {
		case n.GetCreateStmt() != nil:
			created[n.GetCreateStmt().Relation] = true
		case n.GetViewStmt() != nil:
			created[n.GetViewStmt().View] = true
		case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Into != nil:
			created[n.GetCreateTableAsStmt().Into.Rel] = true
		case n.GetAlterTableStmt() != nil:
			at := n.GetAlterTableStmt()
			if at.Objtype == pg.ObjectType_OBJECT_INDEX {
				nd.indexes = append(nd.indexes, qualify(at.Relation.Schemaname, at.Relation.Relname))
				created[at.Relation] = true
				break
			}
			if at.Objtype == pg.ObjectType_OBJECT_MATVIEW {
				table(at.Relation).matview = true
			}
			main = table(at.Relation)
			for _, c := range at.Cmds {
				cmd := c.GetAlterTableCmd()
				if cmd == nil {
					continue
				}
				switch cmd.Subtype {
				case pg.AlterTableType_AT_AddColumn:
					if cd := cmd.Def.GetColumnDef(); cd != nil {
						main.adds[cd.Colname] = true
						for _, c := range cd.Constraints {
							if con := c.GetConstraint(); con != nil {
								fkTarget(table, con)
							}
							if c.GetConstraint().GetContype() == pg.ConstrType_CONSTR_PRIMARY {
								main.addsPK = true
							}
						}
					}
				case pg.AlterTableType_AT_AddConstraint:
					if con := cmd.Def.GetConstraint(); con != nil {
						main.cols = append(main.cols, lint.ConstraintColumns(con)...)
						if con.Conname != "" {
							main.addsCons[con.Conname] = true
						}
						if con.Contype == pg.ConstrType_CONSTR_PRIMARY {
							main.addsPK = true
						}
						fkTarget(table, con)
					}
				case pg.AlterTableType_AT_DropConstraint:
					main.constraints[cmd.Name] = false
				case pg.AlterTableType_AT_ValidateConstraint:
					main.constraints[cmd.Name] = true
				case pg.AlterTableType_AT_AlterColumnType:
					main.cols = append(main.cols, cmd.Name)
					if cd := cmd.Def.GetColumnDef(); cd != nil {
						main.types[cmd.Name] = lint.TypeOf(cd.TypeName).Name
					}
				default:
					if cmd.Name != "" {
						main.cols = append(main.cols, cmd.Name)
					}
				}
			}
		case n.GetIndexStmt() != nil:
			is := n.GetIndexStmt()
			main = table(is.Relation)
			main.cols = append(main.cols, lint.IndexColumns(is)...)
		case n.GetRenameStmt() != nil:
			rs := n.GetRenameStmt()
			if rs.Relation == nil {
				break
			}
			switch rs.RenameType {
			case pg.ObjectType_OBJECT_INDEX:
				nd.indexes = append(nd.indexes, qualify(rs.Relation.Schemaname, rs.Relation.Relname))
				created[rs.Relation] = true
			case pg.ObjectType_OBJECT_COLUMN:
				table(rs.Relation).cols = append(table(rs.Relation).cols, rs.Subname)
			case pg.ObjectType_OBJECT_TABCONSTRAINT:
				table(rs.Relation).constraints[rs.Subname] = false
			case pg.ObjectType_OBJECT_VIEW:
				table(rs.Relation).view = true
			case pg.ObjectType_OBJECT_MATVIEW:
				table(rs.Relation).matview = true
			}
		case n.GetReindexStmt() != nil:
			rs := n.GetReindexStmt()
			if rs.Relation != nil && rs.Kind == pg.ReindexObjectType_REINDEX_OBJECT_INDEX {
				nd.indexes = append(nd.indexes, qualify(rs.Relation.Schemaname, rs.Relation.Relname))
				created[rs.Relation] = true
			}
		case n.GetRefreshMatViewStmt() != nil:
			table(n.GetRefreshMatViewStmt().Relation).matview = true
		case n.GetDropStmt() != nil:
			ds := n.GetDropStmt()
			for _, obj := range ds.Objects {
				l := obj.GetList()
				if l == nil {
					continue
				}
				var parts []string
				for _, it := range l.Items {
					parts = append(parts, it.GetString_().GetSval())
				}
				if len(parts) == 0 || len(parts) > 2 {
					continue
				}
				schema, name := "", parts[len(parts)-1]
				if len(parts) == 2 {
					schema = parts[0]
				}
				switch ds.RemoveType {
				// IF EXISTS too: the comparison needs the object there.
				case pg.ObjectType_OBJECT_INDEX:
					nd.indexes = append(nd.indexes, qualify(schema, name))
				case pg.ObjectType_OBJECT_TABLE:
					table(&pg.RangeVar{Schemaname: schema, Relname: name})
				case pg.ObjectType_OBJECT_VIEW:
					table(&pg.RangeVar{Schemaname: schema, Relname: name}).view = true
				case pg.ObjectType_OBJECT_MATVIEW:
					table(&pg.RangeVar{Schemaname: schema, Relname: name}).matview = true
				}
			}
		case n.GetUpdateStmt() != nil:
			u := n.GetUpdateStmt()
			main = table(u.Relation)
			for _, tg := range u.TargetList {
				main.cols = append(main.cols, tg.GetResTarget().GetName())
			}
		case n.GetInsertStmt() != nil:
			ins := n.GetInsertStmt()
			main = table(ins.Relation)
			for _, c := range ins.Cols {
				main.cols = append(main.cols, c.GetResTarget().GetName())
			}
		case n.GetDeleteStmt() != nil:
			main = table(n.GetDeleteStmt().Relation)
		}
		// Every other relation it reads, with the columns it names.
		visit(n.ProtoReflect(), func(m proto.Message) {
			if rv, ok := m.(*pg.RangeVar); ok && !created[rv] && rv.Relname != "" {
				table(rv)
			}
		})
		if main != nil {
			for _, c := range columnRefs(n) {
				main.cols = append(main.cols, c)
			}
		}
	}
	for q, tb := range nd.tables {
		_ = q
		sort.Strings(tb.cols)
	}
	return nd
}

// fkTarget notes the referenced columns of a foreign key, which need a
// primary key or unique index.
func fkTarget(table func(*pg.RangeVar) *tableNeed, con *pg.Constraint) {
	if con.Contype != pg.ConstrType_CONSTR_FOREIGN || con.Pktable == nil {
		return
	}
	pt := table(con.Pktable)
	if len(con.PkAttrs) == 0 {
		pt.cols = append(pt.cols, "id")
	}
	for _, a := range con.PkAttrs {
		pt.cols = append(pt.cols, a.GetString_().GetSval())
	}
}

func columnRefs(n *pg.Node) []string {
	var out []string
	visit(n.ProtoReflect(), func(m proto.Message) {
		if cr, ok := m.(*pg.ColumnRef); ok && len(cr.Fields) > 0 {
			if s := cr.Fields[len(cr.Fields)-1].GetString_(); s != nil {
				out = append(out, s.Sval)
			}
		}
	})
	return out
}

func visit(m protoreflect.Message, fn func(proto.Message)) {
	fn(m.Interface())
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				visit(l.Get(i).Message(), fn)
			}
		case fd.IsMap():
		default:
			visit(v.Message(), fn)
		}
		return true
	})
}

// columnType picks a type for a column the harness makes up: one the
// statement can convert from (ALTER COLUMN ... TYPE) or compare with, by
// its name.
func columnType(name, alterTo string) string {
	switch alterTo {
	case "int2", "int4", "int8", "numeric", "float4", "float8":
		return "integer"
	case "timestamp", "timestamptz", "date":
		return "timestamp"
	case "bool":
		return "boolean"
	case "":
	default:
		return "text"
	}
	switch {
	case name == "id" || strings.HasSuffix(name, "_id"):
		return "bigint"
	case strings.HasSuffix(name, "_at"):
		return "timestamptz"
	case name == "active" || strings.HasPrefix(name, "is_") || strings.HasPrefix(name, "has_"):
		return "boolean"
	case name == "score" || name == "count" || name == "total" || name == "amount" || name == "balance":
		return "integer"
	}
	return "text"
}
