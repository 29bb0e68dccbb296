package lint

import (
	"fmt"
	"strings"
)

var ruleNaiveSplitDollarQuote = &Rule{
	ID:       "naive-split-dollar-quote",
	Severity: Error,
	Summary:  "x-multi-statement splits the file at a ';' inside a statement (a $$ body, a string, a comment)",
	Doc: `With x-multi-statement=true golang-migrate does not parse the file: it cuts it at every ';' byte
and sends each piece on its own. A ';' inside a statement, most often in the dollar-quoted body of a
DO block or a PL/pgSQL function, but also in a string literal, a quoted identifier, a /* comment */,
a BEGIN ATOMIC function body, or a -- comment with text after it, cuts that statement in two: both
pieces fail with a syntax error (an unterminated dollar quote, string or comment), and the
statements before them have already been committed. lockstep reads the file's raw text as the
splitter does and reports the first such ';' of each statement. Apply files that need one without
x-multi-statement (golang-migrate's default sends the whole file as one query string, which
PostgreSQL parses properly), or with lockstep migrate, which splits on statement boundaries; keep
';' out of comments and string literals (chr(59) spells one).`,
	CheckFile: func(p *FilePass) {
		if p.Config.Runner != RunnerMultiStatement || len(p.File.Statements) == 0 {
			return
		}
		text := p.File.Source.Text
		reported := map[*Statement]bool{}
		for _, sc := range semicolons(text) {
			st := statementAround(p.File.Statements, sc.off)
			if sc.ctx == ctxCode && (sc.off < st.Start || sc.off >= st.End) {
				continue // a statement's own terminator
			}
			if sc.ctx == ctxLineComment {
				rest := text[sc.off+1:]
				if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
					rest = rest[:nl]
				}
				if strings.TrimSpace(rest) == "" {
					continue // the piece ends with the comment: harmless
				}
			}
			if reported[st] {
				continue
			}
			reported[st] = true
			line := lineOf(p.File.Source, st.Start)
			where, fix := semicolonContext(sc.ctx, line)
			p.Report(st, Finding{
				Pos:     p.File.Source.Span(sc.off, sc.off+1),
				Message: fmt.Sprintf("x-multi-statement splits the file at every ';', also at this one %s: the statement at line %d is sent in two pieces that both fail with a syntax error, and the migration stops half applied", where, line),
				Breaks:  BreaksNew,
				Fix:     fix,
			})
		}
	},
}

type sqlContext int

const (
	ctxCode sqlContext = iota
	ctxString
	ctxIdent
	ctxDollar
	ctxLineComment
	ctxBlockComment
)

type semicolon struct {
	off int
	ctx sqlContext
}

// semicolons lexes SQL text as PostgreSQL does (quotes, E'...' escapes,
// dollar quotes, nested block comments) and returns every ';' with the
// context it is in.
func semicolons(s string) []semicolon {
	var out []semicolon
	identByte := func(c byte) bool {
		return c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
	}
	scanTo := func(from int, ctx sqlContext, end string) int {
		j := strings.Index(s[from:], end)
		stop := len(s)
		if j >= 0 {
			stop = from + j
		}
		for k := from; k < stop; k++ {
			if s[k] == ';' {
				out = append(out, semicolon{k, ctx})
			}
		}
		if j < 0 {
			return len(s)
		}
		return stop + len(end)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ';':
			out = append(out, semicolon{i, ctxCode})
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			i = scanTo(i+2, ctxLineComment, "\n")
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			depth, k := 1, i+2
			for k < len(s) && depth > 0 {
				switch {
				case strings.HasPrefix(s[k:], "/*"):
					depth++
					k += 2
				case strings.HasPrefix(s[k:], "*/"):
					depth--
					k += 2
				default:
					if s[k] == ';' {
						out = append(out, semicolon{k, ctxBlockComment})
					}
					k++
				}
			}
			i = k
		case c == '\'':
			escapes := i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && (i < 2 || !identByte(s[i-2]))
			k := i + 1
			for k < len(s) {
				if escapes && s[k] == '\\' {
					k += 2
					continue
				}
				if s[k] == '\'' {
					if k+1 < len(s) && s[k+1] == '\'' {
						k += 2
						continue
					}
					break
				}
				if s[k] == ';' {
					out = append(out, semicolon{k, ctxString})
				}
				k++
			}
			i = k + 1
		case c == '"':
			k := i + 1
			for k < len(s) {
				if s[k] == '"' {
					if k+1 < len(s) && s[k+1] == '"' {
						k += 2
						continue
					}
					break
				}
				if s[k] == ';' {
					out = append(out, semicolon{k, ctxIdent})
				}
				k++
			}
			i = k + 1
		case c == '$' && (i == 0 || !identByte(s[i-1])):
			if tag := dollarTag(s[i:]); tag != "" {
				i = scanTo(i+len(tag), ctxDollar, tag)
				continue
			}
			i++
		case identByte(c):
			for i < len(s) && identByte(s[i]) {
				i++
			}
		default:
			i++
		}
	}
	return out
}

// statementAround returns the statement that holds an offset, else the next
// one (a comment before it), else the last.
func statementAround(sts []*Statement, off int) *Statement {
	for _, s := range sts {
		if off < s.End {
			return s
		}
	}
	return sts[len(sts)-1]
}

func semicolonContext(ctx sqlContext, line int) (where, fix string) {
	const run = "-- apply this file without x-multi-statement (golang-migrate's default sends it as one query string,\n-- which PostgreSQL parses properly), or with lockstep migrate, which splits on statement boundaries"
	switch ctx {
	case ctxDollar:
		return "inside a dollar-quoted body", run
	case ctxString:
		return "inside a string literal", "-- spell the ';' without the byte: 'a' || chr(59) || 'b'\n" + run
	case ctxIdent:
		return "inside a quoted identifier", "-- rename it without ';'\n" + run
	case ctxBlockComment:
		return "inside a /* comment */", "-- remove the ';' from the comment, or write it as -- comments"
	case ctxLineComment:
		return "inside a -- comment (the text after it is sent as SQL)", "-- remove the ';' from the comment, or end the comment line with it"
	}
	return fmt.Sprintf("inside the statement that starts at line %d (a BEGIN ATOMIC body?)", line), run
}
