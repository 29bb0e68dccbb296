package migrator

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// decide says whether a pending migration may run now, and if not, what it
// waits for:
//
//   - expand runs whenever its turn comes (before the deploy);
//   - backfill waits for every expand file with a lower version;
//   - contract waits for every expand and backfill file with a lower
//     version, and for a release LATER than the one that introduced it to
//     be fully deployed (ledger.LaterDeployed), so that rolling back one
//     release never meets a contracted schema; with drain_check, also for
//     the sessions of that release and older ones to leave.
//
// A wait is a refusal (exit 1) when the migration should be due by now: a
// backfill whose expand has not run, or a contract introduced by a release
// before the one running. A contract of the running release itself is only
// scheduled.
func (m *Migrator) decide(ctx context.Context, f *Migration) (*Wait, error) {
	rec := m.records[f.Version]
	intro := rec.IntroducedIn
	if intro == "" {
		intro = m.o.Release
	}
	switch f.Phase {
	case lint.Backfill:
		if dep := m.firstPending(f.Version, lint.Expand); dep != nil {
			return &Wait{Migration: f, Refused: true,
				Reason: fmt.Sprintf("%s waits for expand %s: run lockstep migrate expand first", f.Label, dep.Label)}, nil
		}
	case lint.Contract:
		due := m.dueNow(ctx, intro)
		if dep := m.firstPending(f.Version, lint.Expand, lint.Backfill); dep != nil {
			verb := "to run"
			if dep.Phase == lint.Backfill {
				verb = "to finish"
			}
			return &Wait{Migration: f, Refused: due,
				Reason: fmt.Sprintf("%s waits for %s %s %s", f.Label, dep.Phase, dep.Label, verb)}, nil
		}
		later, ok, err := m.l.LaterDeployed(ctx, intro)
		if err != nil {
			return nil, m.classify(err, "read the releases")
		}
		if !ok {
			return &Wait{Migration: f, Refused: due,
				Reason: fmt.Sprintf("%s waits for a release after %s to be fully deployed (%s)", f.Label, intro, m.latestAfter(ctx, intro))}, nil
		}
		m.o.Logger.Debug("contract unlocked", "migration", f.Label, "introduced_in", intro, "deployed", later.Name)
		if m.cfg.DrainCheck {
			why, err := m.drainCheck(ctx, intro)
			if err != nil {
				return nil, err
			}
			if why != "" {
				return &Wait{Migration: f, Refused: true, Reason: f.Label + " waits for " + why}, nil
			}
		}
	}
	return nil, nil
}

// firstPending returns the first unapplied file of the phases below version.
func (m *Migrator) firstPending(below uint64, phases ...lint.Phase) *Migration {
	for _, f := range m.files {
		if f.Version >= below {
			return nil
		}
		for _, p := range phases {
			if f.Phase == p && !m.applied(f.Version) {
				return f
			}
		}
	}
	return nil
}

// dueNow reports whether a contract introduced by intro should be runnable
// in this run: intro is older than the running release.
func (m *Migrator) dueNow(ctx context.Context, intro string) bool {
	if m.o.Release == "" || intro == m.o.Release {
		return false
	}
	r, err := m.l.Release(ctx, intro)
	if err != nil {
		return false
	}
	return r.Seq < m.rel.Seq
}

// latestAfter describes the newest release recorded after name, for a
// waiting contract: "v1.5.0 is deploying".
func (m *Migrator) latestAfter(ctx context.Context, name string) string {
	rels, err := m.l.Releases(ctx)
	if err != nil {
		return "the releases could not be read"
	}
	var seq int64 = -1
	for _, r := range rels {
		if r.Name == name {
			seq = r.Seq
		}
	}
	var last *ledger.Release
	for i, r := range rels {
		if seq >= 0 && r.Seq > seq {
			last = &rels[i]
		}
	}
	if last == nil {
		return "no release after " + name + " is recorded yet"
	}
	return last.Name + " " + stateWords(last.State)
}

func stateWords(s ledger.ReleaseState) string {
	switch s {
	case ledger.Pending:
		return "is recorded, not deployed"
	case ledger.Expanding:
		return "is expanding"
	case ledger.Deploying:
		return "is deploying"
	case ledger.Deployed:
		return "is deployed"
	case ledger.RolledBack:
		return "was rolled back"
	}
	return "is " + string(s)
}

// drainCheck looks in pg_stat_activity for sessions whose application_name
// follows the <service>@<release> convention and names intro or an older
// release: they may still use what the contract removes.
func (m *Migrator) drainCheck(ctx context.Context, intro string) (string, error) {
	rels, err := m.l.Releases(ctx)
	if err != nil {
		return "", m.classify(err, "read the releases")
	}
	seq := map[string]int64{}
	for _, r := range rels {
		seq[r.Name] = r.Seq
	}
	limit, ok := seq[intro]
	if !ok {
		return "", nil
	}
	rows, err := m.l.Pool().Query(ctx, `
		SELECT application_name, count(*), array_agg(pid ORDER BY pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE '%@%'
		GROUP BY application_name ORDER BY application_name`)
	if err != nil {
		return "", m.classify(err, "read pg_stat_activity")
	}
	defer rows.Close()
	var old []string
	for rows.Next() {
		var app string
		var n int
		var pids []int32
		if err := rows.Scan(&app, &n, &pids); err != nil {
			return "", m.classify(err, "read pg_stat_activity")
		}
		i := strings.LastIndexByte(app, '@')
		s, known := seq[app[i+1:]]
		if !known || s > limit {
			continue
		}
		ps := make([]string, 0, 3)
		for j, p := range pids {
			if j == 3 {
				ps = append(ps, "...")
				break
			}
			ps = append(ps, fmt.Sprint(p))
		}
		old = append(old, fmt.Sprintf("%s ×%d (pid %s)", app, n, strings.Join(ps, ", ")))
	}
	if err := rows.Err(); err != nil {
		return "", m.classify(err, "read pg_stat_activity")
	}
	if len(old) == 0 {
		return "", nil
	}
	sort.Strings(old)
	return fmt.Sprintf("sessions of %s or older to drain (drain_check): %s", intro, strings.Join(old, "; ")), nil
}
