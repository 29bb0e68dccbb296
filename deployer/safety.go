package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/lockstep-dev/lockstep/ledger"
)

// SafetyLevel grades an application rollback to the stable release.
type SafetyLevel string

const (
	// RollbackSafe: only expand migrations ran since stable; stable reads
	// and writes the current schema.
	RollbackSafe SafetyLevel = "safe"
	// RollbackCaveat: a backfill ran; stable works, but rows it writes after
	// the rollback lack the backfilled data.
	RollbackCaveat SafetyLevel = "caveat"
	// RollbackUnsafe: a contract migration (or one of unknown phase) ran;
	// stable may not read the current schema. lockstep refuses to roll back
	// to it automatically and pages instead.
	RollbackUnsafe SafetyLevel = "unsafe"
	// RollbackUnknown: no ledger or no stable release to judge by.
	RollbackUnknown SafetyLevel = "unknown"
)

// Safety is the rollback-safety verdict of a release: can traffic go back
// to Stable given the migrations that ran since Stable was deployed?
type Safety struct {
	Release string      `json:"release"`
	Stable  string      `json:"stable"`
	Level   SafetyLevel `json:"level"`
	// Summary is one line for people.
	Summary string `json:"summary"`
	// Migrations ran since stable, each with what it breaks ("" for none).
	Migrations []SafetyItem `json:"migrations,omitempty"`
}

// SafetyItem is one migration applied since stable.
type SafetyItem struct {
	Version   uint64 `json:"version"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	AppliedIn string `json:"applied_in"`
	Breaks    string `json:"breaks,omitempty"`
}

// Automatic reports whether an automatic rollback may go ahead.
func (s Safety) Automatic() bool { return s.Level != RollbackUnsafe }

// RollbackSafety judges a rollback from release to stable by the ledger:
// every migration applied in a release recorded after stable, or applied
// after stable was deployed.
func RollbackSafety(ctx context.Context, l Ledger, release, stable string) (Safety, error) {
	s := Safety{Release: release, Stable: stable, Level: RollbackUnknown}
	if l == nil {
		s.Summary = "unknown: no ledger (--database) to read the migrations from"
		return s, nil
	}
	if stable == "" {
		s.Summary = "unknown: no stable release to roll back to (first rollout)"
		return s, nil
	}
	rels, err := l.Releases(ctx)
	if err != nil {
		return s, err
	}
	seq := map[string]int64{}
	var st *ledger.Release
	for i := range rels {
		seq[rels[i].Name] = rels[i].Seq
		if rels[i].Name == stable {
			st = &rels[i]
		}
	}
	if st == nil {
		s.Summary = fmt.Sprintf("unknown: the ledger has no record of %s", stable)
		return s, nil
	}
	ms, err := l.Migrations(ctx)
	if err != nil {
		return s, err
	}
	level := RollbackSafe
	var names []string
	for _, m := range ms {
		if !m.Applied() {
			continue
		}
		after := m.AppliedIn != "" && seq[m.AppliedIn] > st.Seq
		if st.DeployedAt != nil && m.AppliedAt.After(*st.DeployedAt) {
			after = true
		}
		if !after {
			continue
		}
		it := SafetyItem{Version: m.Version, Name: m.Name, Phase: m.Phase, AppliedIn: m.AppliedIn}
		file := MigrationFile(m)
		switch m.Phase {
		case "expand":
		case "backfill":
			it.Breaks = fmt.Sprintf("backfill %s ran in %s: rows %s writes after a rollback will not have its data; run it again before rolling %s out again", file, m.AppliedIn, stable, release)
			if level == RollbackSafe {
				level = RollbackCaveat
			}
		case "contract":
			it.Breaks = fmt.Sprintf("contract %s ran in %s: it removed or tightened what %s may still read or write, so %s may fail against the current schema", file, m.AppliedIn, stable, stable)
			level = RollbackUnsafe
		default:
			it.Breaks = fmt.Sprintf("%s has phase %q: lockstep cannot tell whether %s still works with it", file, m.Phase, stable)
			level = RollbackUnsafe
		}
		s.Migrations = append(s.Migrations, it)
		names = append(names, file)
	}
	s.Level = level
	switch level {
	case RollbackSafe:
		if len(names) == 0 {
			s.Summary = fmt.Sprintf("safe: no migrations ran since %s", stable)
		} else {
			s.Summary = fmt.Sprintf("safe: only expand migrations ran since %s (%s)", stable, strings.Join(names, ", "))
		}
	default:
		var breaks []string
		for _, it := range s.Migrations {
			if it.Breaks != "" {
				breaks = append(breaks, it.Breaks)
			}
		}
		s.Summary = string(level) + ": " + strings.Join(breaks, "; ")
	}
	return s, nil
}

// MigrationFile names a recorded migration as its file does: 0003_add_email.
func MigrationFile(m ledger.Migration) string {
	if m.Name != "" && m.Name[0] >= '0' && m.Name[0] <= '9' {
		return m.Name
	}
	return fmt.Sprintf("%d_%s", m.Version, m.Name)
}
