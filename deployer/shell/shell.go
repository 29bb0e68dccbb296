// Package shell is the deployer.Provider for any platform a team already
// scripts: each action is a command run through sh -c, with the rollout's
// variables in its environment (LOCKSTEP_RELEASE, LOCKSTEP_STABLE,
// LOCKSTEP_WEIGHT, LOCKSTEP_STEP, LOCKSTEP_STRATEGY, LOCKSTEP_ENVIRONMENT)
// and as template variables ({{.Release}}, {{.Stable}}, {{.Weight}},
// {{.Step}}, {{.Strategy}}, {{.Environment}}).
package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Config is the deploy.shell section.
type Config struct {
	Deploy    string `yaml:"deploy"`
	SetWeight string `yaml:"set_weight"`
	Promote   string `yaml:"promote"`
	Rollback  string `yaml:"rollback"`
	// Health exits 0 when the candidate is ready; unset: always ready.
	Health string `yaml:"health"`
	// Mirror copies LOCKSTEP_WEIGHT percent of traffic (0 stops).
	Mirror string `yaml:"mirror"`
	// Route sends requests matching LOCKSTEP_MATCH_HEADER or
	// LOCKSTEP_MATCH_COOKIE = LOCKSTEP_MATCH_VALUE to the candidate.
	Route string `yaml:"route"`
	// Dir is the commands' working directory.
	Dir string `yaml:"dir"`
	// Env adds variables to the commands' environment.
	Env map[string]string `yaml:"env"`
	// Timeout bounds one command (default 10m).
	Timeout time.Duration `yaml:"timeout"`
}

// Options are the world the commands see.
type Options struct {
	// Environ is the base environment of the commands (main passes
	// os.Environ()); nil runs them with only lockstep's variables and Env.
	Environ []string
	// Output receives the commands' stdout and stderr; nil discards it.
	Output io.Writer
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Shell runs the configured commands.
type Shell struct {
	cfg  Config
	o    Options
	tmpl map[string]*template.Template
	log  *slog.Logger
}

var (
	_ deployer.Provider = (*Shell)(nil)
	_ deployer.Checker  = (*Shell)(nil)
	_ deployer.Mirrorer = (*Shell)(nil)
	_ deployer.Router   = (*Shell)(nil)
)

// New checks the commands' templates. A bad template is fault.Usage naming
// the setting.
func New(cfg Config, o Options) (*Shell, error) {
	s := &Shell{cfg: cfg, o: o, tmpl: map[string]*template.Template{}, log: o.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = 10 * time.Minute
	}
	for name, cmd := range s.commands() {
		if cmd == "" {
			continue
		}
		t, err := template.New(name).Option("missingkey=error").Parse(cmd)
		if err != nil {
			return nil, fault.Errorf(fault.Usage, "deploy.shell.%s: %v", name, err)
		}
		if _, err := execute(t, vars{Release: "r"}); err != nil {
			return nil, fault.Errorf(fault.Usage, "deploy.shell.%s: %v", name, err)
		}
		s.tmpl[name] = t
	}
	return s, nil
}

func (s *Shell) commands() map[string]string {
	c := s.cfg
	return map[string]string{"deploy": c.Deploy, "set_weight": c.SetWeight, "promote": c.Promote, "rollback": c.Rollback,
		"health": c.Health, "mirror": c.Mirror, "route": c.Route}
}

// Check requires rollback for every strategy and set_weight for the ones
// that move traffic by weight (all of them: blue-green switches with 100).
func (s *Shell) Check(st deployer.Strategy) error {
	if s.cfg.Rollback == "" {
		return fmt.Errorf("%w: deploy.shell.rollback is not set, and lockstep never starts a rollout it cannot roll back", deployer.ErrUnsupported)
	}
	if s.cfg.SetWeight == "" {
		return fmt.Errorf("%w: deploy.shell.set_weight is not set", deployer.ErrUnsupported)
	}
	return nil
}

type vars struct {
	Release, Stable, Environment, Strategy string
	Weight, Step                           int
	MatchHeader, MatchCookie, MatchValue   string
}

func execute(t *template.Template, v vars) (string, error) {
	var b bytes.Buffer
	err := t.Execute(&b, v)
	return b.String(), err
}

// Deploy runs deploy (nothing when unset).
func (s *Shell) Deploy(ctx context.Context, t deployer.Target) error {
	return s.run(ctx, "deploy", t, -1, deployer.Match{})
}

// SetWeight runs set_weight with LOCKSTEP_WEIGHT.
func (s *Shell) SetWeight(ctx context.Context, t deployer.Target, weight int) error {
	if s.cfg.SetWeight == "" {
		return fmt.Errorf("%w: deploy.shell.set_weight is not set", deployer.ErrUnsupported)
	}
	return s.run(ctx, "set_weight", t, weight, deployer.Match{})
}

// Promote runs promote, with LOCKSTEP_WEIGHT=100.
func (s *Shell) Promote(ctx context.Context, t deployer.Target) error {
	return s.run(ctx, "promote", t, 100, deployer.Match{})
}

// Rollback runs rollback with LOCKSTEP_WEIGHT=0 and LOCKSTEP_KEEP_CANDIDATE
// (1 when the candidate's instances should stay up).
func (s *Shell) Rollback(ctx context.Context, t deployer.Target) error {
	if s.cfg.Rollback == "" {
		return fmt.Errorf("%w: deploy.shell.rollback is not set", deployer.ErrUnsupported)
	}
	return s.run(ctx, "rollback", t, 0, deployer.Match{})
}

// Health runs health: exit 0 is healthy, any other exit ErrUnhealthy.
func (s *Shell) Health(ctx context.Context, t deployer.Target) error {
	err := s.run(ctx, "health", t, -1, deployer.Match{})
	var ee *exitError
	if errors.As(err, &ee) {
		return fmt.Errorf("%w: %v", deployer.ErrUnhealthy, ee)
	}
	return err
}

// Mirror runs mirror with LOCKSTEP_WEIGHT the share mirrored.
func (s *Shell) Mirror(ctx context.Context, t deployer.Target, percent int) error {
	if s.cfg.Mirror == "" {
		if percent == 0 {
			return nil
		}
		return fmt.Errorf("%w: deploy.shell.mirror is not set", deployer.ErrUnsupported)
	}
	return s.run(ctx, "mirror", t, percent, deployer.Match{})
}

// Route runs route with LOCKSTEP_MATCH_HEADER/COOKIE/VALUE (empty: stop).
func (s *Shell) Route(ctx context.Context, t deployer.Target, m deployer.Match) error {
	if s.cfg.Route == "" {
		if m.IsZero() {
			return nil
		}
		return fmt.Errorf("%w: deploy.shell.route is not set", deployer.ErrUnsupported)
	}
	return s.run(ctx, "route", t, -1, m)
}

// exitError is a command that ran and exited non-zero.
type exitError struct {
	name string
	code int
	tail string
}

func (e *exitError) Error() string {
	if e.tail == "" {
		return fmt.Sprintf("%s exited %d", e.name, e.code)
	}
	return fmt.Sprintf("%s exited %d: %s", e.name, e.code, e.tail)
}

func (s *Shell) run(ctx context.Context, name string, t deployer.Target, weight int, m deployer.Match) error {
	tm := s.tmpl[name]
	if tm == nil {
		return nil
	}
	v := vars{Release: t.Release, Stable: t.Stable, Environment: t.Environment, Strategy: string(t.Strategy), Step: t.Step, Weight: weight,
		MatchHeader: m.Header, MatchCookie: m.Cookie, MatchValue: m.Value}
	script, err := execute(tm, v)
	if err != nil {
		return fault.Errorf(fault.Usage, "deploy.shell.%s: %v", name, err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Dir = s.cfg.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A cancelled rollout kills the whole process group, not only sh.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	env := append([]string(nil), s.o.Environ...)
	for k, val := range s.cfg.Env {
		env = append(env, k+"="+val)
	}
	w := ""
	if weight >= 0 {
		w = strconv.Itoa(weight)
	}
	keep := "0"
	if t.KeepCandidate {
		keep = "1"
	}
	env = append(env, "LOCKSTEP_RELEASE="+t.Release, "LOCKSTEP_STABLE="+t.Stable, "LOCKSTEP_ENVIRONMENT="+t.Environment,
		"LOCKSTEP_STRATEGY="+string(t.Strategy), "LOCKSTEP_STEP="+strconv.Itoa(t.Step), "LOCKSTEP_WEIGHT="+w,
		"LOCKSTEP_KEEP_CANDIDATE="+keep, "LOCKSTEP_MATCH_HEADER="+m.Header, "LOCKSTEP_MATCH_COOKIE="+m.Cookie, "LOCKSTEP_MATCH_VALUE="+m.Value)
	cmd.Env = env
	var tail tailBuffer
	out := io.Writer(&tail)
	if s.o.Output != nil {
		out = io.MultiWriter(s.o.Output, &tail)
	}
	cmd.Stdout, cmd.Stderr = out, out
	s.log.Debug("shell", "command", name, "release", t.Release, "weight", w)
	err = cmd.Run()
	if perr := parent.Err(); perr != nil {
		return perr
	}
	if ctx.Err() != nil {
		return fmt.Errorf("deploy.shell.%s: timed out after %s", name, s.cfg.Timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &exitError{name: "deploy.shell." + name, code: ee.ExitCode(), tail: tail.last()}
	}
	if err != nil {
		return fmt.Errorf("deploy.shell.%s: %w", name, err)
	}
	return nil
}

// tailBuffer keeps the end of a command's output for error messages.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) last() string {
	lines := strings.Split(strings.TrimSpace(string(t.b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
