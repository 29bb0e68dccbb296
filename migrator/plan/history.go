package plan

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// History is what plan knows of a migration directory: the schema its up
// files leave, the definitions of its indexes and constraints, and how its
// files are numbered.
type History struct {
	Dir     string
	Catalog *lint.Catalog
	// Inputs are the up files, in version order, for linting a plan
	// against them.
	Inputs    []lint.Input
	numbering numbering
	defs      *defs
}

// Load reads the up files of a golang-migrate directory. A directory that
// does not exist yet is an empty history.
//
// Errors: fault.Input for a misnamed or unreadable file, or SQL that does not
// parse (naming file:line:col).
func Load(fsys fs.FS, dir string) (*History, error) {
	h := &History{Dir: dir, Catalog: lint.NewCatalog(), defs: newDefs()}
	if _, err := fs.Stat(fsys, dir); err != nil {
		return h, nil
	}
	ms, err := lint.Discover(fsys, dir)
	if err != nil {
		return nil, err
	}
	var digits []string
	for _, m := range ms {
		if m.Direction != lint.Up {
			continue
		}
		b, err := fs.ReadFile(fsys, m.Path)
		if err != nil {
			return nil, fault.Errorf(fault.Input, "%s: %v", m.Path, err)
		}
		h.Inputs = append(h.Inputs, lint.Input{Path: m.Path, Text: string(b)})
		base := path.Base(m.Path)
		digits = append(digits, base[:strings.IndexByte(base, '_')])
	}
	cat, err := lint.Replay(h.Inputs)
	if err != nil {
		return nil, fault.Errorf(fault.Input, "%s", err)
	}
	h.Catalog = cat
	for _, in := range h.Inputs {
		f := lint.Parse(lint.NewSource(in.Path, in.Text))
		for _, s := range f.Statements {
			for _, ns := range s.Nested() {
				h.defs.apply(ns.Node)
			}
			h.defs.apply(s.Node)
		}
	}
	h.numbering = detectNumbering(digits)
	return h, nil
}

// numbering is a directory's version style.
type numbering struct {
	// style is "seq" (1, 2, ... zero-padded to width), "timestamp"
	// (20060102150405, golang-migrate create's default) or "unix" (seconds).
	style string
	width int
	last  uint64
}

type version struct {
	n    uint64
	text string
}

const tsLayout = "20060102150405"

// detectNumbering reads the style from the versions as written.
func detectNumbering(digits []string) numbering {
	if len(digits) == 0 {
		return numbering{style: "seq", width: 3}
	}
	nb := numbering{style: "seq"}
	for _, d := range digits {
		if v, err := strconv.ParseUint(d, 10, 64); err == nil && v > nb.last {
			nb.last = v
		}
	}
	lastText := strconv.FormatUint(nb.last, 10)
	allTS, allUnix := true, true
	for _, d := range digits {
		if _, err := time.Parse(tsLayout, d); len(d) != 14 || err != nil {
			allTS = false
		}
		if v, _ := strconv.ParseUint(d, 10, 64); len(d) != 10 || v < 1_000_000_000 {
			allUnix = false
		}
	}
	switch {
	case allTS:
		nb.style = "timestamp"
	case allUnix:
		nb.style = "unix"
	default:
		// Zero-padded when any version is written with leading zeros, or
		// all have one width: keep the width of the newest file.
		padded, width := false, len(digits[len(digits)-1])
		same := true
		for _, d := range digits {
			if len(d) > 1 && d[0] == '0' {
				padded = true
			}
			if len(d) != width {
				same = false
			}
		}
		if padded || (same && len(digits) > 1) {
			nb.width = width
		}
		if nb.width < len(lastText) {
			nb.width = 0
		}
	}
	return nb
}

// next returns n versions after the last one.
func (nb numbering) next(n int, now time.Time) []version {
	out := make([]version, 0, n)
	switch nb.style {
	case "timestamp":
		t := now.UTC().Truncate(time.Second)
		if last, err := time.Parse(tsLayout, strconv.FormatUint(nb.last, 10)); err == nil && !t.After(last) {
			t = last.Add(time.Second)
		}
		for i := 0; i < n; i++ {
			s := t.Add(time.Duration(i) * time.Second).Format(tsLayout)
			v, _ := strconv.ParseUint(s, 10, 64)
			out = append(out, version{v, s})
		}
	case "unix":
		v := uint64(now.Unix())
		if v <= nb.last {
			v = nb.last + 1
		}
		for i := 0; i < n; i++ {
			out = append(out, version{v + uint64(i), strconv.FormatUint(v+uint64(i), 10)})
		}
	default:
		for i := 0; i < n; i++ {
			v := nb.last + 1 + uint64(i)
			s := strconv.FormatUint(v, 10)
			if len(s) < nb.width {
				s = strings.Repeat("0", nb.width-len(s)) + s
			}
			out = append(out, version{v, s})
		}
	}
	return out
}

// defs keeps the parse trees of the indexes and the CHECK and FOREIGN KEY
// constraints the history defines, under their current names, so that a
// plan can re-create them on a new column. The catalog knows their columns
// but not their expressions.
type defs struct {
	indexes map[string]*pg.IndexStmt  // qualified index name
	cons    map[string]*pg.Constraint // qualified table + "\x00" + name
}

func newDefs() *defs {
	return &defs{indexes: map[string]*pg.IndexStmt{}, cons: map[string]*pg.Constraint{}}
}

func qname(rv *pg.RangeVar) string { return lint.QualifiedName(rv) }

func conKey(table, name string) string { return table + "\x00" + name }

// index returns the definition of a catalog index, nil when unknown.
func (d *defs) index(ix *lint.Index) *pg.IndexStmt {
	return d.indexes[ix.Schema+"."+ix.Name]
}

// constraint returns the definition of a catalog constraint, nil when unknown.
func (d *defs) constraint(table string, ct *lint.Constraint) *pg.Constraint {
	return d.cons[conKey(table, ct.Name)]
}

func (d *defs) apply(n *pg.Node) {
	switch {
	case n.GetIndexStmt() != nil:
		is := pgtree.Clone(n.GetIndexStmt())
		if is.Relation == nil {
			return
		}
		name := is.Idxname
		if name == "" {
			name = is.Relation.Relname + "_" + strings.Join(lint.IndexColumns(is), "_") + "_idx"
		}
		schema := is.Relation.Schemaname
		if schema == "" {
			schema = "public"
		}
		if _, ok := d.indexes[schema+"."+name]; ok && is.IfNotExists {
			return
		}
		d.indexes[schema+"."+name] = is
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		table := qname(cs.Relation)
		for _, e := range cs.TableElts {
			if cd := e.GetColumnDef(); cd != nil {
				for _, c := range cd.Constraints {
					if con := c.GetConstraint(); con != nil {
						d.addConstraint(table, cs.Relation.Relname, con, cd.Colname)
					}
				}
			} else if con := e.GetConstraint(); con != nil {
				d.addConstraint(table, cs.Relation.Relname, con, "")
			}
		}
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		if at.Relation == nil || at.Objtype != pg.ObjectType_OBJECT_TABLE {
			return
		}
		table := qname(at.Relation)
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				continue
			}
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddConstraint:
				if con := cmd.Def.GetConstraint(); con != nil {
					d.addConstraint(table, at.Relation.Relname, con, "")
				}
			case pg.AlterTableType_AT_AddColumn:
				if cd := cmd.Def.GetColumnDef(); cd != nil {
					for _, c := range cd.Constraints {
						if con := c.GetConstraint(); con != nil {
							d.addConstraint(table, at.Relation.Relname, con, cd.Colname)
						}
					}
				}
			case pg.AlterTableType_AT_DropConstraint:
				delete(d.cons, conKey(table, cmd.Name))
			}
		}
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		if rs.Relation == nil {
			return
		}
		table := qname(rs.Relation)
		switch rs.RenameType {
		case pg.ObjectType_OBJECT_COLUMN:
			for k, con := range d.cons {
				if strings.HasPrefix(k, table+"\x00") {
					renameColumn(con, rs.Subname, rs.Newname)
				}
			}
			for _, is := range d.indexes {
				if qname(is.Relation) == table {
					renameColumn(is, rs.Subname, rs.Newname)
				}
			}
		case pg.ObjectType_OBJECT_TABCONSTRAINT:
			if con, ok := d.cons[conKey(table, rs.Subname)]; ok {
				delete(d.cons, conKey(table, rs.Subname))
				con.Conname = rs.Newname
				d.cons[conKey(table, rs.Newname)] = con
			}
		case pg.ObjectType_OBJECT_INDEX:
			if is, ok := d.indexes[table]; ok {
				delete(d.indexes, table)
				is.Idxname = rs.Newname
				schema := rs.Relation.Schemaname
				if schema == "" {
					schema = "public"
				}
				d.indexes[schema+"."+rs.Newname] = is
			}
		case pg.ObjectType_OBJECT_TABLE:
			newTable := strings.TrimSuffix(table, rs.Relation.Relname) + rs.Newname
			for k, con := range d.cons {
				if t, name, _ := strings.Cut(k, "\x00"); t == table {
					delete(d.cons, k)
					d.cons[conKey(newTable, name)] = con
				}
			}
			for _, is := range d.indexes {
				if qname(is.Relation) == table {
					is.Relation.Relname = rs.Newname
				}
			}
		}
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		for _, obj := range ds.Objects {
			var parts []string
			if l := obj.GetList(); l != nil {
				for _, it := range l.Items {
					parts = append(parts, it.GetString_().GetSval())
				}
			}
			if len(parts) == 1 {
				parts = append([]string{"public"}, parts...)
			}
			key := strings.Join(parts, ".")
			switch ds.RemoveType {
			case pg.ObjectType_OBJECT_INDEX:
				delete(d.indexes, key)
			case pg.ObjectType_OBJECT_TABLE:
				for k := range d.cons {
					if strings.HasPrefix(k, key+"\x00") {
						delete(d.cons, k)
					}
				}
				for k, is := range d.indexes {
					if qname(is.Relation) == key {
						delete(d.indexes, k)
					}
				}
			}
		}
	}
}

// addConstraint records a CHECK or FOREIGN KEY constraint; col names the
// column of a column constraint, which is rewritten as a table constraint.
func (d *defs) addConstraint(table, relname string, con *pg.Constraint, col string) {
	if con.Contype != pg.ConstrType_CONSTR_CHECK && con.Contype != pg.ConstrType_CONSTR_FOREIGN {
		return
	}
	c := pgtree.Clone(con)
	if col != "" && c.Contype == pg.ConstrType_CONSTR_FOREIGN && len(c.FkAttrs) == 0 {
		c.FkAttrs = []*pg.Node{pg.MakeStrNode(col)}
	}
	// Named as the catalog names it (lint.Catalog).
	cols := []string{col}
	if col == "" {
		cols = lint.ConstraintColumns(c)
	}
	if c.Conname == "" {
		suffix := "check"
		if c.Contype == pg.ConstrType_CONSTR_FOREIGN {
			suffix = "fkey"
		}
		c.Conname = strings.Join(append(append([]string{relname}, cols...), suffix), "_")
	}
	d.cons[conKey(table, c.Conname)] = c
}
