package lint

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

// Statement is one SQL statement of a migration: a top-level statement of
// the file, or one found inside a DO block or a PL/pgSQL function body that
// the file runs.
type Statement struct {
	Node *pg.Node
	// Index is the 0-based index of the top-level statement (for a nested
	// statement, of the top-level statement that runs it).
	Index int
	// Start and End are the byte offsets of the statement's text in its file,
	// without the terminating semicolon.
	Start, End int
	// Via is the top-level statement that runs a nested statement (the DO, or
	// the call of a function), nil for a top-level one.
	Via *Statement
	// Context describes where a nested statement was found, e.g. "DO block"
	// or "function backfill_users()".
	Context string
	// InLoop is true for a nested statement inside a PL/pgSQL loop.
	InLoop bool
	// Dynamic is true for SQL run by EXECUTE of a constant string.
	Dynamic bool

	// base is the file offset that the node's locations count from.
	base   int
	source *Source
	// nested holds the statements a DO block runs, in order.
	nested []*Statement
	// nestedBody holds the statements of a PL/pgSQL function's body, which
	// run only when the function is called.
	nestedBody []*Statement
	// opaque lists dynamic SQL the linter could not read, as file offsets.
	opaque []int
}

// Offset converts a node location (as pg_query reports it) to a byte offset
// in the file. A location of -1 (unknown) maps to the statement's start.
func (s *Statement) Offset(loc int32) int {
	if loc < 0 {
		return s.Start
	}
	off := s.base + int(loc)
	if off < s.Start || off > s.End {
		return s.Start
	}
	return off
}

// Text returns the statement's source text.
func (s *Statement) Text() string { return s.source.Text[s.Start:s.End] }

// Nested returns the statements a DO block runs (nil for other statements).
func (s *Statement) Nested() []*Statement { return s.nested }

// SyntaxError is an unparsable migration: bad input.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// File is a parsed migration file.
type File struct {
	Source     *Source
	Statements []*Statement
	Directives []Directive
	// Err is set when the file does not parse; Statements is then empty.
	Err *SyntaxError
	// run is the Lint call the file belongs to and pos its place in it
	// (nil for a file parsed on its own or a .down.sql file).
	run *lintRun
	pos int
	// memo holds what rules derive from the whole file once (fileMemo).
	memo map[string]any
}

// fileMemo returns what build derives from the file, computed once under
// key. Only the goroutine that lints the file uses it.
func (f *File) fileMemo(key string, build func() any) any {
	if v, ok := f.memo[key]; ok {
		return v
	}
	if f.memo == nil {
		f.memo = map[string]any{}
	}
	v := build()
	f.memo[key] = v
	return v
}

// Later returns the files linted after this one in the same run, in order,
// waiting for them to be parsed. It is empty for a file linted alone.
func (f *File) Later() []*File {
	if f.run == nil {
		return nil
	}
	return f.run.from(f.pos + 1)
}

// laterVersions returns the golang-migrate versions of the files after f in
// the run (those whose names carry one), from their names alone: unlike
// Later it waits for no parse.
func (f *File) laterVersions() []uint64 {
	if f.run == nil {
		return nil
	}
	all := f.run.memoized("versions", func() any {
		all := make([]uint64, len(f.run.inputs))
		for i, in := range f.run.inputs {
			if in.Scratch {
				continue
			}
			if v, title, d, ok := ParseMigrationName(filepath.Base(in.Path)); ok && d == Up && title != "" {
				all[i] = v
			}
		}
		return all
	}).([]uint64)
	return all[f.pos+1:]
}

// runMemo returns what build derives from every file of the run (in order;
// each knows its position), computed once per run under key. Without a run
// it builds from this file alone.
func (f *File) runMemo(key string, build func(all []*File) any) any {
	if f.run == nil {
		return build([]*File{f})
	}
	return f.run.memoized(key, func() any { return build(f.run.from(0)) })
}

// Parse parses a migration file. A syntax error is returned in File.Err, not
// as an error, so that the other files are still linted.
func Parse(src *Source) *File {
	f := &File{Source: src, Directives: parseDirectives(src)}
	if f.Err = invalidUTF8(src); f.Err != nil {
		return f
	}
	tree, err := pgtree.Parse(src.Text)
	if err != nil {
		f.Err = syntaxError(src, 0, err)
		return f
	}
	for i, raw := range tree.Stmts {
		start := int(raw.StmtLocation)
		end := len(src.Text)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		start = skipSpaceAndComments(src.Text, start, end)
		st := &Statement{Node: raw.Stmt, Index: i, Start: start, End: end, base: 0, source: src}
		f.Statements = append(f.Statements, st)
		if err := extractPLpgSQL(st); err != nil {
			f.Err = err
			f.Statements = nil
			return f
		}
	}
	return f
}

// syntaxError converts a pg_query error for text starting at byte offset base.
// invalidUTF8 reports the first byte of the file that is not UTF-8. The Go
// drivers golang-migrate uses connect with client_encoding UTF8, and the
// server checks the whole query string, comments included, before parsing
// it: a file saved as Latin-1 fails as a whole.
func invalidUTF8(src *Source) *SyntaxError {
	if utf8.ValidString(src.Text) {
		return nil
	}
	off := 0
	for off < len(src.Text) {
		r, n := utf8.DecodeRuneInString(src.Text[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	line, col := src.Position(off)
	return &SyntaxError{Pos: Pos{File: src.Path, Line: line, Col: col, EndLine: line, EndCol: col},
		Msg: fmt.Sprintf("invalid byte sequence for encoding \"UTF8\": 0x%02x (PostgreSQL rejects the whole file: save it as UTF-8)", src.Text[off])}
}

func syntaxError(src *Source, base int, err error) *SyntaxError {
	var pe *pgparser.Error
	off := base
	if errors.As(err, &pe) && pe.Cursorpos > 0 {
		sub := NewSource("", src.Text[base:])
		off = base + sub.ByteOffsetOfChar(pe.Cursorpos)
	}
	line, col := src.Position(off)
	return &SyntaxError{Pos: Pos{File: src.Path, Line: line, Col: col, EndLine: line, EndCol: col}, Msg: err.Error()}
}

// skipSpaceAndComments returns the offset of the first character at or after
// off that is neither white space nor inside a comment.
func skipSpaceAndComments(text string, off, end int) int {
	for off < end {
		switch {
		case isSpace(text[off]):
			off++
		case strings.HasPrefix(text[off:], "--"):
			nl := strings.IndexByte(text[off:], '\n')
			if nl < 0 {
				return end
			}
			off += nl + 1
		case strings.HasPrefix(text[off:], "/*"):
			depth, i := 0, off
			for i < end {
				if strings.HasPrefix(text[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(text[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			off = i
		default:
			return off
		}
	}
	return off
}

// clauseEnd returns the offset just past the clause that starts at off: up to
// the first comma or semicolon outside parentheses, quotes and comments, or
// the statement's end.
func clauseEnd(text string, off, end int) int {
	// last is just past the clause's last character of code: a comment
	// after it (-- want: ..., or a note before the closing parenthesis) is
	// not part of the clause.
	depth, last := 0, off
	for i := off; i < end; i++ {
		switch c := text[i]; c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return last
			}
		case ',', ';':
			if depth == 0 {
				return last
			}
		case '\'', '"':
			j := strings.IndexByte(text[i+1:end], c)
			if j < 0 {
				return end
			}
			i += j + 1
		case '$':
			if tag := dollarTag(text[i:end]); tag != "" {
				j := strings.Index(text[i+len(tag):end], tag)
				if j < 0 {
					return end
				}
				i += len(tag) + j + len(tag) - 1
			}
		case '-':
			if i+1 < end && text[i+1] == '-' {
				nl := strings.IndexByte(text[i:end], '\n')
				if nl < 0 {
					return last
				}
				i += nl
				continue
			}
		}
		if !isSpace(text[i]) {
			last = i + 1
		}
	}
	return last
}

func trimRight(text string, start, end int) int {
	for end > start && isSpace(text[end-1]) {
		end--
	}
	return end
}

var dollarTagRe = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z_0-9]*\$|^\$\$`)

// dollarTag returns the dollar-quote tag ($$ or $name$) that s starts with.
func dollarTag(s string) string { return dollarTagRe.FindString(s) }

// extractPLpgSQL finds the statements inside a DO block or a PL/pgSQL
// function body.
func extractPLpgSQL(st *Statement) *SyntaxError {
	var body string
	var bodyNode *pg.Node
	lang := "plpgsql"
	var ctx string
	isDo := false
	switch {
	case st.Node.GetDoStmt() != nil:
		isDo = true
		ctx = fmt.Sprintf("the DO block at line %d", lineOf(st.source, st.Start))
		for _, a := range st.Node.GetDoStmt().Args {
			de := a.GetDefElem()
			if de == nil {
				continue
			}
			switch de.Defname {
			case "as":
				body, bodyNode = strVal(de.Arg), de.Arg
			case "language":
				lang = strVal(de.Arg)
			}
		}
	case st.Node.GetCreateFunctionStmt() != nil:
		cf := st.Node.GetCreateFunctionStmt()
		_, name := splitName(cf.Funcname)
		ctx = "function " + name + "()"
		if cf.IsProcedure {
			ctx = "procedure " + name + "()"
		}
		for _, o := range cf.Options {
			de := o.GetDefElem()
			if de == nil {
				continue
			}
			switch de.Defname {
			case "as":
				if l := de.Arg.GetList(); l != nil && len(l.Items) > 0 {
					body, bodyNode = strVal(l.Items[0]), l.Items[0]
				}
			case "language":
				lang = strVal(de.Arg)
			}
		}
		if cf.SqlBody != nil {
			return nil
		}
	default:
		return nil
	}
	_ = bodyNode
	if strings.ToLower(lang) != "plpgsql" || body == "" {
		return nil
	}
	text := st.source.Text
	// Locate the body in the file: it is the content of a dollar-quoted
	// (or single-quoted) string inside the statement.
	bodyOff := strings.Index(text[st.Start:st.End], body)
	if bodyOff < 0 {
		bodyOff = 0
	}
	bodyOff += st.Start
	// A DO block is compiled as the body of a function without arguments; a
	// function as it is written, so that its parameters, OUT and TABLE
	// columns and, for a trigger function, NEW and OLD are known variables.
	fn := "CREATE FUNCTION lockstep_body() RETURNS void LANGUAGE plpgsql AS $lockstep_body$" + body + "$lockstep_body$"
	if !isDo {
		fn = text[st.Start:st.End]
	}
	js, err := pg.ParsePlPgSqlToJSON(fn)
	if err != nil {
		// PostgreSQL checks a function body when it is created and a DO block
		// when it runs: both fail on a syntax error.
		var pe *pgparser.Error
		msg := err.Error()
		off := bodyOff
		if rel, m, ok := plSQLError(body); ok {
			// PL/pgSQL reports an error in an embedded SQL statement without
			// its position: find the statement and let the core parser say.
			off, msg = bodyOff+rel, m
		} else if errors.As(err, &pe) {
			off += plErrorOffset(body, pe)
		}
		line, col := st.source.Position(off)
		return &SyntaxError{Pos: Pos{File: st.source.Path, Line: line, Col: col, EndLine: line, EndCol: col},
			Msg: "in " + ctx + ": " + msg}
	}
	x := &plExtractor{st: st, body: body, bodyOff: bodyOff, ctx: ctx}
	if walkPLJSON(js, x) != nil {
		return nil
	}
	if isDo {
		st.nested = x.out
	} else {
		st.nestedBody = x.out
	}
	st.opaque = x.opaque
	return nil
}

var (
	plNearLineRe = regexp.MustCompile(`near line (\d+)`)
	plNearTokRe  = regexp.MustCompile(`at or near "(.+)"$`)
)

// plErrorOffset places a PL/pgSQL syntax error within the body: its
// Cursorpos is 0, but the context names the line ("near line 3", counted
// from the body's first line) and the message the token.
func plErrorOffset(body string, pe *pgparser.Error) int {
	if strings.Contains(pe.Message, "at end of input") {
		return len(strings.TrimRight(body, " \t\r\n"))
	}
	start := 0
	if m := plNearLineRe.FindStringSubmatch(pe.Context); m != nil {
		n, _ := strconv.Atoi(m[1])
		for i := 1; i < n; i++ {
			nl := strings.IndexByte(body[start:], '\n')
			if nl < 0 {
				break
			}
			start += nl + 1
		}
	}
	if m := plNearTokRe.FindStringSubmatch(pe.Message); m != nil {
		if i := strings.Index(body[start:], m[1]); i >= 0 {
			return start + i
		}
		if i := strings.Index(body, m[1]); i >= 0 {
			return i
		}
	}
	return start
}

// plSQLError finds the first SQL statement of a PL/pgSQL body that the core
// parser rejects, and returns the byte offset and message of its error. It
// looks at each ;-terminated piece outside quotes that starts (after the
// block's control words) with an SQL command word.
func plSQLError(body string) (int, string, bool) {
	start := 0
	for start < len(body) {
		end := clauseEndAt(body, start, ';')
		piece := body[start:end]
		if lead, ok := sqlCommandStart(piece); ok {
			sql := piece[lead:]
			if _, err := pgtree.Parse(sql); err != nil {
				var pe *pgparser.Error
				if errors.As(err, &pe) && pe.Cursorpos > 0 {
					return start + lead + NewSource("", sql).ByteOffsetOfChar(pe.Cursorpos), err.Error(), true
				}
			}
		}
		start = end + 1
	}
	return 0, "", false
}

// clauseEndAt returns the offset of the first sep at or after off outside
// quotes, dollar quotes and comments, or len(text).
func clauseEndAt(text string, off int, sep byte) int {
	for i := off; i < len(text); i++ {
		switch c := text[i]; {
		case c == sep:
			return i
		case c == '\'' || c == '"':
			j := strings.IndexByte(text[i+1:], c)
			if j < 0 {
				return len(text)
			}
			i += j + 1
		case c == '$':
			if tag := dollarTag(text[i:]); tag != "" {
				j := strings.Index(text[i+len(tag):], tag)
				if j < 0 {
					return len(text)
				}
				i += len(tag) + j + len(tag) - 1
			}
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			nl := strings.IndexByte(text[i:], '\n')
			if nl < 0 {
				return len(text)
			}
			i += nl
		}
	}
	return len(text)
}

var (
	plControlWords = map[string]bool{"BEGIN": true, "LOOP": true, "ELSE": true, "END": true}
	plCondWords    = map[string]bool{"IF": true, "ELSIF": true, "WHILE": true, "WHEN": true}
	sqlCommands    = map[string]bool{"UPDATE": true, "INSERT": true, "DELETE": true, "ALTER": true, "CREATE": true,
		"DROP": true, "TRUNCATE": true, "LOCK": true, "GRANT": true, "REVOKE": true, "COMMENT": true, "REINDEX": true,
		"CLUSTER": true, "VACUUM": true, "ANALYZE": true, "REFRESH": true, "MERGE": true, "WITH": true}
	wordRe = regexp.MustCompile(`^[A-Za-z_]+`)
	thenRe = regexp.MustCompile(`(?i)\b(THEN|LOOP)\b`)
)

// sqlCommandStart returns where the SQL command of a body piece starts,
// after control words (BEGIN, LOOP, ELSE) and conditions (IF ... THEN).
func sqlCommandStart(piece string) (int, bool) {
	off := 0
	for off < len(piece) {
		off = skipSpaceAndComments(piece, off, len(piece))
		w := strings.ToUpper(wordRe.FindString(piece[off:]))
		switch {
		case w == "":
			return 0, false
		case sqlCommands[w]:
			return off, true
		case plControlWords[w]:
			off += len(w)
		case plCondWords[w]:
			then := thenRe.FindStringIndex(piece[off:])
			if then == nil {
				return 0, false
			}
			off += then[1]
		default:
			return 0, false
		}
	}
	return 0, false
}

type plExtractor struct {
	st      *Statement
	body    string
	bodyOff int
	ctx     string
	out     []*Statement
	opaque  []int
	// searchFrom keeps successive statements found in order.
	searchFrom int
}

var plLoops = map[string]bool{
	"PLpgSQL_stmt_loop": true, "PLpgSQL_stmt_while": true, "PLpgSQL_stmt_fori": true, "PLpgSQL_stmt_fors": true,
	"PLpgSQL_stmt_forc": true, "PLpgSQL_stmt_foreach_a": true, "PLpgSQL_stmt_dynfors": true,
}

// sqlStringLiteral returns the value of an expression that is one string
// constant ('...' or $$...$$).
func sqlStringLiteral(expr string) (string, bool) {
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return "", false
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return "", false
	}
	rt := sel.TargetList[0].GetResTarget()
	if rt == nil || rt.Val.GetAConst() == nil || rt.Val.GetAConst().GetSval() == nil {
		return "", false
	}
	return rt.Val.GetAConst().GetSval().Sval, true
}

// lineOffset returns the file offset of line n of the body (1-based).
func (x *plExtractor) lineOffset(n int) int {
	off := 0
	for i := 1; i < n; i++ {
		nl := strings.IndexByte(x.body[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return x.bodyOff + off
}

func (x *plExtractor) add(query string, line int, inLoop, dynamic bool) {
	from := x.lineOffset(line) - x.bodyOff
	if from < x.searchFrom {
		from = x.searchFrom
	}
	rel := strings.Index(x.body[from:], query)
	if rel >= 0 {
		rel += from
		x.searchFrom = rel + len(query)
	} else if rel = strings.Index(x.body, query); rel < 0 {
		rel = x.lineOffset(line) - x.bodyOff
	}
	base := x.bodyOff + rel
	tree, err := pgtree.Parse(query)
	if err != nil {
		x.opaque = append(x.opaque, base)
		return
	}
	for _, raw := range tree.Stmts {
		start := base + int(raw.StmtLocation)
		end := base + len(query)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		if end > len(x.st.source.Text) {
			end = len(x.st.source.Text)
		}
		start = skipSpaceAndComments(x.st.source.Text, start, end)
		x.out = append(x.out, &Statement{Node: raw.Stmt, Index: x.st.Index, Start: start, End: end, base: base,
			Via: x.st, Context: x.ctx, InLoop: inLoop, Dynamic: dynamic, source: x.st.source})
	}
}
