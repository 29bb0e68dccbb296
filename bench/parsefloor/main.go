// Command parsefloor is the yardstick under `lockstep lint`'s time: a
// process that reads the same golang-migrate files and parses each with
// pg_query_go's Parse (the C parse, and the decoding of its protobuf tree
// into Go by proto.Unmarshal), on as many goroutines as there are cores, and
// does nothing else. A linter built on pg_query_go's Parse cannot run faster
// than this on the same machine. lockstep decodes the same protobuf tree with
// its own generated decoder (internal/pgtree, about twice as fast), so its
// parse costs less than this one.
//
//	go run ./bench/parsefloor DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"

	pg "github.com/pganalyze/pg_query_go/v6"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: parsefloor DIR")
		os.Exit(2)
	}
	paths, err := filepath.Glob(filepath.Join(os.Args[1], "*.up.sql"))
	if err != nil || len(paths) == 0 {
		fmt.Fprintf(os.Stderr, "parsefloor: no *.up.sql in %s\n", os.Args[1])
		os.Exit(3)
	}
	sort.Strings(paths)
	// The same memory policy as lockstep lint: no collection in a short run.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(1 << 30)
	var next, stmts, failed atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) {
					return
				}
				b, err := os.ReadFile(paths[i])
				if err != nil {
					failed.Add(1)
					continue
				}
				tree, err := pg.Parse(string(b))
				if err != nil {
					failed.Add(1)
					continue
				}
				stmts.Add(int64(len(tree.Stmts)))
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d files, %d statements, %d not parsed\n", len(paths), stmts.Load(), failed.Load())
}
