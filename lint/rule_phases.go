package lint

import (
	"fmt"
	"path/filepath"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleMixedPhaseFile = &Rule{
	ID:       "mixed-phase-file",
	Severity: Error,
	Summary:  "one migration file holds expand, backfill and/or contract statements",
	Doc: `Expand statements must run before the new release starts, backfills while both releases serve
traffic, contract statements only after the old release is gone. A file that mixes them cannot be
run at the right moment: its contract part breaks the old release when the expand part runs, and a
backfill in the same transaction as a schema change holds that change's ACCESS EXCLUSIVE lock for
the whole backfill. Split the file by phase (lockstep plan writes such files).`,
	CheckFile: func(p *FilePass) {
		if !p.Result.Mixed {
			return
		}
		split := splitByPhase(p.File, p.Phases)
		if len(split.groups) < 2 {
			return
		}
		// The finding is on the first statement of the second phase to appear.
		var at *Statement
		for _, sp := range p.Phases {
			if sp.Phase != PhaseNone && sp.Phase != split.firstSeen {
				at = sp.Stmt
				break
			}
		}
		var parts []string
		for _, ph := range split.seen {
			parts = append(parts, fmt.Sprintf("%s (%s)", ph, lineList(split.lines[ph])))
		}
		p.Report(at, Finding{
			Message: "this file mixes " + strings.Join(parts, ", ") + ": each phase must run at a different moment of the deploy",
			Breaks:  BreaksOld,
			Fix:     split.fix(p.File),
		})
	},
}

// phaseSplit is how a mixed file divides into one file per phase.
type phaseSplit struct {
	// groups holds the statements of each phase, phases in deploy order.
	groups []phaseGroup
	// seen lists the phases in the order they first appear in the file,
	// firstSeen the first; lines holds each phase's statement lines.
	seen      []Phase
	firstSeen Phase
	lines     map[Phase][]int
	settings  []*Statement
}

type phaseGroup struct {
	phase Phase
	// items are the statements of the file that go to this phase, in file
	// order: top-level ones, or those of a DO block whose statements
	// belong to several phases.
	items []phaseItem
}

type phaseItem struct {
	stmt *Statement
	// from is the DO block a statement was taken out of, nil otherwise.
	from *Statement
}

// splitByPhase assigns each statement of a file to a phase. A top-level
// statement takes the phase of what it runs (a DO block's statements, a
// called function's body) when it has none of its own; a DO block whose
// statements are of several phases is split into them. Statements of no
// phase stay with the statement before them (VALIDATE after its NOT VALID
// add), settings (SET lock_timeout) are repeated in every file, and
// BEGIN/COMMIT are left out: each file is a transaction of its own.
func splitByPhase(f *File, phases []StatementPhase) phaseSplit {
	sp := phaseSplit{lines: map[Phase][]int{}}
	own := map[*Statement]Phase{}
	sub := map[*Statement][]StatementPhase{}
	for _, x := range phases {
		if x.Stmt.Via == nil {
			own[x.Stmt] = x.Phase
		} else if x.Phase != PhaseNone {
			sub[x.Stmt.Via] = append(sub[x.Stmt.Via], x)
		}
	}
	note := func(ph Phase, st *Statement) {
		if _, ok := sp.lines[ph]; !ok {
			sp.seen = append(sp.seen, ph)
		}
		l := lineOf(f.Source, st.Start)
		if ls := sp.lines[ph]; len(ls) == 0 || ls[len(ls)-1] != l {
			sp.lines[ph] = append(sp.lines[ph], l)
		}
	}
	byPhase := map[Phase][]phaseItem{}
	var pending []phaseItem // no phase, before any statement that has one
	last := PhaseNone
	for _, st := range f.Statements {
		if isSettingStmt(st.Node) {
			sp.settings = append(sp.settings, st)
			continue
		}
		if st.Node.GetTransactionStmt() != nil {
			continue
		}
		ph := own[st]
		if ph == PhaseNone {
			subs := sub[st]
			for _, x := range subs {
				ph = max(ph, x.Phase)
			}
			if mixedPhases(subs) && st.Node.GetDoStmt() != nil {
				for _, x := range subs {
					note(x.Phase, x.Stmt)
					byPhase[x.Phase] = append(byPhase[x.Phase], phaseItem{stmt: x.Stmt, from: st})
					last = x.Phase
				}
				continue
			}
			for _, x := range subs {
				note(x.Phase, x.Stmt)
			}
		} else {
			note(ph, st)
		}
		if ph == PhaseNone {
			if last == PhaseNone {
				pending = append(pending, phaseItem{stmt: st})
				continue
			}
			ph = last
		}
		if len(pending) > 0 {
			byPhase[ph] = append(byPhase[ph], pending...)
			pending = nil
		}
		byPhase[ph] = append(byPhase[ph], phaseItem{stmt: st})
		last = ph
	}
	for _, ph := range []Phase{Expand, Backfill, Contract} {
		if items := byPhase[ph]; len(items) > 0 {
			sp.groups = append(sp.groups, phaseGroup{phase: ph, items: items})
		}
	}
	if len(sp.seen) > 0 {
		sp.firstSeen = sp.seen[0]
	}
	return sp
}

func mixedPhases(xs []StatementPhase) bool {
	for _, x := range xs {
		if x.Phase != xs[0].Phase {
			return true
		}
	}
	return false
}

// isSettingStmt reports whether a statement only changes a session setting
// (SET, RESET, SELECT set_config(...)): every file split off needs it too.
func isSettingStmt(n *pg.Node) bool {
	if n.GetVariableSetStmt() != nil {
		return true
	}
	sel := n.GetSelectStmt()
	if sel == nil || sel.FromClause != nil || len(sel.TargetList) == 0 {
		return false
	}
	for _, t := range sel.TargetList {
		if rt := t.GetResTarget(); rt == nil || funcName(rt.Val.GetFuncCall()) != "set_config" {
			return false
		}
	}
	return true
}

// lineList renders statement lines: "line 3", "lines 3, 5, 9".
func lineList(ls []int) string {
	const most = 6
	var parts []string
	for i, l := range ls {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(ls)-most))
			break
		}
		parts = append(parts, fmt.Sprint(l))
	}
	if len(ls) == 1 {
		return "line " + parts[0]
	}
	return "lines " + strings.Join(parts, ", ")
}

// splitNames names the files of a split: the first keeps the file's name;
// the others get the versions after it (golang-migrate needs each version
// once), named after their phase. taken is the first of those versions
// that a later file of the run already has, "" when they are free.
func splitNames(f *File, groups []phaseGroup) (names []string, taken string) {
	base := filepath.Base(f.Source.Path)
	names = []string{base}
	v, title, d, ok := ParseMigrationName(base)
	if !ok || d != Up || title == "" {
		for _, g := range groups[1:] {
			names = append(names, strings.TrimSuffix(base, ".sql")+"_"+g.phase.String()+".sql")
		}
		return names, ""
	}
	width := strings.IndexByte(base, '_') // the version as written, zeros kept
	next := uint64(0)                     // the next version of the run, 0 for none
	for _, lv := range f.laterVersions() {
		if lv > v && (next == 0 || lv < next) {
			next = lv
		}
	}
	for i, g := range groups[1:] {
		nv := v + uint64(i) + 1
		if next != 0 && nv >= next && taken == "" {
			taken = fmt.Sprintf("%0*d", width, next)
		}
		names = append(names, fmt.Sprintf("%0*d_%s_%s.up.sql", width, nv, title, g.phase))
	}
	return names, taken
}

// fix writes the split out: each file's name and phase header, then its
// statements in file order (with their lines), the settings they need
// first.
func (sp phaseSplit) fix(f *File) string {
	names, taken := splitNames(f, sp.groups)
	var b strings.Builder
	fmt.Fprintf(&b, "-- split into %d files, run in this order (lockstep migrate runs each at its moment of the deploy):\n", len(sp.groups))
	if taken != "" {
		fmt.Fprintf(&b, "-- (version %s is taken by a later file: renumber the files after this one to make room)\n", taken)
	}
	prevEnd := -1 // the last statement of the files before, by offset
	for i, g := range sp.groups {
		b.WriteString("\n")
		if i == 0 {
			fmt.Fprintf(&b, "-- file %d: %s (this file)\n", i+1, names[i])
		} else {
			fmt.Fprintf(&b, "-- file %d: %s (new)\n", i+1, names[i])
		}
		fmt.Fprintf(&b, "-- lockstep:phase %s\n", g.phase)
		lastStart := g.items[len(g.items)-1].stmt.Start
		for _, st := range sp.settings {
			if st.Start < lastStart {
				fmt.Fprintf(&b, "%s;\n", strings.TrimSpace(st.Text()))
			}
		}
		var from *Statement
		for _, it := range g.items {
			if it.from != nil && it.from != from {
				fmt.Fprintf(&b, "-- from the DO block at line %d:\n", lineOf(f.Source, it.from.Start))
			}
			from = it.from
			fmt.Fprintf(&b, "%s; -- line %d\n", strings.TrimSpace(it.stmt.Text()), lineOf(f.Source, it.stmt.Start))
		}
		first := g.items[0].stmt.Start
		if prevEnd > first {
			fmt.Fprintf(&b, "-- (this runs after statements that the file has after line %d: check that it does not depend on them)\n", lineOf(f.Source, first))
		}
		for _, it := range g.items {
			prevEnd = max(prevEnd, it.stmt.Start)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

var rulePhaseMismatch = &Rule{
	ID:       "phase-mismatch",
	Severity: Error,
	Summary:  "the file's declared -- lockstep:phase contradicts what its statements do",
	Doc: `lockstep migrate runs a file in the phase its header declares. A file declared expand that drops
or tightens something runs before the deploy and breaks the old release; a file declared contract
that only adds is held back for no reason, and the new release, which needs it, starts without it.
Declare the phase the statements have (lockstep infers: additive -> expand, data changes ->
backfill, destructive or breaking -> contract), or split the file.`,
	CheckFile: func(p *FilePass) {
		r := p.Result
		if r.Declared == PhaseNone || r.Inferred == PhaseNone || r.Declared == r.Inferred || r.Mixed {
			return
		}
		var culprit *Statement
		for _, sp := range p.Phases {
			if sp.Phase == r.Inferred {
				culprit = sp.Stmt
				break
			}
		}
		p.Report(culprit, Finding{
			Message: fmt.Sprintf("declared -- lockstep:phase %s, but this statement is %s work", r.Declared, r.Inferred),
			Breaks:  phaseBreaks(r.Declared, r.Inferred),
			Fix:     fmt.Sprintf("-- lockstep:phase %s", r.Inferred),
		})
	},
}

func phaseBreaks(declared, actual Phase) Breaks {
	if actual == Contract && declared < Contract {
		return BreaksOld
	}
	if declared == Contract && actual == Expand {
		return BreaksNew
	}
	return BreaksAvailability
}

var ruleOpaqueSQL = &Rule{
	ID:       "opaque-sql",
	Severity: Hint,
	Summary:  "dynamic SQL (EXECUTE of a built string) that the linter cannot read",
	Doc: `lockstep lints the statements inside DO blocks and PL/pgSQL bodies, including EXECUTE of a
constant string. A string built at run time (concatenation, format()) cannot be read, so whatever
it runs is unchecked. Write the statements out, or suppress with a reason.`,
	Check: func(p *Pass) {
		for _, off := range p.Stmt.opaque {
			src := p.File.Source
			p.report(p.Stmt, Finding{
				Pos:     src.Span(off, clauseEnd(src.Text, off, p.Stmt.End)),
				Message: "dynamic SQL built at run time inside " + contextName(p.Stmt) + " cannot be checked",
				Fix:     "-- write the statements it runs out as plain SQL, or: -- lockstep:ignore opaque-sql <reason>",
			})
		}
	},
}

func contextName(s *Statement) string {
	if s.Node.GetDoStmt() != nil {
		return fmt.Sprintf("the DO block at line %d", lineOf(s.source, s.Start))
	}
	if cf := s.Node.GetCreateFunctionStmt(); cf != nil {
		_, name := splitName(cf.Funcname)
		return "function " + name + "()"
	}
	return "a PL/pgSQL body"
}
