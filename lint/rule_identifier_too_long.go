package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// maxIdentifier is NAMEDATALEN - 1: PostgreSQL truncates longer names.
const maxIdentifier = 63

var ruleIdentifierTooLong = &Rule{
	ID:       "identifier-too-long",
	Severity: Warning,
	Summary:  "an identifier longer than 63 bytes, which PostgreSQL silently truncates",
	Doc: `PostgreSQL keeps at most 63 bytes of a name (NAMEDATALEN - 1) and truncates longer identifiers
with only a NOTICE, which migration runners do not show. The table, column, index or constraint
then has another name than the one written: tools and code that compare names (ORMs, schema diffs,
"lockstep plan", error handling that matches constraint names) do not find it, and two long names
that share their first 63 bytes collide ("already exists"). Bytes, not characters, count: a name
with accents or other non-ASCII letters reaches the limit sooner. lockstep reads the file's text,
since the parser has already truncated the names it returns, and reports each long name once per
file.`,
	Check: func(p *Pass) {
		if p.Stmt.nested != nil {
			return // a DO block: its statements are checked one by one
		}
		text := p.Stmt.Text()
		if !mayHaveLongIdentifier(text) {
			return
		}
		toks, err := pg.Scan(text)
		if err != nil {
			return
		}
		for _, t := range toks.Tokens {
			if t.Token != pg.Token_IDENT && t.Token != pg.Token_UIDENT {
				continue
			}
			raw := text[t.Start:t.End]
			name := identValue(raw)
			if len(name) <= maxIdentifier || !p.FirstInFile(name) {
				continue
			}
			start := p.Stmt.Start + int(t.Start)
			p.Report(Finding{
				Pos:     p.File.Source.Span(start, p.Stmt.Start+int(t.End)),
				Message: fmt.Sprintf("identifier %q is %d bytes: PostgreSQL silently truncates it to 63, so the object is named %q", name, len(name), truncateIdent(name)),
				Fix:     fmt.Sprintf("-- a name of at most 63 bytes, e.g. PostgreSQL's own truncation:\n%s", quoteIdent(truncateIdent(name))),
			})
		}
	},
}

// identByte holds the bytes an unquoted identifier is made of.
var identByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '_' || c == '$' || c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

// mayHaveLongIdentifier is a cheap test before scanning: a run of more than
// 63 identifier bytes, or a quoted one of more than 63 bytes as written (a
// doubled "" counts twice: never too short).
func mayHaveLongIdentifier(s string) bool {
	if strings.IndexByte(s, '"') < 0 {
		// Without quotes, a run of more than 63 bytes covers one of every
		// 64th byte: look only around those.
		for i := maxIdentifier; i < len(s); i += maxIdentifier + 1 {
			if !identByte[s[i]] {
				continue
			}
			lo, hi := i, i+1
			for lo > 0 && identByte[s[lo-1]] {
				lo--
			}
			for hi < len(s) && identByte[s[hi]] {
				hi++
			}
			if hi-lo > maxIdentifier {
				return true
			}
		}
		return false
	}
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			k := i + 1
			for k < len(s) && (s[k] != '"' || (k+1 < len(s) && s[k+1] == '"')) {
				if s[k] == '"' {
					k++ // a doubled quote
				}
				k++
			}
			if k-i-1 > maxIdentifier {
				return true
			}
			i, run = k, 0
			continue
		}
		if identByte[c] {
			run++
			if run > maxIdentifier {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// identValue is the name an identifier token stands for: unquoted ones are
// folded to lower case (ASCII only, as PostgreSQL does in UTF-8).
func identValue(raw string) string {
	if strings.HasPrefix(raw, `"`) && strings.HasSuffix(raw, `"`) && len(raw) >= 2 {
		return strings.ReplaceAll(raw[1:len(raw)-1], `""`, `"`)
	}
	b := []byte(raw)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// truncateIdent cuts a name to 63 bytes without splitting a character.
func truncateIdent(s string) string {
	if len(s) <= maxIdentifier {
		return s
	}
	n := maxIdentifier
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func quoteIdent(s string) string {
	for _, c := range s {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}
