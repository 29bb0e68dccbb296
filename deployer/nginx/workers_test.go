package nginx

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/internal/nginxtest"
)

func TestWaitRetired(t *testing.T) {
	srv := nginxtest.Start(t, nginxtest.Options{Workers: 2})
	pidFile := filepath.Join(srv.Prefix, "nginx.pid")
	old := workers(pidFile)
	if len(old) != 2 {
		t.Fatalf("workers(%s) = %v; want the 2 accepting workers", pidFile, old)
	}
	// Nothing was reloaded: the workers keep accepting, and the wait says so.
	err := waitRetired(context.Background(), old, 50*time.Millisecond)
	if !errors.Is(err, fault.Unavailable) {
		t.Fatalf("waitRetired without a reload = %v; want an Unavailable error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := waitRetired(ctx, old, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("waitRetired with a cancelled context = %v; want context.Canceled", err)
	}
	if out, err := exec.Command(srv.Binary, "-p", srv.Prefix, "-c", srv.Conf, "-s", "reload").CombinedOutput(); err != nil {
		t.Fatalf("nginx -s reload: %v: %s", err, out)
	}
	if err := waitRetired(context.Background(), old, 10*time.Second); err != nil {
		t.Fatalf("waitRetired after a reload = %v", err)
	}
	for _, w := range old {
		if now, ok := accepting(w.pid); ok && now.start == w.start {
			t.Errorf("old worker %d still accepts after waitRetired returned", w.pid)
		}
	}
	if got := workers(filepath.Join(srv.Prefix, "missing.pid")); got != nil {
		t.Errorf("workers without a pid file = %v; want nil", got)
	}
}
