package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
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

// newColumns lists the columns a statement declares whose type (its last
// name part as parsed: int4, varchar, bpchar, serial, ...) is one of types.
func newColumns(n *pg.Node, types ...string) []newColumn {
	var out []newColumn
	wanted := func(tn *pg.TypeName) bool {
		return tn != nil && len(tn.Names) > 0 && contains(types, strVal(tn.Names[len(tn.Names)-1]))
	}
	add := func(rel *pg.RangeVar, cd *pg.ColumnDef, create bool) {
		if cd == nil || !wanted(cd.TypeName) {
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
		if len(cs.TableElts) == 0 {
			return nil
		}
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
				if cd != nil && wanted(cd.TypeName) {
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

// retypeFix is the fix for a column whose type should be another: the
// column definition as written, with newType (and afterType right after
// it, appended at its end), in CREATE TABLE or ADD COLUMN; or the ALTER
// COLUMN ... TYPE. extra follows on lines of its own.
func retypeFix(p *Pass, c newColumn, newType, afterType, appended, extra string) string {
	if c.Type.Array {
		newType += "[]"
	}
	table := Name(c.Table)
	if c.Change {
		return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s;%s", table, c.Name(), newType, extra)
	}
	def, ok := columnText(p, c.Def, newType+afterType, appended)
	if !ok {
		def = c.Name() + " " + newType + afterType + appended
	}
	if c.Create {
		return fmt.Sprintf("-- in CREATE TABLE %s (...):\n  %s%s", table, def, extra)
	}
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s;%s", table, def, extra)
}

// columnText is a column definition as the file writes it, with its type
// replaced and text appended; ok is false when it cannot be located.
func columnText(p *Pass, cd *pg.ColumnDef, newType, appended string) (string, bool) {
	if cd.Location < 0 || cd.TypeName == nil || cd.TypeName.Location <= cd.Location {
		return "", false
	}
	src := p.File.Source.Text
	start, tstart := p.Stmt.Offset(cd.Location), p.Stmt.Offset(cd.TypeName.Location)
	if tstart <= start {
		return "", false
	}
	end := clauseEnd(src, start, p.Stmt.End)
	if end <= tstart {
		return "", false
	}
	tend := typeEnd(src, tstart, end)
	text := src[start:tstart] + newType + src[tend:end]
	return strings.Join(strings.Fields(text), " ") + appended, true
}

// columnWords start what follows the type in a column definition.
var columnWords = map[string]bool{"not": true, "null": true, "default": true, "primary": true, "unique": true,
	"references": true, "check": true, "constraint": true, "generated": true, "collate": true, "compression": true,
	"storage": true, "deferrable": true, "initially": true}

// typeEnd returns the end of the type name that starts at i: words
// (character varying, timestamp(3) without time zone), modifiers, array
// bounds and schema qualification, up to the first constraint word.
func typeEnd(src string, i, end int) int {
	last := i
	for i < end {
		for i < end && isSpace(src[i]) {
			i++
		}
		if i >= end {
			break
		}
		switch c := src[i]; {
		case c == '(' || c == '[':
			closer := byte(')')
			if c == '[' {
				closer = ']'
			}
			j := strings.IndexByte(src[i:end], closer)
			if j < 0 {
				return end
			}
			i += j + 1
		case c == '.':
			i++
		case c == '"':
			j := strings.IndexByte(src[i+1:end], '"')
			if j < 0 {
				return end
			}
			i += j + 2
		case c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i
			for j < end && (src[j] == '_' || src[j] == '$' || src[j] >= 0x80 || (src[j]|0x20 >= 'a' && src[j]|0x20 <= 'z') || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			if columnWords[strings.ToLower(src[i:j])] {
				return last
			}
			i = j
		default:
			return last
		}
		last = i
	}
	return last
}

// where names a new column for messages: "users.email".
func (c newColumn) where() string { return Name(c.Table) + "." + c.Name() }
