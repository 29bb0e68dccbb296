package deployer_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/ledger"
)

// fakeProvider records every call.
type fakeProvider struct {
	mu       sync.Mutex
	calls    []string
	weight   int
	healthy  bool
	failOn   map[string]error
	onWeight func(w int)
	rollback func(ctx context.Context) error
}

var _ deployer.Provider = (*fakeProvider)(nil)

func newFake() *fakeProvider { return &fakeProvider{healthy: true, failOn: map[string]error{}} }

func (f *fakeProvider) call(ctx context.Context, c string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	f.calls = append(f.calls, c)
	return f.failOn[c]
}

func (f *fakeProvider) Deploy(ctx context.Context, t deployer.Target) error {
	return f.call(ctx, "deploy "+t.Release)
}

func (f *fakeProvider) SetWeight(ctx context.Context, t deployer.Target, w int) error {
	if err := f.call(ctx, fmt.Sprintf("weight %d", w)); err != nil {
		return err
	}
	f.mu.Lock()
	f.weight = w
	f.mu.Unlock()
	if f.onWeight != nil {
		f.onWeight(w)
	}
	return nil
}

func (f *fakeProvider) Promote(ctx context.Context, t deployer.Target) error {
	return f.call(ctx, "promote")
}

func (f *fakeProvider) Rollback(ctx context.Context, t deployer.Target) error {
	if f.rollback != nil {
		if err := f.rollback(ctx); err != nil {
			return err
		}
	}
	if err := f.call(ctx, "rollback"); err != nil {
		return err
	}
	f.mu.Lock()
	f.weight = 0
	f.mu.Unlock()
	return nil
}

func (f *fakeProvider) Health(ctx context.Context, t deployer.Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.healthy {
		return fmt.Errorf("%w: not ready", deployer.ErrUnhealthy)
	}
	return nil
}

func (f *fakeProvider) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// memLedger is an in-memory deployer.Ledger for tests that run under
// synctest (no network); the e2e tests use the real ledger.
type memLedger struct {
	mu         sync.Mutex
	releases   map[string]*ledger.Release
	seq        int64
	rollouts   []*ledger.Rollout
	migrations []ledger.Migration
	audit      []ledger.Entry
}

var _ deployer.Ledger = (*memLedger)(nil)

func newMemLedger() *memLedger { return &memLedger{releases: map[string]*ledger.Release{}} }

func (m *memLedger) EnsureRelease(ctx context.Context, name, commit string) (ledger.Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.releases[name]; ok {
		return *r, nil
	}
	m.seq++
	r := &ledger.Release{Name: name, Seq: m.seq, State: ledger.Pending, CreatedAt: time.Now()}
	m.releases[name] = r
	return *r, nil
}

func (m *memLedger) Release(ctx context.Context, name string) (ledger.Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.releases[name]; ok {
		return *r, nil
	}
	return ledger.Release{}, fmt.Errorf("%w: %s", ledger.ErrNoRelease, name)
}

func (m *memLedger) Releases(ctx context.Context) ([]ledger.Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ledger.Release
	for _, r := range m.releases {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

func (m *memLedger) Migrations(ctx context.Context) ([]ledger.Migration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ledger.Migration(nil), m.migrations...), nil
}

func (m *memLedger) SetReleaseState(ctx context.Context, name string, s ledger.ReleaseState, actor string) (ledger.Release, error) {
	m.EnsureRelease(ctx, name, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.releases[name]
	r.State = s
	now := time.Now()
	if s == ledger.Deployed {
		r.DeployedAt = &now
	}
	if s == ledger.RolledBack {
		r.RolledBackAt = &now
	}
	m.audit = append(m.audit, ledger.Entry{Actor: actor, Action: "release." + string(s), Release: name})
	return *r, nil
}

func (m *memLedger) StartRollout(ctx context.Context, r ledger.Rollout) (ledger.Rollout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.rollouts {
		if x.Environment == r.Environment && x.State == ledger.RolloutRunning {
			return ledger.Rollout{}, ledger.ErrRolloutRunning
		}
	}
	r.ID = int64(len(m.rollouts) + 1)
	r.State = ledger.RolloutRunning
	r.StartedAt = time.Now()
	r.UpdatedAt = r.StartedAt
	if r.Details == nil {
		r.Details = map[string]any{}
	}
	m.rollouts = append(m.rollouts, &r)
	return r, nil
}

func (m *memLedger) UpdateRollout(ctx context.Context, id int64, step, weight int, details map[string]any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rollouts[id-1]
	r.Step, r.Weight, r.UpdatedAt = step, weight, time.Now()
	for k, v := range details {
		r.Details[k] = v
	}
	return nil
}

func (m *memLedger) FinishRollout(ctx context.Context, id int64, s ledger.RolloutState, details map[string]any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rollouts[id-1]
	r.State = s
	now := time.Now()
	r.FinishedAt = &now
	for k, v := range details {
		r.Details[k] = v
	}
	return nil
}

func (m *memLedger) RunningRollout(ctx context.Context, env string) (ledger.Rollout, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rollouts {
		if r.Environment == env && r.State == ledger.RolloutRunning {
			return *r, true, nil
		}
	}
	return ledger.Rollout{}, false, nil
}

func (m *memLedger) LastRollout(ctx context.Context, release, env string) (ledger.Rollout, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.rollouts) - 1; i >= 0; i-- {
		if r := m.rollouts[i]; r.Release == release && r.Environment == env {
			return *r, true, nil
		}
	}
	return ledger.Rollout{}, false, nil
}

func (m *memLedger) Audit(ctx context.Context, e ledger.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, e)
	return nil
}

func (m *memLedger) actions(prefix string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.audit {
		if strings.HasPrefix(e.Action, prefix) {
			out = append(out, e.Action)
		}
	}
	return out
}

func (m *memLedger) deployed(name string) {
	m.EnsureRelease(context.Background(), name, "")
	m.SetReleaseState(context.Background(), name, ledger.Deployed, "test")
}
