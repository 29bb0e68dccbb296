package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleFKWithoutIndex = &Rule{
	ID:       "fk-without-index",
	Severity: Hint,
	Summary:  "a foreign key whose referencing columns no index leads with",
	Doc: `PostgreSQL indexes the referenced side of a foreign key (it must be unique) but not the
referencing side. Without an index whose leading columns are the foreign key's columns, every
DELETE of a referenced row, and every change of its key, scans the referencing table for rows that
point at it (under the row locks of the referenced table, and once per row for a bulk delete), and
joins along the key cannot use an index. lockstep knows the indexes the history created, the
primary key and unique constraints of the same statement, and indexes created later in the same
file or in a later file of the same run (CREATE INDEX CONCURRENTLY has to live in a file of its own
under golang-migrate), so it only hints when none of them covers the key. Partial indexes do not
count.`,
	Check: func(p *Pass) {
		for _, fk := range foreignKeys(p.Node()) {
			if len(fk.cols) == 0 || fkCoveredInFile(p, fk) {
				continue
			}
			table := Name(fk.table)
			cols := strings.Join(fk.cols, ", ")
			ix := indexName(fk.table.Relname, fk.cols)
			fix := fmt.Sprintf("CREATE INDEX CONCURRENTLY %s ON %s (%s);", ix, table, cols)
			switch {
			case fk.create || !p.Existing(fk.table):
				fix = fmt.Sprintf("-- in the same file: %s has no traffic yet\nCREATE INDEX %s ON %s (%s);", table, ix, table, cols)
			case p.Config.Runner == RunnerGolangMigrate:
				fix = "-- in a migration file of its own (CONCURRENTLY cannot run in a transaction block)\n" + fix
			}
			ref := "the table it references"
			if fk.ref != nil {
				ref = Name(fk.ref)
			}
			p.Unless(fkCoveredLater(p.File, QualifiedName(fk.table), fk.cols)).ReportAt(fk.loc, Finding{
				Message: fmt.Sprintf("no index leads with the foreign key columns %s (%s): every DELETE from %s, or change of its key, scans %s for referencing rows, and joins on the key cannot use an index",
					table, cols, ref, table),
				Fix: fix,
			})
		}
	},
}

type fkDef struct {
	table  *pg.RangeVar
	ref    *pg.RangeVar
	cols   []string
	loc    int32
	create bool
}

// foreignKeys lists the foreign keys a statement adds.
func foreignKeys(n *pg.Node) []fkDef {
	var out []fkDef
	colFKs := func(rel *pg.RangeVar, cd *pg.ColumnDef, create bool) {
		if cd == nil {
			return
		}
		for _, cn := range cd.Constraints {
			if con := cn.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN {
				out = append(out, fkDef{table: rel, ref: con.Pktable, cols: []string{cd.Colname}, loc: con.Location, create: create})
			}
		}
	}
	tableFK := func(rel *pg.RangeVar, con *pg.Constraint, create bool) {
		if con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN {
			var cols []string
			for _, a := range con.FkAttrs {
				cols = append(cols, strVal(a))
			}
			out = append(out, fkDef{table: rel, ref: con.Pktable, cols: cols, loc: con.Location, create: create})
		}
	}
	switch {
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		for _, e := range cs.TableElts {
			colFKs(cs.Relation, e.GetColumnDef(), true)
			tableFK(cs.Relation, e.GetConstraint(), true)
		}
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				continue
			}
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddColumn:
				colFKs(at.Relation, cmd.Def.GetColumnDef(), false)
			case pg.AlterTableType_AT_AddConstraint:
				tableFK(at.Relation, cmd.Def.GetConstraint(), false)
			}
		}
	}
	return out
}

// fkCoveredInFile reports whether an index leads with the key's columns:
// one the history created, a key of the same statement, or one created
// later in this file. fkCoveredLater looks at the later files.
func fkCoveredInFile(p *Pass, fk fkDef) bool {
	q := QualifiedName(fk.table)
	for _, ix := range p.Catalog.byTable[q] {
		if !ix.Partial && leadsWith(ix.Columns, fk.cols) {
			return true
		}
	}
	for _, cols := range keysOf(p.Node(), q) {
		if leadsWith(cols, fk.cols) {
			return true
		}
	}
	check := func(s *Statement) bool {
		if is := s.Node.GetIndexStmt(); is != nil && QualifiedName(is.Relation) == q && is.WhereClause == nil &&
			leadsWith(IndexColumns(is), fk.cols) {
			return true
		}
		for _, cols := range keysOf(s.Node, q) {
			if leadsWith(cols, fk.cols) {
				return true
			}
		}
		return false
	}
	after := false
	for _, s := range p.File.Statements {
		if after && check(s) {
			return true
		}
		for _, ns := range s.nested {
			if after && check(ns) {
				return true
			}
			if ns == p.Stmt {
				after = true
			}
		}
		if s == p.Stmt || p.Stmt.Via == s {
			after = true
		}
	}
	return false
}

// fkCoveredLater returns whether a file after f creates an index that leads
// with the columns, for Pass.Unless: asked once every file is parsed.
func fkCoveredLater(f *File, table string, cols []string) func() bool {
	return func() bool {
		later, _ := f.runMemo("fk-without-index", runIndexes).(map[string][]runIndex)
		for _, ix := range later[table] {
			if ix.pos > f.pos && leadsWith(ix.cols, cols) {
				return true
			}
		}
		return false
	}
}

// runIndex is an index (or a primary key or unique constraint) that a file
// of the run creates.
type runIndex struct {
	pos  int
	cols []string
}

// runIndexes lists, by table, the indexes every file of the run creates:
// built once per run, so that checking a foreign key against the files
// after its own costs a map look-up.
func runIndexes(all []*File) any {
	out := map[string][]runIndex{}
	add := func(f *File, s *Statement) {
		n := s.Node
		if is := n.GetIndexStmt(); is != nil && is.WhereClause == nil && is.Relation != nil {
			q := QualifiedName(is.Relation)
			out[q] = append(out[q], runIndex{f.pos, IndexColumns(is)})
		}
		var rel *pg.RangeVar
		switch {
		case n.GetCreateStmt() != nil:
			rel = n.GetCreateStmt().Relation
		case n.GetAlterTableStmt() != nil:
			rel = n.GetAlterTableStmt().Relation
		default:
			return
		}
		q := QualifiedName(rel)
		for _, cols := range keysOf(n, q) {
			out[q] = append(out[q], runIndex{f.pos, cols})
		}
	}
	for _, f := range all {
		for _, s := range f.Statements {
			add(f, s)
			for _, ns := range s.nested {
				add(f, ns)
			}
		}
	}
	return out
}

// keysOf lists the column lists of the primary key and unique constraints
// that a CREATE TABLE or ALTER TABLE of the table declares.
func keysOf(n *pg.Node, table string) [][]string {
	var out [][]string
	key := func(con *pg.Constraint, col string) {
		if con == nil || (con.Contype != pg.ConstrType_CONSTR_PRIMARY && con.Contype != pg.ConstrType_CONSTR_UNIQUE) {
			return
		}
		if col != "" {
			out = append(out, []string{col})
			return
		}
		var cols []string
		for _, k := range con.Keys {
			cols = append(cols, strVal(k))
		}
		out = append(out, cols)
	}
	colKeys := func(cd *pg.ColumnDef) {
		if cd == nil {
			return
		}
		for _, cn := range cd.Constraints {
			key(cn.GetConstraint(), cd.Colname)
		}
	}
	switch {
	case n.GetCreateStmt() != nil && QualifiedName(n.GetCreateStmt().Relation) == table:
		for _, e := range n.GetCreateStmt().TableElts {
			colKeys(e.GetColumnDef())
			key(e.GetConstraint(), "")
		}
	case n.GetAlterTableStmt() != nil && QualifiedName(n.GetAlterTableStmt().Relation) == table:
		for _, c := range n.GetAlterTableStmt().Cmds {
			if cmd := c.GetAlterTableCmd(); cmd != nil {
				colKeys(cmd.Def.GetColumnDef())
				key(cmd.Def.GetConstraint(), "")
			}
		}
	}
	return out
}

// leadsWith reports whether the first len(cols) index columns are cols, in
// any order.
func leadsWith(index, cols []string) bool {
	if len(index) < len(cols) {
		return false
	}
	for _, c := range index[:len(cols)] {
		if !contains(cols, c) {
			return false
		}
	}
	return true
}

// indexName is PostgreSQL's default name for an index, within 63 bytes.
func indexName(table string, cols []string) string {
	n := table + "_" + strings.Join(cols, "_") + "_idx"
	if len(n) > 63 {
		n = n[:59] + "_idx"
	}
	return n
}
