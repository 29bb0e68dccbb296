package shell_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/deployer/providertest"
	"github.com/lockstep-dev/lockstep/deployer/shell"
)

// scripted is a shell provider whose commands keep the weight in a file.
func scripted(t *testing.T) (*shell.Shell, string) {
	dir := t.TempDir()
	state := filepath.Join(dir, "weight")
	s, err := shell.New(shell.Config{
		Deploy:    `touch deployed-$LOCKSTEP_RELEASE`,
		SetWeight: `echo $LOCKSTEP_WEIGHT > weight`,
		Promote:   `echo 100 > weight`,
		Rollback:  `echo 0 > weight; [ "$LOCKSTEP_KEEP_CANDIDATE" = 1 ] || rm -f deployed-$LOCKSTEP_RELEASE`,
		Health:    `test -e deployed-{{.Release}}`,
		Dir:       dir,
	}, shell.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, state
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Fixture {
		s, state := scripted(t)
		return providertest.Fixture{Provider: s, Weight: func(t *testing.T) int {
			b, err := os.ReadFile(state)
			if errors.Is(err, os.ErrNotExist) {
				return 0
			}
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("weight file: %v", err)
			}
			return n
		}}
	})
}

func TestVariables(t *testing.T) {
	dir := t.TempDir()
	s, err := shell.New(shell.Config{
		SetWeight: `echo "env $LOCKSTEP_RELEASE $LOCKSTEP_STABLE $LOCKSTEP_WEIGHT $LOCKSTEP_STEP $LOCKSTEP_STRATEGY $LOCKSTEP_ENVIRONMENT $EXTRA" > out; echo "tmpl {{.Release}} {{.Stable}} {{.Weight}} {{.Step}}" >> out`,
		Rollback:  "true",
		Dir:       dir,
		Env:       map[string]string{"EXTRA": "x"},
	}, shell.Options{Environ: []string{"PATH=" + os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	tg := deployer.Target{Release: "v2", Stable: "v1", Environment: "staging", Strategy: deployer.Canary, Step: 2}
	if err := s.SetWeight(context.Background(), tg, 50); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "out"))
	want := "env v2 v1 50 2 canary staging x\ntmpl v2 v1 50 2\n"
	if string(b) != want {
		t.Errorf("command saw %q; want %q", b, want)
	}
}

func TestFailuresAndCancellation(t *testing.T) {
	s, err := shell.New(shell.Config{SetWeight: `echo "ingress: no such host" >&2; exit 3`, Rollback: "sleep 30", Health: "exit 1"}, shell.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg := deployer.Target{Release: "v2"}
	err = s.SetWeight(context.Background(), tg, 20)
	if err == nil || err.Error() != "deploy.shell.set_weight exited 3: ingress: no such host" {
		t.Errorf("SetWeight = %v", err)
	}
	if err := s.Health(context.Background(), tg); !errors.Is(err, deployer.ErrUnhealthy) {
		t.Errorf("Health = %v; want ErrUnhealthy", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Rollback(ctx, tg)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("Rollback under a 200ms context = %v after %s", err, time.Since(start))
	}
	if _, err := shell.New(shell.Config{Deploy: "{{.Nope}}"}, shell.Options{}); err == nil || !strings.Contains(err.Error(), "deploy.shell.deploy") {
		t.Errorf("bad template: %v", err)
	}
	noRollback, _ := shell.New(shell.Config{SetWeight: "true"}, shell.Options{})
	if err := noRollback.Check(deployer.Canary); !errors.Is(err, deployer.ErrUnsupported) {
		t.Errorf("Check without rollback = %v", err)
	}
}
