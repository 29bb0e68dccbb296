package plan

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// visit calls fn for m and every message below it.
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

// renameColumn renames a column wherever a definition names it: index
// elements, column references in expressions, constraint keys.
func renameColumn(m proto.Message, from, to string) {
	visit(m.ProtoReflect(), func(x proto.Message) {
		switch t := x.(type) {
		case *pg.IndexElem:
			if t.Name == from {
				t.Name = to
			}
		case *pg.ColumnRef:
			if n := len(t.Fields); n > 0 {
				if s := t.Fields[n-1].GetString_(); s != nil && s.Sval == from {
					s.Sval = to
				}
			}
		case *pg.Constraint:
			for _, k := range append(append(append([]*pg.Node(nil), t.Keys...), t.FkAttrs...), t.Including...) {
				if s := k.GetString_(); s != nil && s.Sval == from {
					s.Sval = to
				}
			}
		}
	})
}

var treeVersion = sync.OnceValue(func() int32 {
	r, err := pg.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return r.Version
})

// deparse renders one statement.
func deparse(n *pg.Node) (string, error) {
	out, err := pg.Deparse(&pg.ParseResult{Version: treeVersion(), Stmts: []*pg.RawStmt{{Stmt: n}}})
	if err != nil {
		return "", err
	}
	return out + ";", nil
}

// deparseExpr renders an expression.
func deparseExpr(e *pg.Node) (string, error) {
	sel := &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
		TargetList: []*pg.Node{pg.MakeResTargetNodeWithVal(e, 0)}}}}
	out, err := deparse(sel)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimPrefix(out, "SELECT "), ";"), nil
}

var simpleIdent = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// ident quotes an identifier when SQL needs it (upper case, odd characters,
// or a keyword that is not unreserved), as quote_ident does.
func ident(s string) string {
	if simpleIdent.MatchString(s) {
		if r, err := pg.Scan(s); err == nil && len(r.Tokens) == 1 {
			k := r.Tokens[0].KeywordKind
			if k == pg.KeywordKind_NO_KEYWORD || k == pg.KeywordKind_UNRESERVED_KEYWORD {
				return s
			}
		}
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// literal quotes a string constant.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// tableRef is a table as the user named it.
type tableRef struct {
	schema, name string
}

// qualified is schema.name with public as the default, as lint keys tables.
func (t tableRef) qualified() string {
	s := t.schema
	if s == "" {
		s = "public"
	}
	return s + "." + t.name
}

// sql renders the name as written: schema-qualified only when it was.
func (t tableRef) sql() string {
	if t.schema == "" {
		return ident(t.name)
	}
	return ident(t.schema) + "." + ident(t.name)
}

func (t tableRef) rv() *pg.RangeVar {
	return &pg.RangeVar{Schemaname: t.schema, Relname: t.name, Inh: true, Relpersistence: "p"}
}

// display is the name for messages (no public. prefix).
func (t tableRef) display() string { return lint.DisplayName(t.qualified()) }

// parseColumnArg reads TABLE.COL (or SCHEMA.TABLE.COL), with SQL's quoting
// and case folding.
func parseColumnArg(arg string) (tableRef, string, error) {
	bad := fault.Errorf(fault.Usage, "%q: want TABLE.COLUMN (or SCHEMA.TABLE.COLUMN)", arg)
	tree, err := pg.Parse("SELECT " + arg)
	if err != nil || len(tree.Stmts) != 1 {
		return tableRef{}, "", bad
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 || sel.FromClause != nil {
		return tableRef{}, "", bad
	}
	cr := sel.TargetList[0].GetResTarget().GetVal().GetColumnRef()
	if cr == nil || len(cr.Fields) < 2 || len(cr.Fields) > 3 {
		return tableRef{}, "", bad
	}
	var parts []string
	for _, f := range cr.Fields {
		s := f.GetString_()
		if s == nil {
			return tableRef{}, "", bad
		}
		parts = append(parts, s.Sval)
	}
	if len(parts) == 3 {
		return tableRef{schema: parts[0], name: parts[1]}, parts[2], nil
	}
	return tableRef{name: parts[0]}, parts[1], nil
}

// parseTableArg reads TABLE or SCHEMA.TABLE.
func parseTableArg(arg string) (tableRef, error) {
	bad := fault.Errorf(fault.Usage, "%q: want TABLE (or SCHEMA.TABLE)", arg)
	tree, err := pg.Parse("SELECT FROM " + arg)
	if err != nil || len(tree.Stmts) != 1 {
		return tableRef{}, bad
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.FromClause) != 1 || sel.WhereClause != nil {
		return tableRef{}, bad
	}
	rv := sel.FromClause[0].GetRangeVar()
	if rv == nil || rv.Alias != nil || rv.Catalogname != "" {
		return tableRef{}, bad
	}
	return tableRef{schema: rv.Schemaname, name: rv.Relname}, nil
}

// parseName reads one identifier (NEW of a rename, a constraint name).
func parseName(arg, what string) (string, error) {
	tree, err := pg.Parse("SELECT " + arg)
	if err == nil && len(tree.Stmts) == 1 {
		if sel := tree.Stmts[0].Stmt.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 && sel.FromClause == nil {
			if cr := sel.TargetList[0].GetResTarget().GetVal().GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
				if s := cr.Fields[0].GetString_(); s != nil {
					return s.Sval, nil
				}
			}
		}
	}
	return "", fault.Errorf(fault.Usage, "%q: want a %s (one identifier)", arg, what)
}

// parseNewColumn reads the new name of a renamed column: a bare name, or
// the same table's TABLE.NEW (SCHEMA.TABLE.NEW) as one writes it next to
// TABLE.OLD.
func parseNewColumn(ref tableRef, arg string) (string, error) {
	if name, err := parseName(arg, "new column name"); err == nil {
		return name, nil
	}
	r, name, err := parseColumnArg(arg)
	if err != nil {
		return "", fault.Errorf(fault.Usage, "%q: want a new column name (one identifier)", arg)
	}
	if r.name != ref.name || (r.schema != "" && ref.schema != "" && r.schema != ref.schema) {
		return "", fault.Errorf(fault.Usage, "%q: a column is renamed within its table: want %s.NEW or NEW", arg, ref.display())
	}
	return name, nil
}

// parseExpr reads a SQL expression; it must be exactly one.
func parseExpr(arg, what string) (*pg.Node, error) {
	tree, err := pg.Parse("SELECT " + arg)
	if err == nil && len(tree.Stmts) == 1 {
		if sel := tree.Stmts[0].Stmt.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 && sel.FromClause == nil &&
			sel.WhereClause == nil && sel.GroupClause == nil && sel.SortClause == nil && sel.LimitCount == nil &&
			sel.TargetList[0].GetResTarget().GetName() == "" {
			return sel.TargetList[0].GetResTarget().GetVal(), nil
		}
	}
	msg := "not one SQL expression"
	if err != nil {
		msg = err.Error()
	}
	return nil, fault.Errorf(fault.Usage, "%s %q: %s", what, arg, msg)
}

// parseType reads a type name.
func parseType(arg string) (*pg.TypeName, error) {
	tree, err := pg.Parse("SELECT NULL::" + arg)
	if err == nil && len(tree.Stmts) == 1 {
		if sel := tree.Stmts[0].Stmt.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 && sel.FromClause == nil {
			if tc := sel.TargetList[0].GetResTarget().GetVal().GetTypeCast(); tc != nil && tc.Arg.GetAConst() != nil {
				return tc.TypeName, nil
			}
		}
	}
	return nil, fault.Errorf(fault.Usage, "%q: not a type", arg)
}

// typeSQL renders a type name as SQL.
func typeSQL(tn *pg.TypeName) string {
	n := &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{Arg: &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true}}}, TypeName: tn}}}
	out, err := deparseExpr(n)
	if err != nil {
		return lint.TypeOf(tn).String()
	}
	return strings.TrimPrefix(out, "NULL::")
}

// objName joins parts into an identifier of at most 63 bytes, the length
// PostgreSQL keeps.
func objName(parts ...string) string {
	s := strings.Join(parts, "_")
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// timeoutValue renders a lock_timeout.
func timeoutValue(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
