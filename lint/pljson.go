package lint

import (
	"encoding/json"
	"errors"
	"strconv"
)

// plJSON reads the JSON that pg_query's PL/pgSQL parser returns, in one
// pass and in document order, for what plExtractor needs: the SQL
// statements the body runs (PLpgSQL_stmt_execsql), the ones it builds
// (PLpgSQL_stmt_dynexecute), and whether each sits inside a loop. Decoding
// the whole tree into maps cost more than parsing the body.
type plJSON struct {
	s string
	i int
	x *plExtractor
}

var errPLJSON = errors.New("malformed PL/pgSQL parse tree")

// walkPLJSON walks js, adding what it finds to x; on malformed input x gets
// nothing.
func walkPLJSON(js string, x *plExtractor) error {
	p := &plJSON{s: js, x: x}
	if err := p.value(false); err != nil {
		x.out, x.opaque, x.searchFrom = nil, nil, 0
		return err
	}
	return nil
}

func (p *plJSON) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

// value walks the value at p.i.
func (p *plJSON) value(inLoop bool) error {
	p.space()
	if p.i >= len(p.s) {
		return errPLJSON
	}
	switch p.s[p.i] {
	case '{':
		return p.object(func(key string) error {
			switch key {
			case "PLpgSQL_stmt_execsql":
				line, q, err := p.stmt("sqlstmt")
				if err == nil && q != "" {
					p.x.add(q, line, inLoop, false)
				}
				return err
			case "PLpgSQL_stmt_dynexecute":
				line, q, err := p.stmt("query")
				if err != nil {
					return err
				}
				if lit, ok := sqlStringLiteral(q); ok {
					p.x.add(lit, line, inLoop, true)
				} else {
					p.x.opaque = append(p.x.opaque, p.x.lineOffset(line))
				}
				return nil
			}
			return p.value(inLoop || plLoops[key])
		})
	case '[':
		if p.open(']') {
			return nil
		}
		for {
			if err := p.value(inLoop); err != nil {
				return err
			}
			if done, err := p.next(']'); done || err != nil {
				return err
			}
		}
	case '"':
		_, err := p.str()
		return err
	default:
		return p.scalar()
	}
}

// object walks the object at p.i, calling member with p.i at each value.
func (p *plJSON) object(member func(key string) error) error {
	if p.open('}') {
		return nil
	}
	for {
		p.space()
		key, err := p.str()
		if err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return errPLJSON
		}
		p.i++
		if err := member(key); err != nil {
			return err
		}
		if done, err := p.next('}'); done || err != nil {
			return err
		}
	}
}

// open steps over the bracket at p.i and reports whether close follows it
// (an empty array or object), stepping over that too.
func (p *plJSON) open(close byte) bool {
	p.i++
	p.space()
	if p.i < len(p.s) && p.s[p.i] == close {
		p.i++
		return true
	}
	return false
}

// next reads the separator after a member: done at close, on at a comma.
func (p *plJSON) next(close byte) (done bool, err error) {
	p.space()
	if p.i >= len(p.s) {
		return false, errPLJSON
	}
	c := p.s[p.i]
	p.i++
	switch c {
	case close:
		return true, nil
	case ',':
		return false, nil
	}
	return false, errPLJSON
}

// stmt reads a statement object: its lineno and the query of the
// PLpgSQL_expr under field.
func (p *plJSON) stmt(field string) (line int, query string, err error) {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return 0, "", p.skip()
	}
	err = p.object(func(key string) error {
		switch key {
		case "lineno":
			p.space()
			start := p.i
			if err := p.scalar(); err != nil {
				return err
			}
			if f, err := strconv.ParseFloat(p.s[start:p.i], 64); err == nil {
				line = int(f)
			}
			return nil
		case field:
			q, err := p.path("PLpgSQL_expr", "query")
			query = q
			return err
		}
		return p.skip()
	})
	return line, query, err
}

// path reads the string at the end of a path of object keys ("" when the
// value is not there or not a string).
func (p *plJSON) path(keys ...string) (string, error) {
	p.space()
	if p.i >= len(p.s) {
		return "", errPLJSON
	}
	if len(keys) == 0 {
		if p.s[p.i] != '"' {
			return "", p.skip()
		}
		return p.str()
	}
	if p.s[p.i] != '{' {
		return "", p.skip()
	}
	var out string
	err := p.object(func(key string) error {
		if key != keys[0] {
			return p.skip()
		}
		v, err := p.path(keys[1:]...)
		out = v
		return err
	})
	return out, err
}

// skip steps over the value at p.i.
func (p *plJSON) skip() error {
	p.space()
	if p.i >= len(p.s) {
		return errPLJSON
	}
	switch p.s[p.i] {
	case '{':
		return p.object(func(string) error { return p.skip() })
	case '"':
		_, err := p.str()
		return err
	case '[':
		p.i++
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.skip(); err != nil {
				return err
			}
			p.space()
			if p.i >= len(p.s) {
				return errPLJSON
			}
			c := p.s[p.i]
			p.i++
			if c == ']' {
				return nil
			}
			if c != ',' {
				return errPLJSON
			}
		}
	}
	return p.scalar()
}

// str reads a string, unescaping it only when it has escapes.
func (p *plJSON) str() (string, error) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", errPLJSON
	}
	start, escaped := p.i, false
	for p.i++; p.i < len(p.s); p.i++ {
		switch p.s[p.i] {
		case '\\':
			escaped = true
			p.i++
		case '"':
			p.i++
			if !escaped {
				return p.s[start+1 : p.i-1], nil
			}
			var v string
			if err := json.Unmarshal([]byte(p.s[start:p.i]), &v); err != nil {
				return "", errPLJSON
			}
			return v, nil
		}
	}
	return "", errPLJSON
}

// scalar steps over a number, true, false or null.
func (p *plJSON) scalar() error {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			break
		}
		p.i++
	}
	if p.i == start {
		return errPLJSON
	}
	return nil
}
