// Command loadgen sends GET requests at a steady rate for a bounded time and
// prints what came back: totals, failures and the share of each version.
//
//	loadgen -url http://127.0.0.1:8080/ -rate 100 -duration 30s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lockstep-dev/lockstep/internal/demoapp"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/", "URL to request (loopback)")
	rate := flag.Int("rate", 100, "requests per second")
	workers := flag.Int("workers", 4, "concurrent connections")
	duration := flag.Duration("duration", 30*time.Second, "how long to run (the generator always stops by itself)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l := demoapp.StartLoad(ctx, demoapp.LoadOptions{URL: *url, Rate: *rate, Workers: *workers, Duration: *duration})
	select {
	case <-ctx.Done():
	case <-time.After(*duration):
	}
	s := l.Stop()
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	if s.Failed > 0 {
		os.Exit(1)
	}
}
