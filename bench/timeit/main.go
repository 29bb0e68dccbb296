// Command timeit runs a command several times and prints its median, min
// and max wall time and its peak resident memory (from the kernel's
// rusage, children included), like a tiny hyperfine:
//
//	go run ./bench/timeit -runs 10 -warmup 2 -name lockstep -- bin/lockstep lint bench/corpus
//
// The command's output goes to /dev/null; a non-zero exit is reported but
// does not stop the runs (linters exit 1 when they find something). The
// last line is machine-readable: "name median_ms min_ms max_ms peak_rss_kib".
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

func main() {
	runs := flag.Int("runs", 10, "measured runs")
	warmup := flag.Int("warmup", 2, "unmeasured runs first (page cache, lazy loading)")
	name := flag.String("name", "cmd", "label for the result line")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: timeit [-runs N] [-warmup N] [-name X] -- command args...")
		os.Exit(2)
	}
	var walls []time.Duration
	var peak int64
	codes := map[int]int{}
	for i := 0; i < *warmup+*runs; i++ {
		cmd := exec.Command(args[0], args[1:]...)
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if cmd.ProcessState == nil {
			fmt.Fprintf(os.Stderr, "timeit: %s: %v\n", args[0], err)
			os.Exit(1)
		}
		if i < *warmup {
			continue
		}
		codes[cmd.ProcessState.ExitCode()]++
		walls = append(walls, wall)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peak {
			peak = ru.Maxrss // KiB on Linux
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	med := walls[len(walls)/2]
	if len(walls)%2 == 0 {
		med = (walls[len(walls)/2-1] + walls[len(walls)/2]) / 2
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Fprintf(os.Stderr, "%-9s median %7.1f ms  min %7.1f  max %7.1f  peak RSS %6.1f MiB  (%d runs, exit codes %v)\n",
		*name, ms(med), ms(walls[0]), ms(walls[len(walls)-1]), float64(peak)/1024, len(walls), codes)
	fmt.Printf("%s %.1f %.1f %.1f %d\n", *name, ms(med), ms(walls[0]), ms(walls[len(walls)-1]), peak)
}
