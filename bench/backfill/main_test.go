package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 100 * time.Millisecond}, {0.99, 198 * time.Millisecond}, {1, 200 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, tc.q); got != tc.want {
			t.Errorf("percentile(1..200 ms, %v) = %s; want %s", tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.99); got != 0 {
		t.Errorf("percentile(nil) = %s; want 0", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1000000: "1,000,000", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q; want %q", n, got, want)
		}
	}
}

func TestPrefixed(t *testing.T) {
	var b bytes.Buffer
	w := prefixed(&b, "> ")
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\nthree\n"))
	if got, want := b.String(), "> one\n> two\n> three\n"; got != want {
		t.Errorf("prefixed = %q; want %q", got, want)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-rows", "0"}, {"-writes", "2"}, {"-nope"}, {"extra"}, {"-database", "http://x"}} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), args, func(string) string { return "" }, &out, &errs); code != 2 {
			t.Errorf("run(%q) = %d; want 2 (stderr %q)", args, code, errs.String())
		}
	}
}

// TestSmall runs the whole bench on a small table against a throwaway
// server: every phase runs, the change reaches every row once in (b) and
// (c), the ledger agrees with the migrator, and the ratios are printed.
func TestSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	var out, errs bytes.Buffer
	args := []string{"-rows", "3000", "-size", "500", "-baseline", "300ms", "-warm", "100ms", "-rate", "200", "-pause", "1ms"}
	if code := run(context.Background(), args, os.Getenv, &out, &errs); code != 0 {
		t.Fatalf("run = %d; stderr:\n%s", code, errs.String())
	}
	for _, want := range []string{"(a) no backfill", "(b) one UPDATE", "(c) lockstep backfill", "backfill rows/s / single UPDATE rows/s", "p99 batch duration"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`(?m)^result throughput_ratio=[0-9.]+ batch_p99_ms=[0-9.]+ load_p99_ratio=[0-9.]+ missed=[0-3]$`).MatchString(out.String()) {
		t.Errorf("no result line:\n%s", out.String())
	}
	if !regexp.MustCompile(`(?m)^\(c\) load p99 while a batch runs [0-9.]+ ms \([0-9]+ ops; SELECT .*\), between batches [0-9.]+ ms \([0-9]+ ops\)$`).MatchString(out.String()) {
		t.Errorf("no line splitting the load's p99 by batches:\n%s", out.String())
	}
	if !strings.Contains(errs.String(), "size=500 pause=1ms") {
		t.Errorf("the header lacks -pause:\n%s", errs.String())
	}
	if !strings.Contains(errs.String(), "done: 3,000 rows changed") {
		t.Errorf("the migrator's notes lack the done line:\n%s", errs.String())
	}
}

func TestSplit(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	spans := []span{{at(10), at(20)}, {at(40), at(50)}}
	var samples []sample
	for _, ms := range []int{5, 10, 15, 20, 30, 45, 60} {
		samples = append(samples, sample{at: at(ms), lat: time.Duration(ms) * time.Millisecond})
	}
	in, out := split(samples, spans)
	got := func(w window) (ms []int) {
		for _, s := range w.samples {
			ms = append(ms, int(s.lat/time.Millisecond))
		}
		return ms
	}
	if g := got(in); !slices.Equal(g, []int{10, 15, 20, 45}) {
		t.Errorf("inside batches: %v; want [10 15 20 45] (the spans' ends included)", g)
	}
	if g := got(out); !slices.Equal(g, []int{5, 30, 60}) {
		t.Errorf("between batches: %v; want [5 30 60]", g)
	}
}
