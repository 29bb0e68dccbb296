package migrator

import (
	"context"
	"fmt"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// ReleaseChange is the effect of recording a release's state.
type ReleaseChange struct {
	Release ledger.Release
	// Previous is the state before (empty for a release recorded now).
	Previous ledger.ReleaseState
	// Unlocked lists the unapplied contract migrations this change lets
	// run; Relocked those it makes wait again (a roll-back).
	Unlocked, Relocked []ledger.Migration
}

// RecordRelease records that a release is fully deployed (ledger.Deployed)
// or was rolled back (ledger.RolledBack), or any other state, as actor; a
// release not yet recorded is recorded first, with commit. It is what
// `lockstep release deployed|rolled-back` and the deployer call; the
// result says which contract migrations it unlocks or locks again.
func RecordRelease(ctx context.Context, l *ledger.Ledger, name string, state ledger.ReleaseState, actor, commit string) (*ReleaseChange, error) {
	if name == "" {
		return nil, fault.Errorf(fault.Usage, "a release name is required")
	}
	switch state {
	case ledger.Pending, ledger.Expanding, ledger.Deploying, ledger.Deployed, ledger.RolledBack:
	default:
		return nil, fault.Errorf(fault.Usage, "unknown release state %q", state)
	}
	ch := &ReleaseChange{}
	if r, err := l.Release(ctx, name); err == nil {
		ch.Previous = r.State
	}
	before, err := unlockedContracts(ctx, l)
	if err != nil {
		return nil, err
	}
	if commit != "" {
		if _, err := l.EnsureRelease(ctx, name, commit); err != nil {
			return nil, err
		}
	}
	r, err := l.SetReleaseState(ctx, name, state, actor)
	if err != nil {
		return nil, err
	}
	ch.Release = r
	after, err := unlockedContracts(ctx, l)
	if err != nil {
		return nil, err
	}
	for v, m := range after {
		if _, ok := before[v]; !ok {
			ch.Unlocked = append(ch.Unlocked, m)
		}
	}
	for v, m := range before {
		if _, ok := after[v]; !ok {
			ch.Relocked = append(ch.Relocked, m)
		}
	}
	sortMigrations(ch.Unlocked)
	sortMigrations(ch.Relocked)
	return ch, nil
}

// unlockedContracts returns the unapplied contract migrations whose
// introducing release has a later fully deployed release.
func unlockedContracts(ctx context.Context, l *ledger.Ledger) (map[uint64]ledger.Migration, error) {
	ms, err := l.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	out := map[uint64]ledger.Migration{}
	cache := map[string]bool{}
	for _, m := range ms {
		if m.Applied() || m.Phase != lint.Contract.String() {
			continue
		}
		ok, seen := cache[m.IntroducedIn]
		if !seen {
			_, ok, err = l.LaterDeployed(ctx, m.IntroducedIn)
			if err != nil {
				return nil, err
			}
			cache[m.IntroducedIn] = ok
		}
		if ok {
			out[m.Version] = m
		}
	}
	return out, nil
}

func sortMigrations(ms []ledger.Migration) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Version < ms[j-1].Version; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// Describe is the change in a few lines, for the command's output.
func (c *ReleaseChange) Describe() []string {
	lines := []string{fmt.Sprintf("%s %s", c.Release.Name, stateWords(c.Release.State))}
	for _, m := range c.Unlocked {
		lines = append(lines, fmt.Sprintf("unlocks   %s (contract of %s): run lockstep migrate contract --release %s", m.Name, m.IntroducedIn, c.Release.Name))
	}
	for _, m := range c.Relocked {
		lines = append(lines, fmt.Sprintf("locks     %s (contract of %s) again: no release after %s is deployed now", m.Name, m.IntroducedIn, m.IntroducedIn))
	}
	return lines
}
