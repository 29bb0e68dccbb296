package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Two commands run in turn, and the ratio is the first to the second.
func TestRatio(t *testing.T) {
	var out, errs bytes.Buffer
	code := run([]string{"-runs", "3", "-warmup", "0", "-cmd", "slow=sleep 0.12", "-cmd", "fast=sleep 0.03", "-cmd", "fails=false"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var ratio string
	for _, l := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(l); len(f) == 5 && f[0] == "ratio" && f[1] == "slow/fast" {
			ratio = f[2]
		}
	}
	r, err := strconv.ParseFloat(ratio, 64)
	if err != nil || r < 1.8 || r > 4.5 {
		t.Fatalf("ratio slow/fast = %q, want about 4:\n%s", ratio, out.String())
	}
	if !strings.Contains(out.String(), "ratio fails/fast ") || !strings.Contains(errs.String(), "exit codes map[1:3]") {
		t.Fatalf("the failing command was not timed and reported:\n%s%s", out.String(), errs.String())
	}
	if run([]string{"-cmd", "nothing"}, &out, &errs) != 2 || run([]string{"-cmd", "x=/nonexistent/cmd"}, &out, &errs) != 1 {
		t.Fatal("a bad -cmd or a command that cannot start must fail")
	}
}
