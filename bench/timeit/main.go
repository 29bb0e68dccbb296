// Command timeit runs commands several times and prints each one's median,
// min and max wall time and its peak resident memory (from the kernel's
// rusage, children included), like a tiny hyperfine. With several commands
// it runs them in turn (A B C A B C ...), so that a machine whose speed
// drifts slows all of them alike, and prints the ratio of each to the
// second, taken run by run (the median of A1/B1, A2/B2, ...):
//
//	go run ./bench/timeit -runs 10 -warmup 2 -name lockstep -- bin/lockstep lint bench/corpus
//	go run ./bench/timeit -runs 15 -cmd 'lockstep=bin/lockstep lint bench/corpus' -cmd 'squawk=squawk a.sql b.sql'
//
// A -cmd is NAME=COMMAND, the command split at white space (no quoting).
// Output goes to /dev/null; a non-zero exit is reported but does not stop
// the runs (linters exit 1 when they find something). The last lines are
// machine-readable: "name median_ms min_ms max_ms peak_rss_kib" for each
// command, then "ratio NAME/SECOND median min max" for every command but
// the second, SECOND being the second command's name.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type command struct {
	name  string
	args  []string
	walls []time.Duration
	peak  int64
	codes map[int]int
}

type cmdFlags []*command

func (c *cmdFlags) String() string { return "" }

func (c *cmdFlags) Set(v string) error {
	name, line, ok := strings.Cut(v, "=")
	args := strings.Fields(line)
	if !ok || name == "" || len(args) == 0 {
		return fmt.Errorf("want NAME=COMMAND, got %q", v)
	}
	*c = append(*c, &command{name: name, args: args, codes: map[int]int{}})
	return nil
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(argv []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("timeit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 10, "measured runs of each command")
	warmup := fs.Int("warmup", 2, "unmeasured runs first (page cache, lazy loading)")
	name := fs.String("name", "cmd", "label of the command after --")
	var cmds cmdFlags
	fs.Var(&cmds, "cmd", "NAME=COMMAND to time, repeatable: several run in turn")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	if args := fs.Args(); len(args) > 0 {
		cmds = append(cmds, &command{name: *name, args: args, codes: map[int]int{}})
	}
	if len(cmds) == 0 || *runs < 1 {
		fmt.Fprintln(stderr, "usage: timeit [-runs N] [-warmup N] [-name X] -- command args...\n       timeit [-runs N] [-warmup N] -cmd NAME=COMMAND -cmd NAME=COMMAND ...")
		return 2
	}
	for i := 0; i < *warmup+*runs; i++ {
		for _, c := range cmds {
			wall, rss, code, err := once(c.args)
			if err != nil {
				fmt.Fprintf(stderr, "timeit: %s: %v\n", c.args[0], err)
				return 1
			}
			if i < *warmup {
				continue
			}
			c.codes[code]++
			c.walls = append(c.walls, wall)
			c.peak = max(c.peak, rss)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var lines []string
	for _, c := range cmds {
		s := append([]time.Duration(nil), c.walls...)
		slices.Sort(s)
		fmt.Fprintf(stderr, "%-9s median %7.1f ms  min %7.1f  max %7.1f  peak RSS %6.1f MiB  (%d runs, exit codes %v)\n",
			c.name, ms(median(s)), ms(s[0]), ms(s[len(s)-1]), float64(c.peak)/1024, len(s), c.codes)
		lines = append(lines, fmt.Sprintf("%s %.1f %.1f %.1f %d\n", c.name, ms(median(s)), ms(s[0]), ms(s[len(s)-1]), c.peak))
	}
	for _, l := range lines {
		io.WriteString(stdout, l)
	}
	if len(cmds) < 2 {
		return 0
	}
	base := cmds[1]
	for i, c := range cmds {
		if i == 1 {
			continue
		}
		r := make([]float64, len(c.walls))
		for k := range r {
			r[k] = float64(c.walls[k]) / float64(base.walls[k])
		}
		slices.Sort(r)
		fmt.Fprintf(stdout, "ratio %s/%s %.2f %.2f %.2f\n", c.name, base.name, median(r), r[0], r[len(r)-1])
	}
	return 0
}

// once runs a command and returns its wall time, peak RSS in KiB and exit
// code; the error is one that kept it from starting.
func once(args []string) (time.Duration, int64, int, error) {
	cmd := exec.Command(args[0], args[1:]...)
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return 0, 0, 0, err
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	return wall, rss, cmd.ProcessState.ExitCode(), nil
}

// median of sorted values: the middle one, or the mean of the middle two.
func median[T time.Duration | float64](s []T) T {
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m
}
