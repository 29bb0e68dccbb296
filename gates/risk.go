package gates

import (
	"fmt"
	"strings"

	"github.com/lockstep-dev/lockstep/lint"
)

// Risk is how dangerous the migrations a release would apply are: the
// highest lint severity among them, or Contract when any of them is a
// contract-phase file (it breaks the release still running).
type Risk int

const (
	RiskNone Risk = iota
	RiskHint
	RiskWarning
	RiskError
	RiskContract
)

var riskNames = [...]string{"none", "hint", "warning", "error", "contract"}

func (r Risk) String() string {
	if r >= 0 && int(r) < len(riskNames) {
		return riskNames[r]
	}
	return fmt.Sprintf("Risk(%d)", int(r))
}

// MarshalText writes the risk's name.
func (r Risk) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// ParseRisk reads none, hint, warning, error or contract.
func ParseRisk(s string) (Risk, error) {
	for i, n := range riskNames {
		if n == s {
			return Risk(i), nil
		}
	}
	return 0, fmt.Errorf("%q: want none, hint, warning, error or contract", s)
}

func riskOfSeverity(s lint.Severity) Risk {
	switch s {
	case lint.Hint:
		return RiskHint
	case lint.Warning:
		return RiskWarning
	case lint.Error:
		return RiskError
	}
	return RiskNone
}

// PendingFile is one migration file this release would apply.
type PendingFile struct {
	Path  string `json:"path"`
	Phase string `json:"phase,omitempty"`
	Risk  Risk   `json:"risk"`
	// Rules lists the rules that found something, highest severity first.
	Rules []string `json:"rules,omitempty"`
}

// RiskReport is the migration risk of a release.
type RiskReport struct {
	// Basis says how the pending files were chosen: "ledger" (not applied
	// according to the ledger) or "since REF" (added since a git ref).
	Basis string        `json:"basis"`
	Files []PendingFile `json:"files"`
	Risk  Risk          `json:"risk"`
}

// AssessRisk computes the risk of the files res linted (not the ones it
// only replayed): those are the pending ones.
func AssessRisk(res *lint.Result, basis string) *RiskReport {
	r := &RiskReport{Basis: basis, Files: []PendingFile{}}
	for _, f := range res.Files {
		if !f.Linted {
			continue
		}
		pf := PendingFile{Path: f.Path, Risk: riskOfSeverity(f.Risk)}
		if f.Phase != lint.PhaseNone {
			pf.Phase = f.Phase.String()
		}
		if f.Phase == lint.Contract {
			pf.Risk = RiskContract
		}
		seen := map[string]bool{}
		for _, sev := range []lint.Severity{lint.Error, lint.Warning, lint.Hint} {
			for _, fd := range f.Findings {
				if fd.Severity == sev && !seen[fd.Rule] {
					seen[fd.Rule] = true
					pf.Rules = append(pf.Rules, fd.Rule)
				}
			}
		}
		if pf.Risk > r.Risk {
			r.Risk = pf.Risk
		}
		r.Files = append(r.Files, pf)
	}
	return r
}

// describe renders one file: "005_drop_name.up.sql (contract; drop-column)".
func (f PendingFile) describe() string {
	var parts []string
	if f.Phase != "" {
		parts = append(parts, f.Phase)
	}
	parts = append(parts, "risk "+f.Risk.String())
	if len(f.Rules) > 0 {
		parts = append(parts, strings.Join(f.Rules, ", "))
	}
	return fmt.Sprintf("%s (%s)", f.Path, strings.Join(parts, "; "))
}
