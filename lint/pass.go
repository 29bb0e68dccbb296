package lint

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

// Pass is what a rule sees of one statement: the statement, the file, the
// catalog as the earlier statements left it, the transaction context and the
// configuration. Rules must not modify any of it.
type Pass struct {
	Rule    *Rule
	File    *File
	Stmt    *Statement
	Catalog *Catalog
	Tx      Tx
	Config  *Config
	// Locks are the locks the statement takes, strongest per relation.
	Locks []Lock
	// New reports whether the file being linted is unreleased (added since
	// --since); objects it created are then new to later files too.
	newFile bool
	report  func(*Statement, Finding)
	// unless is the condition of the finding being reported through Unless.
	unless func() bool
	once   map[onceKey]bool
	// long, in the lint loop's pass, collects what the scan and rewrite
	// rules report on the statement, for missing-statement-timeout.
	long *longProbe
}

// FirstInFile returns true the first time a rule asks with a key in a file,
// false after: for rules that report once per file.
func (p *Pass) FirstInFile(key string) bool {
	k := onceKey{p.Rule, key}
	if p.once[k] {
		return false
	}
	p.once[k] = true
	return true
}

// StatementLines returns the full source lines the statement spans, for a
// suggestion that replaces them.
func (p *Pass) StatementLines() string {
	src := p.File.Source
	l1, _ := src.Position(p.Stmt.Start)
	l2, _ := src.Position(p.Stmt.End)
	end := src.LineOffset(l2 + 1)
	if end > len(src.Text) {
		end = len(src.Text)
	}
	return strings.TrimRight(src.Text[src.LineOffset(l1):end], "\n")
}

// onceKey is what FirstInFile has seen: a rule and its key.
type onceKey struct {
	rule *Rule
	key  string
}

// Node is the statement's parse tree.
func (p *Pass) Node() *pg.Node { return p.Stmt.Node }

// PGVersion is the target PostgreSQL major version.
func (p *Pass) PGVersion() int { return p.Config.PGVersion }

// Source is the file's text.
func (p *Pass) Source() *Source { return p.File.Source }

// HasReaders reports whether the running release uses an object of that
// origin: it was not created by this file nor by an unreleased one.
func (p *Pass) HasReaders(o Origin) bool {
	if o.File == "" {
		return true
	}
	if o.File == p.File.Source.Path {
		return false
	}
	// A file declared contract runs only once a release later than the one
	// that ships it is fully rolled out: by then what the other files of its
	// change created is in use.
	return !o.New || declaredPhase(p.File) == Contract
}

// Existing reports whether a relation exists with readers before this
// statement: it is not known to be created by this file or an unreleased one.
func (p *Pass) Existing(rv *pg.RangeVar) bool {
	if rv == nil {
		return false
	}
	return p.ExistingNamed(QualifiedName(rv))
}

// ExistingNamed is Existing by qualified name (tables, views, indexes).
func (p *Pass) ExistingNamed(qualified string) bool {
	if t := p.Catalog.tables[qualified]; t != nil {
		return p.HasReaders(t.Origin)
	}
	if ix := p.Catalog.indexes[qualified]; ix != nil {
		return p.HasReaders(ix.Origin)
	}
	if o, ok := p.Catalog.views[qualified]; ok {
		return p.HasReaders(o)
	}
	return true
}

// LockOn returns the lock the statement takes on a relation.
func (p *Pass) LockOn(qualified string) Lock {
	for _, l := range p.Locks {
		if l.Relation == qualified {
			return l
		}
	}
	return Lock{Relation: qualified}
}

// Unless returns the pass for reporting a finding that is dropped when drop
// returns true. drop runs once every file of the run is parsed, so it may
// look at the files after this one (File.runMemo) without making the lint
// of this file wait for them. It must not use the Pass: capture what it
// needs.
func (p *Pass) Unless(drop func() bool) *Pass {
	q := *p
	q.report = func(st *Statement, f Finding) {
		p.unless = drop
		defer func() { p.unless = nil }()
		p.report(st, f)
	}
	return &q
}

// Report reports a finding on the whole statement.
func (p *Pass) Report(f Finding) { p.report(p.Stmt, f) }

// ReportAt reports a finding on the clause that starts at a node location
// (as pg_query gives it) within the statement.
func (p *Pass) ReportAt(loc int32, f Finding) {
	start := p.Stmt.Offset(loc)
	if loc < 0 || start == p.Stmt.Start {
		p.report(p.Stmt, f)
		return
	}
	end := clauseEnd(p.File.Source.Text, start, p.Stmt.End)
	f.Pos = p.File.Source.Span(start, end)
	p.report(p.Stmt, f)
}

// InBlock reports whether the statement runs inside a transaction block.
func (p *Pass) InBlock() bool { return p.Tx.InBlock || p.Stmt.Via != nil }

// StatementPhase is the phase of one statement of a file.
type StatementPhase struct {
	Stmt  *Statement
	Phase Phase
}

// FilePass is what a file-level rule sees: the file, each statement's phase
// and the file's result so far.
type FilePass struct {
	Rule   *Rule
	File   *File
	Config *Config
	Result *FileResult
	Phases []StatementPhase
	report func(*Statement, Finding)
}

// Report reports a finding on a statement (nil: the file's first line).
func (p *FilePass) Report(s *Statement, f Finding) { p.report(s, f) }

// Rewrite returns the statement's SQL after mutate changed a copy of its
// parse tree (the original is untouched), as pg_query deparses it.
func (p *Pass) Rewrite(mutate func(n *pg.Node)) string {
	return RewriteNode(p.Stmt.Node, mutate)
}

// RewriteNode deparses a mutated copy of a statement's tree; "" when
// deparsing fails.
func RewriteNode(n *pg.Node, mutate func(n *pg.Node)) string {
	c := n
	if mutate != nil {
		// Deparsing does not change the tree: copy only what mutate may.
		c = pgtree.Clone(n)
		mutate(c)
	}
	if !deparseSafe(c) {
		return ""
	}
	out, err := pg.Deparse(&pg.ParseResult{Version: treeVersion(), Stmts: []*pg.RawStmt{{Stmt: c}}})
	if err != nil {
		return ""
	}
	return out + ";"
}

// Name renders a relation for messages (without the public. prefix).
func Name(rv *pg.RangeVar) string { return DisplayName(QualifiedName(rv)) }

// OnlyStatement reports whether the statement is alone in its file, so a
// one-statement rewrite can replace it in place.
func (p *Pass) OnlyStatement() bool { return len(p.File.Statements) == 1 && p.Stmt.Via == nil }

// deparseSafe reports whether pg_query's deparser can render a statement:
// the protobuf tree turns an empty string into NULL, and the deparser
// crashes (SIGSEGV in C, no Go recovery) on a NULL enum value or LOAD file
// name, which the fuzzer found as ALTER TYPE e ADD VALUE with an empty
// string.
func deparseSafe(n *pg.Node) bool {
	switch {
	case n.GetAlterEnumStmt() != nil:
		return n.GetAlterEnumStmt().NewVal != ""
	case n.GetLoadStmt() != nil:
		return n.GetLoadStmt().Filename != ""
	}
	return true
}
