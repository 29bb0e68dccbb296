package lint

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Input is one file to lint, in history order.
type Input struct {
	Path string
	Text string
	// New marks an unreleased file (added since --since): what it creates has
	// no readers in later files either.
	New bool
	// Replay marks a file that is only replayed into the catalog (history
	// older than --since), not reported.
	Replay bool
	// Scratch marks a file linted against the catalog without changing it: a
	// .down.sql file, which undoes its up file rather than extending history.
	Scratch bool
	// Load, when set, reads the file's text instead of Text: Lint calls it
	// from its parse workers, so that reading overlaps linting. Its error is
	// returned as is, for the first such file in history order.
	Load func() (string, error)
}

// FileResult is the outcome for one file.
type FileResult struct {
	Path       string
	Linted     bool
	Statements int
	Findings   []Finding
	// Phase is the declared phase, or else the one inferred from the content
	// (PhaseNone when nothing in the file changes what a release sees).
	Phase    Phase
	Declared Phase
	Inferred Phase
	// Mixed is true when statements of several phases share the file.
	Mixed bool
	// Risk is the highest severity of the file's findings, 0 for none.
	Risk Severity
	// Err is set for a file that does not parse.
	Err *SyntaxError
}

// Result is the outcome of a lint run.
type Result struct {
	Files []FileResult
	// Findings holds every finding, ordered by file (history order), line
	// and column.
	Findings []Finding
	Config   Config
	// Sources holds each file's text by path, for excerpts.
	Sources map[string]*Source
}

// Count returns how many findings have exactly that severity.
func (r *Result) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Fails reports whether any finding is at or above min (0: never fails).
func (r *Result) Fails(min Severity) bool {
	if min == 0 {
		return false
	}
	for _, f := range r.Findings {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

// SyntaxErrors returns the files that do not parse.
func (r *Result) SyntaxErrors() []*SyntaxError {
	var out []*SyntaxError
	for _, f := range r.Files {
		if f.Err != nil {
			out = append(out, f.Err)
		}
	}
	return out
}

// Linted is the number of files linted (not only replayed).
func (r *Result) Linted() int {
	n := 0
	for _, f := range r.Files {
		if f.Linted {
			n++
		}
	}
	return n
}

// Linter lints migrations with one configuration.
type Linter struct {
	cfg       Config
	rules     []*Rule
	fileRules []*Rule
	sev       map[string]Severity
	// long are the long rules (longRules) that run, whose findings
	// missing-statement-timeout reuses; lastRules run after every other
	// rule of a statement, to see what they found.
	long      map[*Rule]bool
	lastRules []*Rule
}

// New validates the configuration and returns a Linter. Errors are usage
// errors naming the setting.
func New(cfg Config) (*Linter, error) {
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	if err := validateRules(Rules()); err != nil {
		return nil, err
	}
	l := &Linter{cfg: cfg, sev: map[string]Severity{}, long: map[*Rule]bool{}}
	for _, r := range Rules() {
		s := cfg.severityOf(r)
		l.sev[r.ID] = s
		if s != 0 && r.Check != nil {
			if r == ruleMissingStatementTimeout {
				l.lastRules = append(l.lastRules, r)
			} else {
				l.rules = append(l.rules, r)
			}
		}
		if s != 0 && r.CheckFile != nil {
			l.fileRules = append(l.fileRules, r)
		}
	}
	for _, r := range l.rules {
		if _, ok := longRank[r]; ok {
			l.long[r] = true
		}
	}
	return l, nil
}

// Config returns the normalized configuration.
func (l *Linter) Config() Config { return l.cfg }

// Lint parses every input (in parallel) and lints them in order, replaying
// each into the catalog for the ones after it. A file that does not parse
// yields a syntax-error finding and FileResult.Err; the error return is for
// configuration errors in the files' directives (fault.Usage), for an input
// whose Load fails (its error, the first in history order) and for a
// cancelled context.
//
// The parse workers run ahead of the lint loops, which only wait for the
// file they lint next. A long history is cut into consecutive chunks, one
// lint loop each: a chunk starts from the catalog as the files before it
// leave it, which a replay loop (the catalog statements alone, far cheaper
// than the rules) builds as the files are parsed. Findings that depend on
// later files (Pass.Unless) are settled, and each file's suppressions and
// sort applied, once every file is linted.
func (l *Linter) Lint(ctx context.Context, inputs []Input) (*Result, error) {
	n := len(inputs)
	files := make([]*File, n)
	loadErr := make([]error, n)
	ready := make([]chan struct{}, n)
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	run := &lintRun{ctx: ctx, inputs: inputs, files: files, ready: ready, memo: map[string]*memoEntry{}}
	// Workers take the files in history order, so the next file a loop
	// needs is the one parsed first.
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	for w := 0; w < parseWorkers(n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				in := inputs[i]
				text := in.Text
				if in.Load != nil {
					var err error
					if text, err = in.Load(); err != nil {
						loadErr[i] = err
						files[i] = &File{Source: NewSource(in.Path, "")}
						close(ready[i])
						continue
					}
				}
				f := Parse(NewSource(in.Path, text))
				if !in.Scratch {
					f.run, f.pos = run, i
				}
				files[i] = f
				close(ready[i])
			}
		}()
	}
	wait := func(i int) bool {
		select {
		case <-ready[i]:
			return true
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
	}

	chunks := lintChunks(n)
	snapshot := make([]chan *Catalog, len(chunks))
	for k := range snapshot {
		snapshot[k] = make(chan *Catalog, 1)
	}
	snapshot[0] <- NewCatalog()
	if len(chunks) > 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cat := NewCatalog()
			last := len(chunks) - 1
			for i, k := 0, 1; i < chunks[last]; i++ {
				if i == chunks[k] {
					snapshot[k] <- cat.clone()
					k++
				}
				if !wait(i) {
					return
				}
				if loadErr[i] == nil && !inputs[i].Scratch {
					replayFile(files[i], inputs[i], cat)
				}
			}
			snapshot[last] <- cat
		}()
	}

	runs := make([]*fileRun, n)
	results := make([]FileResult, n)
	errs := make([]error, n)
	var loops sync.WaitGroup
	for k, from := range chunks {
		to := n
		if k+1 < len(chunks) {
			to = chunks[k+1]
		}
		loops.Add(1)
		go func() {
			defer loops.Done()
			var cat *Catalog
			select {
			case cat = <-snapshot[k]:
			case <-ctx.Done():
				return
			case <-stop:
				return
			}
			for i := from; i < to; i++ {
				if !wait(i) {
					return
				}
				if loadErr[i] != nil {
					errs[i] = loadErr[i]
					return
				}
				c := cat
				if inputs[i].Scratch {
					c = cat.clone()
				}
				fr, r, err := l.lintFile(files[i], inputs[i], c)
				if err != nil {
					errs[i] = err
					return
				}
				results[i], runs[i] = fr, r
			}
			// The chunk's files finish now, while later chunks still lint:
			// the file rules, the suppressions and the unless checks touch
			// only a file's own run, and what the checks read of later
			// files waits for their parse, not for their lint.
			for i := from; i < to; i++ {
				if r := runs[i]; r != nil {
					r.finish(&results[i])
				}
			}
		}()
	}
	loops.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	total := 0
	for i := range results {
		total += len(results[i].Findings)
	}
	res := &Result{Config: l.cfg, Sources: make(map[string]*Source, n),
		Files: make([]FileResult, 0, n), Findings: make([]Finding, 0, total)}
	for i, in := range inputs {
		fr := results[i]
		res.Files = append(res.Files, fr)
		if !in.Replay {
			res.Sources[in.Path] = files[i].Source
		}
		res.Findings = append(res.Findings, fr.Findings...)
	}
	return res, nil
}

// parseWorkers is how many goroutines parse while the lint loops run: one
// per processor, at most one per file.
func parseWorkers(files int) int {
	return max(1, min(runtime.GOMAXPROCS(0), files))
}

// minChunk is the fewest files worth a lint loop of their own: below it
// the replay and the catalog copy cost more than the second loop saves.
// lintLoops is how many loops run at most. Tests change both.
var (
	minChunk  = 100
	lintLoops = func() int { return runtime.GOMAXPROCS(0) }
)

// lintChunks returns where each lint loop's files start: one loop per
// processor, each with an equal share of at least minChunk files.
func lintChunks(files int) []int {
	k := max(1, min(lintLoops(), files/minChunk))
	starts := make([]int, k)
	for c := range starts {
		starts[c] = c * files / k
	}
	return starts
}

// replayFile applies a parsed file to the catalog without linting it: what
// lintFile does to the catalog, alone.
func replayFile(f *File, in Input, cat *Catalog) {
	if f.Err != nil {
		return
	}
	for _, s := range f.Statements {
		for _, ns := range s.nested {
			cat.apply(ns, originOf(f, in, ns))
		}
		cat.apply(s, originOf(f, in, s))
	}
}

// originOf is where a statement of the file comes from, for the catalog.
func originOf(f *File, in Input, s *Statement) Origin {
	line, _ := f.Source.Position(s.Start)
	return Origin{File: in.Path, Line: line, New: in.New}
}

// lintRun is what the files of one Lint call share: the files after each
// one (for rules that accept a fix made later in the change), and a memo
// for what rules derive from all of them once per run. The lint loops use
// it concurrently.
type lintRun struct {
	ctx    context.Context
	inputs []Input
	files  []*File
	ready  []chan struct{}
	mu     sync.Mutex
	memo   map[string]*memoEntry
}

type memoEntry struct {
	once sync.Once
	v    any
}

// memoized returns what build derives, computed once per run under key.
func (r *lintRun) memoized(key string, build func() any) any {
	r.mu.Lock()
	e := r.memo[key]
	if e == nil {
		e = &memoEntry{}
		r.memo[key] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.v = build() })
	return e.v
}

// from waits for the files from the i-th on to be parsed and returns them,
// without .down.sql files (which undo rather than extend history).
func (r *lintRun) from(i int) []*File {
	var out []*File
	for j := i; j < len(r.inputs); j++ {
		if r.inputs[j].Scratch {
			continue
		}
		select {
		case <-r.ready[j]:
		case <-r.ctx.Done():
			return out
		}
		out = append(out, r.files[j])
	}
	return out
}

// fileRun is the state of linting one file.
type fileRun struct {
	l        *Linter
	file     *File
	in       Input
	cat      *Catalog
	tracker  *txTracker
	found    []found
	phases   []StatementPhase
	ignores  []*ignore
	declared Phase
	once     map[onceKey]bool
}

type found struct {
	f    Finding
	stmt *Statement
	// unless, when set, drops the finding if it returns true once every
	// file of the run is parsed (Pass.Unless).
	unless func() bool
}

// lintFile replays a file into the catalog and, unless it is only replayed,
// runs the statement rules on it. The fileRun it returns (nil when there is
// nothing left to do) is finished once every file of the run is parsed.
func (l *Linter) lintFile(f *File, in Input, cat *Catalog) (FileResult, *fileRun, error) {
	fr := FileResult{Path: in.Path, Linted: !in.Replay, Statements: len(f.Statements), Err: f.Err}
	if f.Err != nil {
		if !in.Replay {
			fr.Findings = []Finding{{Rule: RuleSyntaxError, Severity: Error, Pos: f.Err.Pos, Message: f.Err.Msg}}
			fr.Risk = Error
		}
		return fr, nil, nil
	}
	if in.Replay {
		replayFile(f, in, cat)
		return fr, nil, nil
	}
	run := &fileRun{l: l, file: f, in: in, cat: cat, tracker: newTxTracker(l.cfg.Runner, f)}
	if err := run.readDirectives(); err != nil {
		return fr, nil, err
	}
	for _, s := range f.Statements {
		locks := statementLocks(s.Node, cat, l.cfg.PGVersion)
		tx := run.tracker.before(s)
		line, _ := f.Source.Position(s.Start)
		run.check(s, tx, locks)
		for _, ns := range s.nested {
			nl := statementLocks(ns.Node, cat, l.cfg.PGVersion)
			ntx := tx
			ntx.InBlock = true
			run.check(ns, ntx, nl)
			cat.apply(ns, originOf(f, in, ns))
			for _, lk := range nl {
				if lk.Mode.BlocksTraffic() && run.hasReaders(lk.Relation) {
					tx.Held = append(tx.Held, HeldLock{Lock: lk, Line: lineOf(f.Source, ns.Start)})
				}
			}
			locks = append(locks, nl...)
		}
		run.checkCalls(s, tx)
		cat.apply(s, originOf(f, in, s))
		run.tracker.after(s, run.withReaders(locks), line)
	}
	return fr, run, nil
}

// hasReaders reports whether a locked relation is used by the running
// release: a lock on a table this file (or an unreleased one) created
// stalls nobody, so it is not a held lock worth reporting.
func (r *fileRun) hasReaders(rel string) bool {
	return (&Pass{File: r.file, Catalog: r.cat}).ExistingNamed(rel)
}

// withReaders keeps the locks on relations with readers.
func (r *fileRun) withReaders(locks []Lock) []Lock {
	var out []Lock
	for _, l := range locks {
		if r.hasReaders(l.Relation) {
			out = append(out, l)
		}
	}
	return out
}

func lineOf(src *Source, off int) int {
	l, _ := src.Position(off)
	return l
}

// check runs every rule on one statement.
func (r *fileRun) check(s *Statement, tx Tx, locks []Lock) {
	if r.once == nil {
		r.once = map[onceKey]bool{}
	}
	p := &Pass{File: r.file, Stmt: s, Catalog: r.cat, Tx: tx, Config: &r.l.cfg, Locks: locks,
		newFile: r.in.New, once: r.once}
	p.long = &longProbe{ran: r.l.long}
	p.report = func(st *Statement, f Finding) {
		p.long.consider(p, p.Rule, f)
		r.add(p, st, f, p.unless)
	}
	for _, rule := range r.l.rules {
		p.Rule = rule
		rule.Check(p)
	}
	for _, rule := range r.l.lastRules {
		p.Rule = rule
		rule.Check(p)
	}
	p.Rule = nil
	r.phases = append(r.phases, StatementPhase{Stmt: s, Phase: classify(p)})
}

// checkCalls lints the body of a PL/pgSQL function or procedure that the
// statement calls (CALL p(); SELECT f();), when the history created it.
func (r *fileRun) checkCalls(s *Statement, tx Tx) {
	var calls []string
	switch {
	case s.Node.GetCallStmt() != nil && s.Node.GetCallStmt().Funccall != nil:
		calls = append(calls, qualifiedFuncName(s.Node.GetCallStmt().Funccall.Funcname))
	case s.Node.GetSelectStmt() != nil && s.Node.GetSelectStmt().FromClause == nil:
		for _, t := range s.Node.GetSelectStmt().TargetList {
			if rt := t.GetResTarget(); rt != nil && rt.Val.GetFuncCall() != nil {
				calls = append(calls, qualifiedFuncName(rt.Val.GetFuncCall().Funcname))
			}
		}
	}
	for _, name := range calls {
		fn := r.cat.Function(name)
		if fn == nil {
			continue
		}
		for _, body := range fn.Body {
			ns := *body
			ns.Via = s
			ns.Index = s.Index
			if fn.Source != r.file.Source {
				// The body lives in an earlier file: report at the call.
				ns.Start, ns.End, ns.base, ns.source = s.Start, s.End, s.Start, r.file.Source
				ns.Context = strings.TrimSuffix(body.Context, "()") + "() (created in " + fn.Origin.File + ")"
			}
			ntx := tx
			ntx.InBlock = true
			r.check(&ns, ntx, statementLocks(ns.Node, r.cat, r.l.cfg.PGVersion))
		}
	}
}

// add completes and records a finding a rule reported.
func (r *fileRun) add(p *Pass, s *Statement, f Finding, unless func() bool) {
	f.Rule = p.Rule.ID
	if f.Severity == 0 {
		f.Severity = r.l.sev[p.Rule.ID]
	} else if r.l.cfg.Rules[p.Rule.ID] != "" && r.l.cfg.Rules[p.Rule.ID] != "on" {
		f.Severity = r.l.sev[p.Rule.ID]
	}
	if f.Lock.Relation == "" && f.Lock.Mode == NoLock && len(p.Locks) > 0 && f.Breaks != BreaksNone {
		f.Lock = p.Locks[0]
	}
	if h, ok := p.Tx.StrongestHeld(); ok && f.Held == "" && f.Breaks != BreaksNone {
		f.Held = h.String()
	}
	r.addRaw(s, f)
	if unless != nil {
		r.found[len(r.found)-1].unless = unless
	}
}

func (r *fileRun) addRaw(s *Statement, f Finding) {
	if f.Pos.File == "" {
		f.Pos = r.file.Source.Span(s.Start, s.End)
	}
	f.Statement = s.Index
	if s.Via != nil && !strings.Contains(f.Message, s.Context) {
		f.Message += " (inside " + s.Context + ")"
	}
	f.Lock.Relation = DisplayName(f.Lock.Relation)
	r.found = append(r.found, found{f: f, stmt: s})
}

// readDirectives validates the file's lockstep: comments.
func (r *fileRun) readDirectives() error {
	path := r.file.Source.Path
	for _, d := range r.file.Directives {
		switch d.Verb {
		case DirIgnore, DirIgnoreFile:
			rules, reason := parseIgnore(d)
			if len(rules) == 0 {
				return fault.Errorf(fault.Usage, "%s:%d: lockstep:%s needs a rule id and a reason", path, d.Line, d.Verb)
			}
			for _, id := range rules {
				if RuleByID(id) == nil {
					return fault.Errorf(fault.Usage, "%s:%d: lockstep:%s: unknown rule id %q%s", path, d.Line, d.Verb, id, suggest(id))
				}
			}
			if reason == "" {
				return fault.Errorf(fault.Usage, "%s:%d: lockstep:%s %s: a reason is required", path, d.Line, d.Verb, strings.Join(rules, ","))
			}
			ig := &ignore{Directive: d, rules: rules, reason: reason, file: d.Verb == DirIgnoreFile, used: map[string]bool{}}
			if !ig.file {
				ig.target = r.targetOf(d)
			}
			r.ignores = append(r.ignores, ig)
		case DirPhase:
			ph, err := ParsePhase(strings.TrimSpace(d.Args))
			if err != nil {
				return fault.Errorf(fault.Usage, "%s:%d: lockstep:phase: %v", path, d.Line, err)
			}
			r.declared = ph
		case DirBatch:
			// Read by the migrator.
		default:
			return fault.Errorf(fault.Usage, "%s:%d: unknown directive lockstep:%s (want ignore, ignore-file, phase or batch)", path, d.Line, d.Verb)
		}
	}
	return nil
}

// targetOf returns the statement an ignore comment precedes: the first
// statement (top-level or nested) that starts after it.
func (r *fileRun) targetOf(d Directive) *Statement {
	var best *Statement
	consider := func(s *Statement) {
		if s.Start >= d.End && (best == nil || s.Start < best.Start) {
			best = s
		}
	}
	for _, s := range r.file.Statements {
		consider(s)
		for _, n := range s.nested {
			consider(n)
		}
	}
	return best
}

// finish applies suppressions, file-level rules and phases, and sorts.
func (r *fileRun) finish(fr *FileResult) {
	phases := make([]Phase, len(r.phases))
	for i, sp := range r.phases {
		phases[i] = sp.Phase
	}
	fr.Inferred, fr.Mixed = filePhase(phases)
	fr.Declared = r.declared
	fr.Phase = fr.Inferred
	if fr.Declared != PhaseNone {
		fr.Phase = fr.Declared
	}
	r.fileRules(fr)
	kept := r.found[:0]
	for i := range r.found {
		fd := &r.found[i]
		if fd.unless != nil && fd.unless() || r.suppressed(fd) {
			continue
		}
		kept = append(kept, *fd)
	}
	for _, ig := range r.ignores {
		for _, id := range ig.rules {
			// An ignore of a rule that is off suppresses nothing, but is no
			// mistake either: the configuration may turn the rule back on.
			if !ig.used[id] && r.l.sev[RuleUnusedIgnore] != 0 && r.l.sev[id] != 0 {
				end := ig.End
				kept = append(kept, found{f: Finding{Rule: RuleUnusedIgnore, Severity: r.l.sev[RuleUnusedIgnore],
					Pos:     r.file.Source.Span(ig.Offset, end),
					Message: fmt.Sprintf("lockstep:%s %s suppresses nothing: %s does not fire here; remove the comment", ig.Verb, id, id)}})
			}
		}
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i].f.Pos, kept[j].f.Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return kept[i].f.Rule < kept[j].f.Rule
	})
	fr.Findings = make([]Finding, len(kept))
	for i := range kept {
		fr.Findings[i] = kept[i].f
		fr.Risk = max(fr.Risk, kept[i].f.Severity)
	}
}

func (r *fileRun) suppressed(fd *found) bool {
	hit := false
	for _, ig := range r.ignores {
		if !contains(ig.rules, fd.f.Rule) {
			continue
		}
		if ig.file || (fd.stmt != nil && (fd.stmt == ig.target || fd.stmt.Via == ig.target)) {
			ig.used[fd.f.Rule] = true
			hit = true
		}
	}
	return hit
}

func (r *fileRun) fileRules(fr *FileResult) {
	for _, rule := range r.l.fileRules {
		fp := &FilePass{Rule: rule, File: r.file, Config: &r.l.cfg, Result: fr, Phases: r.phases}
		fp.report = func(st *Statement, f Finding) {
			f.Rule = rule.ID
			f.Severity = r.l.sev[rule.ID]
			if st == nil {
				f.Pos = r.file.Source.Span(0, len(r.file.Source.LineText(1)))
				r.found = append(r.found, found{f: f})
				return
			}
			r.addRaw(st, f)
		}
		rule.CheckFile(fp)
	}
}
