// Command demoapp runs one instance of lockstep's demo service.
//
//	demoapp -listen 127.0.0.1:8081 -version v2 -fail-rate 0.3 -delay 50ms
//
// DEMOAPP_FAIL_RATE and DEMOAPP_DELAY set the defaults of the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/lockstep-dev/lockstep/internal/demoapp"
)

func main() {
	os.Exit(run())
}

func run() int {
	fail, _ := strconv.ParseFloat(os.Getenv("DEMOAPP_FAIL_RATE"), 64)
	delay, _ := time.ParseDuration(os.Getenv("DEMOAPP_DELAY"))
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on (loopback)")
	version := flag.String("version", "dev", "version reported in responses and metrics")
	flag.Float64Var(&fail, "fail-rate", fail, "share of requests answered 500 (0 to 1)")
	flag.DurationVar(&delay, "delay", delay, "latency added to every request")
	flag.Parse()
	app := demoapp.New(demoapp.Options{Version: *version, FailRate: fail, Delay: delay})
	srv := &http.Server{Addr: *listen, Handler: app.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		fmt.Fprintf(os.Stderr, "demoapp: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "demoapp: %v\n", err)
		return 1
	}
	return 0
}
