package lint

import (
	"strconv"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// treeVersion is the parse-tree version pg_query's deparser expects.
var treeVersion = sync.OnceValue(func() int32 {
	r, err := pg.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return r.Version
})

// deparseNode renders an expression as SQL by deparsing SELECT <expr>.
func deparseNode(e *pg.Node) (string, error) {
	tree := &pg.ParseResult{Version: treeVersion(), Stmts: []*pg.RawStmt{{Stmt: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
		TargetList: []*pg.Node{pg.MakeResTargetNodeWithVal(e, 0)},
	}}}}}}
	out, err := pg.Deparse(tree)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(out, "SELECT "), nil
}

// funcName returns the last part of a function call's name, lower case.
func funcName(fc *pg.FuncCall) string {
	if fc == nil || len(fc.Funcname) == 0 {
		return ""
	}
	return strings.ToLower(strVal(fc.Funcname[len(fc.Funcname)-1]))
}

// qualifiedFuncName returns schema.name of a function call (public by default).
func qualifiedFuncName(names []*pg.Node) string {
	schema, name := splitName(names)
	return qualify(schema, name)
}

// constString returns the value of a string constant node.
func constString(n *pg.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	if ac := n.GetAConst(); ac != nil {
		if s := ac.GetSval(); s != nil {
			return s.Sval, true
		}
		if iv := ac.GetIval(); iv != nil {
			return strconv.Itoa(int(iv.Ival)), true
		}
		if f := ac.GetFval(); f != nil {
			return f.Fval, true
		}
	}
	if tc := n.GetTypeCast(); tc != nil {
		return constString(tc.Arg)
	}
	if s := n.GetString_(); s != nil {
		return s.Sval, true
	}
	return "", false
}
