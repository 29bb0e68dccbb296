package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cli is one run of the command line against an in-memory env.
type cli struct {
	code           int
	stdout, stderr string
}

// runIn runs lockstep with args in dir (env.workdir), with no environment
// variables but those given as "KEY=value" in vars.
func runIn(t *testing.T, dir string, vars []string, args ...string) cli {
	t.Helper()
	return runInput(t, dir, vars, "", args...)
}

// runInput is runIn with input on standard input.
func runInput(t *testing.T, dir string, vars []string, input string, args ...string) cli {
	t.Helper()
	var stdout, stderr bytes.Buffer
	envMap := map[string]string{}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	e := &env{
		stdin:   strings.NewReader(input),
		stdout:  &stdout,
		stderr:  &stderr,
		getenv:  func(k string) string { return envMap[k] },
		now:     func() time.Time { return time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC) },
		workdir: dir,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, args, e)
	return cli{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// lockstep runs in dir with an empty environment.
func lockstep(t *testing.T, dir string, args ...string) cli {
	t.Helper()
	return runIn(t, dir, nil, args...)
}

// writeTree creates files (path → content, "/" separated) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree returns a temporary directory holding files.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, files)
	return dir
}

// gitIn runs git in dir with a fixed identity; the test fails if it fails.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	cmd := exec.Command("git", append([]string{"-c", "user.name=lockstep test", "-c", "user.email=test@example.com",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// assertExit fails unless the run ended with code.
func (c cli) assertExit(t *testing.T, code int) {
	t.Helper()
	if c.code != code {
		t.Fatalf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", c.code, code, c.stdout, c.stderr)
	}
}

// assertStderr fails unless stderr is exactly one line equal to want.
func (c cli) assertStderr(t *testing.T, want string) {
	t.Helper()
	if c.stderr != want+"\n" {
		t.Errorf("stderr = %q\nwant     %q", c.stderr, want+"\n")
	}
}
