// Package providertest is the conformance suite every deployer.Provider
// passes: deploy and health, weights as the platform applies them,
// idempotent rollback from any state (a crash can leave any), promotion,
// and prompt return on a cancelled context.
package providertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
)

// Fixture is one fresh provider and the means to observe what it did.
type Fixture struct {
	Provider deployer.Provider
	// Target is passed to every call (default: release v2, stable v1,
	// environment test, strategy canary).
	Target deployer.Target
	// Weight reports the candidate's share of traffic as the platform has
	// it now: read back from the platform (the written configuration, the
	// API objects) or measured with requests.
	Weight func(t *testing.T) int
	// Tolerance is how far Weight may be from the weight set, for
	// platforms that approximate (replica ratios).
	Tolerance int
	// Weights are the weights tried (default 20, 50, 100).
	Weights []int
	// Mirrored, for a Mirrorer, reports whether the candidate receives
	// mirrored requests now.
	Mirrored func(t *testing.T) bool
	// HealthTimeout bounds the wait for a deployed candidate to be healthy
	// (default 20s).
	HealthTimeout time.Duration
}

// Run runs the suite; newFixture is called once per subtest.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	get := func(t *testing.T) Fixture {
		t.Helper()
		f := newFixture(t)
		if f.Target.Release == "" {
			f.Target = deployer.Target{Release: "v2", Stable: "v1", Environment: "test", Strategy: deployer.Canary}
		}
		if len(f.Weights) == 0 {
			f.Weights = []int{20, 50, 100}
		}
		if f.HealthTimeout == 0 {
			f.HealthTimeout = 20 * time.Second
		}
		return f
	}
	ctx := context.Background()
	t.Run("DeployThenHealthy", func(t *testing.T) {
		f := get(t)
		mustDeploy(t, f)
		if w := f.Weight(t); w != 0 {
			t.Errorf("after Deploy the candidate gets %d%% of traffic; want 0", w)
		}
		if err := f.Provider.Deploy(ctx, f.Target); err != nil {
			t.Errorf("second Deploy (a re-run resuming) = %v; want nil", err)
		}
	})
	t.Run("Weights", func(t *testing.T) {
		f := get(t)
		mustDeploy(t, f)
		for _, w := range f.Weights {
			if err := f.Provider.SetWeight(ctx, f.Target, w); err != nil {
				t.Fatalf("SetWeight(%d) = %v", w, err)
			}
			checkWeight(t, f, w)
		}
		last := f.Weights[len(f.Weights)-1]
		if err := f.Provider.SetWeight(ctx, f.Target, last); err != nil {
			t.Errorf("SetWeight(%d) again = %v; want nil (idempotent)", last, err)
		}
		checkWeight(t, f, last)
	})
	t.Run("RollbackPutsTrafficBack", func(t *testing.T) {
		f := get(t)
		mustDeploy(t, f)
		w := f.Weights[len(f.Weights)/2]
		if err := f.Provider.SetWeight(ctx, f.Target, w); err != nil {
			t.Fatalf("SetWeight(%d) = %v", w, err)
		}
		if err := f.Provider.Rollback(ctx, f.Target); err != nil {
			t.Fatalf("Rollback = %v", err)
		}
		checkWeight(t, f, 0)
		if err := f.Provider.Rollback(ctx, f.Target); err != nil {
			t.Errorf("second Rollback = %v; want nil (idempotent)", err)
		}
		checkWeight(t, f, 0)
	})
	t.Run("RollbackFromNothing", func(t *testing.T) {
		f := get(t)
		if err := f.Provider.Rollback(ctx, f.Target); err != nil {
			t.Errorf("Rollback before any Deploy (recovery after a crash) = %v; want nil", err)
		}
		checkWeight(t, f, 0)
	})
	t.Run("Promote", func(t *testing.T) {
		f := get(t)
		mustDeploy(t, f)
		if err := f.Provider.SetWeight(ctx, f.Target, f.Weights[0]); err != nil {
			t.Fatalf("SetWeight = %v", err)
		}
		if err := f.Provider.Promote(ctx, f.Target); err != nil {
			t.Fatalf("Promote = %v", err)
		}
		checkWeight(t, f, 100)
	})
	t.Run("CancelledContext", func(t *testing.T) {
		f := get(t)
		mustDeploy(t, f)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		done := make(chan error, 1)
		go func() { done <- f.Provider.SetWeight(cctx, f.Target, f.Weights[0]) }()
		select {
		case err := <-done:
			if err == nil {
				// Applying a weight that fast is allowed; it must have taken effect.
				checkWeight(t, f, f.Weights[0])
			} else if !errors.Is(err, context.Canceled) {
				t.Errorf("SetWeight with a cancelled context = %v; want nil or context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("SetWeight with a cancelled context did not return within 5s")
		}
	})
	t.Run("Mirror", func(t *testing.T) {
		f := get(t)
		m, ok := f.Provider.(deployer.Mirrorer)
		if !ok || f.Mirrored == nil {
			t.Skip("the provider does not mirror traffic")
		}
		mustDeploy(t, f)
		if err := m.Mirror(ctx, f.Target, 100); err != nil {
			t.Fatalf("Mirror(100) = %v", err)
		}
		if !f.Mirrored(t) {
			t.Error("after Mirror(100) the candidate receives no mirrored requests")
		}
		checkWeight(t, f, 0)
		if err := f.Provider.Rollback(ctx, f.Target); err != nil {
			t.Fatalf("Rollback = %v", err)
		}
		if f.Mirrored(t) {
			t.Error("after Rollback the candidate still receives mirrored requests")
		}
	})
}

func mustDeploy(t *testing.T, f Fixture) {
	t.Helper()
	ctx := context.Background()
	if err := f.Provider.Deploy(ctx, f.Target); err != nil {
		t.Fatalf("Deploy = %v", err)
	}
	deadline := time.Now().Add(f.HealthTimeout)
	for {
		err := f.Provider.Health(ctx, f.Target)
		if err == nil {
			return
		}
		if !errors.Is(err, deployer.ErrUnhealthy) {
			t.Fatalf("Health = %v; want nil or an error wrapping deployer.ErrUnhealthy", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Health after Deploy still %v after %s", err, f.HealthTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func checkWeight(t *testing.T, f Fixture, want int) {
	t.Helper()
	got := f.Weight(t)
	if d := got - want; d > f.Tolerance || -d > f.Tolerance {
		t.Errorf("candidate's share of traffic = %d%%; want %d%% (±%d)", got, want, f.Tolerance)
	}
}
