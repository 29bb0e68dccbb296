package nginx

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// worker is one nginx worker process: its pid and its start time, which
// tells it apart from a later process given the same pid.
type worker struct {
	pid   int
	start string
}

const acceptingTitle = "nginx: worker process"

// workers returns the master's children that accept connections now. It
// returns nil when the pid file or /proc cannot be read: the wait is then
// verify_url's alone.
func workers(pidFile string) []worker {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil
	}
	master := strings.TrimSpace(string(b))
	if _, err := strconv.Atoi(master); err != nil {
		return nil
	}
	kids, err := os.ReadFile("/proc/" + master + "/task/" + master + "/children")
	if err != nil {
		return nil
	}
	var out []worker
	for _, f := range strings.Fields(string(kids)) {
		pid, _ := strconv.Atoi(f)
		if w, ok := accepting(pid); ok {
			out = append(out, w)
		}
	}
	return out
}

// accepting reports whether pid is a worker still titled as accepting,
// with its start time.
func accepting(pid int) (worker, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	cmd, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return worker{}, false
	}
	// nginx writes its title over argv: NULs or spaces may pad it.
	title := strings.TrimRight(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})), " ")
	if title != acceptingTitle {
		return worker{}, false
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return worker{}, false
	}
	// Field 22 is the start time; the command field before it is in
	// parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return worker{}, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return worker{}, false
	}
	return worker{pid: pid, start: fields[19]}, true
}

// waitRetired waits until none of old accepts connections any more.
func waitRetired(ctx context.Context, old []worker, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, w := range old {
		for {
			now, ok := accepting(w.pid)
			if !ok || now.start != w.start {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fault.Errorf(fault.Unavailable, "nginx: worker %d of the old configuration still accepts connections %s after the reload", w.pid, limit)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return nil
}
