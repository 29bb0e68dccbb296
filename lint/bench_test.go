package lint

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"testing"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// benchCorpus is the corpus `go run ./bench/gen` writes; the benchmarks
// generate a smaller one in memory when it is absent.
const benchCorpus = "../bench/corpus"

func benchInputs(b *testing.B) []Input {
	b.Helper()
	paths, _ := filepath.Glob(filepath.Join(benchCorpus, "*.up.sql"))
	if len(paths) == 0 {
		b.Skip("no corpus: go run ./bench/gen -n 2000 -out bench/corpus")
	}
	sort.Strings(paths)
	var inputs []Input
	for _, p := range paths {
		t, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, Input{Path: p, Text: string(t)})
	}
	return inputs
}

func corpusBytes(in []Input) int64 {
	var n int64
	for _, i := range in {
		n += int64(len(i.Text))
	}
	return n
}

// BenchmarkParse is the floor: pg_query.Parse of every file, one goroutine.
func BenchmarkParse(b *testing.B) {
	inputs := benchInputs(b)
	lintMemoryPolicy(b)
	b.SetBytes(corpusBytes(inputs))
	for b.Loop() {
		for _, in := range inputs {
			if _, err := pg.Parse(in.Text); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLint is the whole Lint (parse, PL/pgSQL, catalog, every rule) of
// the same corpus, with GOMAXPROCS 1 so that it compares with
// BenchmarkParse: lint/parse is the lint work over pg_query_go's Parse of
// the same files, timed in the same iterations (the timer stopped around
// the parse), so a machine whose speed drifts moves both alike.
// go test ./lint -run '^$' -bench 'Parse|Lint' -cpu 1
func BenchmarkLint(b *testing.B) {
	inputs := benchInputs(b)
	l, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	lintMemoryPolicy(b)
	b.SetBytes(corpusBytes(inputs))
	var parse time.Duration
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		for _, in := range inputs {
			if _, err := pg.Parse(in.Text); err != nil {
				b.Fatal(err)
			}
		}
		parse += time.Since(start)
		b.StartTimer()
		if _, err := l.Lint(context.Background(), inputs); err != nil {
			b.Fatal(err)
		}
	}
	// lint/parse: 1.00 would be linting for free; the target is 1.25.
	b.ReportMetric(float64(b.Elapsed())/float64(parse), "lint/parse")
}

// lintMemoryPolicy runs a benchmark the way lockstep lint runs (cmd/lockstep
// lintHeapLimit): no collection below a 1 GiB heap.
func lintMemoryPolicy(b *testing.B) {
	gc := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(1 << 30)
	b.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	})
}
