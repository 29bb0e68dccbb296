package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// hygieneRules: choices that hurt later (types, robustness), and the
// structure of a file's transactions.
var hygieneRules = []*Rule{
	rulePreferBigint,
	rulePreferIdentity,
	rulePreferTextOverVarchar,
	rulePreferTimestamptz,
	ruleBanChar,
	rulePreferJSONB,
	ruleIdentifierTooLong,
	ruleFKWithoutIndex,
	rulePreferRobustStmts,
	ruleNaiveSplitDollarQuote,
	ruleTransactionNesting,
	ruleUncommittedTransaction,
}

// newColumn is a column a statement declares: in CREATE TABLE, in ADD
// COLUMN, or the new type of ALTER COLUMN ... TYPE.
type newColumn struct {
	Table *pg.RangeVar
	Def   *pg.ColumnDef
	Type  Type
	// Change is true for ALTER COLUMN ... TYPE (Def holds only the type),
	// Create for a column of CREATE TABLE.
	Change, Create bool
	// Key is true for a column of the primary key, Identity for an
	// identity column.
	Key, Identity bool
	// FK is the foreign key the column belongs to (nil for none) and FKIndex
	// its position in it.
	FK      *pg.Constraint
	FKIndex int

	alterName string
}

// Name is the column's name.
func (c newColumn) Name() string {
	if c.Change {
		return c.alterName
	}
	return c.Def.Colname
}

// newColumns lists the columns a statement declares, with their types.
func newColumns(n *pg.Node) []newColumn {
	var out []newColumn
	add := func(rel *pg.RangeVar, cd *pg.ColumnDef, create bool) {
		if cd == nil || cd.TypeName == nil {
			return
		}
		c := newColumn{Table: rel, Def: cd, Type: TypeOf(cd.TypeName), Create: create}
		for _, cn := range cd.Constraints {
			con := cn.GetConstraint()
			if con == nil {
				continue
			}
			switch con.Contype {
			case pg.ConstrType_CONSTR_PRIMARY:
				c.Key = true
			case pg.ConstrType_CONSTR_IDENTITY:
				c.Identity = true
			case pg.ConstrType_CONSTR_FOREIGN:
				c.FK = con
			}
		}
		out = append(out, c)
	}
	switch {
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		first := len(out)
		for _, e := range cs.TableElts {
			add(cs.Relation, e.GetColumnDef(), true)
		}
		for _, e := range cs.TableElts {
			con := e.GetConstraint()
			if con == nil {
				continue
			}
			for i := first; i < len(out); i++ {
				switch con.Contype {
				case pg.ConstrType_CONSTR_PRIMARY:
					if containsNode(con.Keys, out[i].Def.Colname) {
						out[i].Key = true
					}
				case pg.ConstrType_CONSTR_FOREIGN:
					for k, a := range con.FkAttrs {
						if strVal(a) == out[i].Def.Colname {
							out[i].FK, out[i].FKIndex = con, k
						}
					}
				}
			}
		}
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		if at.Objtype != pg.ObjectType_OBJECT_TABLE && at.Objtype != pg.ObjectType_OBJECT_FOREIGN_TABLE {
			return nil
		}
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				continue
			}
			cd := cmd.Def.GetColumnDef()
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddColumn:
				add(at.Relation, cd, false)
			case pg.AlterTableType_AT_AlterColumnType:
				if cd != nil && cd.TypeName != nil {
					out = append(out, newColumn{Table: at.Relation, Def: cd, Type: TypeOf(cd.TypeName), Change: true, alterName: cmd.Name})
				}
			}
		}
	}
	return out
}

func containsNode(ns []*pg.Node, s string) bool {
	for _, n := range ns {
		if strVal(n) == s {
			return true
		}
	}
	return false
}

// typeName builds a pg_catalog type name with modifiers.
func typeName(name string, mods []int32, like *pg.TypeName) *pg.TypeName {
	tn := &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("pg_catalog"), pg.MakeStrNode(name)}, Typemod: -1}
	for _, m := range mods {
		tn.Typmods = append(tn.Typmods, pg.MakeAConstIntNode(int64(m), -1))
	}
	if like != nil {
		tn.ArrayBounds = like.ArrayBounds
	}
	return tn
}

// columnSQL renders a column definition after mutate changed a copy of it,
// as pg_query deparses it ("email text NOT NULL").
func columnSQL(cd *pg.ColumnDef, mutate func(*pg.ColumnDef)) string {
	c := proto.Clone(cd).(*pg.ColumnDef)
	if mutate != nil {
		mutate(c)
	}
	stmt := &pg.Node{Node: &pg.Node_CreateStmt{CreateStmt: &pg.CreateStmt{
		Relation:  &pg.RangeVar{Relname: "x", Inh: true, Relpersistence: "p"},
		TableElts: []*pg.Node{{Node: &pg.Node_ColumnDef{ColumnDef: c}}},
	}}}
	out := RewriteNode(stmt, nil)
	out = strings.TrimSuffix(strings.TrimPrefix(out, "CREATE TABLE x ("), ");")
	return out
}

// retypeFix is the fix for a column whose type should be another: the
// column definition (CREATE TABLE, ADD COLUMN) or the ALTER COLUMN ... TYPE.
func retypeFix(c newColumn, mutate func(*pg.ColumnDef), extra string) string {
	table := Name(c.Table)
	if c.Change {
		def := columnSQL(&pg.ColumnDef{Colname: c.Name(), TypeName: c.Def.TypeName}, mutate)
		typ := strings.TrimSpace(strings.TrimPrefix(def, c.Name()))
		return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s;%s", table, c.Name(), typ, extra)
	}
	def := columnSQL(c.Def, mutate)
	if c.Create {
		return fmt.Sprintf("-- in CREATE TABLE %s (...):\n  %s%s", table, def, extra)
	}
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s;%s", table, def, extra)
}

// where names a new column for messages: "users.email".
func (c newColumn) where() string { return Name(c.Table) + "." + c.Name() }
