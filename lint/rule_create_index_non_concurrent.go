package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleCreateIndexNonConcurrent = &Rule{
	ID:       "create-index-non-concurrent",
	Severity: Error,
	Summary:  "CREATE INDEX without CONCURRENTLY blocks writes to a table in use while the index builds",
	Doc: `A plain CREATE INDEX takes a SHARE lock on the table for the whole build, a full scan of
the table: every INSERT, UPDATE and DELETE waits, and so do the requests behind them.
CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE instead, which lets reads and writes
through. It cannot run inside a transaction block, so under golang-migrate it must be the only
statement of its file. Tables created by the same file, or by a file not yet released, have
no traffic and are not flagged. Partitioned tables are index-on-partitioned-table's business.`,
	Check: func(p *Pass) {
		is := p.Node().GetIndexStmt()
		if is == nil || is.Concurrent || !p.Existing(is.Relation) {
			return
		}
		if t := p.Catalog.Table(is.Relation); t != nil && t.Partitioned {
			return
		}
		fix, ok := withConcurrently(p.Stmt.Text())
		if !ok {
			fix = p.Rewrite(func(n *pg.Node) { n.GetIndexStmt().Concurrent = true })
		}
		f := Finding{
			Message: fmt.Sprintf("CREATE INDEX on %s without CONCURRENTLY blocks writes to it for the whole build", Name(is.Relation)),
			Lock:    p.LockOn(QualifiedName(is.Relation)),
			Cost:    Scan,
			Breaks:  BreaksAvailability,
			Fix:     fix,
		}
		if p.OnlyStatement() {
			f.Suggestion = fix
		} else if p.Config.Runner == RunnerGolangMigrate {
			f.Fix = "-- in a migration file of its own (golang-migrate runs a multi-statement file as one transaction)\n" + fix
		}
		p.Report(f)
	},
}

// withConcurrently returns a CREATE INDEX statement as written, from its
// CREATE keyword on, with CONCURRENTLY after INDEX (in the case INDEX is
// written in) and a closing semicolon: the fix keeps the author's names,
// spacing and options. ok is false when the text does not begin with
// CREATE [UNIQUE] INDEX after white space and comments, or has a line
// comment after it.
func withConcurrently(text string) (string, bool) {
	i := skipSpaceAndComments(text, 0, len(text))
	start := i
	word := func() string {
		j := i
		for j < len(text) && identByte[text[j]] {
			j++
		}
		w := text[i:j]
		i = j
		return w
	}
	if !strings.EqualFold(word(), "create") {
		return "", false
	}
	i = skipSpaceAndComments(text, i, len(text))
	w := word()
	if strings.EqualFold(w, "unique") {
		i = skipSpaceAndComments(text, i, len(text))
		w = word()
	}
	if !strings.EqualFold(w, "index") || strings.Contains(text[i:], "--") {
		return "", false // a line comment could swallow the semicolon
	}
	kw := "CONCURRENTLY"
	if w == "index" {
		kw = "concurrently"
	}
	out := strings.TrimRight(text[start:i]+" "+kw+text[i:], " \t\r\n;") + ";"
	return out, true
}
