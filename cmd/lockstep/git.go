package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// addedSince returns the absolute paths of files added since ref: committed,
// staged or untracked (not ignored).
func addedSince(ctx context.Context, e *env, ref string) (map[string]bool, error) {
	top, err := git(ctx, e, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "--since %s: not in a git repository: %v", ref, err)
	}
	top = strings.TrimSpace(top)
	if _, err := git(ctx, e, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, fault.Errorf(fault.Usage, "--since %s: unknown git revision (in CI, fetch it first: git fetch origin <base>)", ref)
	}
	out := map[string]bool{}
	diff, err := git(ctx, e, "diff", "--name-only", "--diff-filter=A", "-z", ref, "--")
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "--since %s: git diff: %v", ref, err)
	}
	for _, p := range strings.Split(diff, "\x00") {
		if p != "" {
			out[filepath.Join(top, p)] = true
		}
	}
	untracked, err := git(ctx, e, "ls-files", "--others", "--exclude-standard", "--full-name", "-z", ":/")
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "--since %s: git ls-files: %v", ref, err)
	}
	for _, p := range strings.Split(untracked, "\x00") {
		if p != "" {
			out[filepath.Join(top, p)] = true
		}
	}
	return out, nil
}

func git(ctx context.Context, e *env, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = e.workdir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", &gitError{msg}
	}
	return stdout.String(), nil
}

type gitError struct{ msg string }

func (g *gitError) Error() string { return g.msg }
