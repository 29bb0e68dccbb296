package lint

import (
	"fmt"
	"strings"
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
		first := map[Phase]*Statement{}
		var order []Phase
		for _, sp := range p.Phases {
			if sp.Phase == PhaseNone {
				continue
			}
			if first[sp.Phase] == nil {
				first[sp.Phase] = sp.Stmt
				order = append(order, sp.Phase)
			}
		}
		var parts []string
		for _, ph := range order {
			parts = append(parts, fmt.Sprintf("%s (line %d)", ph, lineOf(p.File.Source, first[ph].Start)))
		}
		p.Report(first[order[1]], Finding{
			Message: "this file mixes " + strings.Join(parts, ", ") + ": each phase must run at a different moment of the deploy",
			Breaks:  BreaksOld,
			Fix:     "-- split into one file per phase, e.g.\n-- 0042_add_x.up.sql        -- lockstep:phase expand\n-- 0043_backfill_x.up.sql   -- lockstep:phase backfill\n-- 0044_drop_y.up.sql        -- lockstep:phase contract",
		})
	},
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
