// Package demoapp is the small HTTP service lockstep's deploy tests and
// demo roll out, and the load generator that drives traffic through it.
// The service answers every request with its version, exposes Prometheus
// metrics (http_requests_total{version,code} and the latency histogram
// http_request_duration_seconds{version}), and can be told to fail a share
// of requests or slow down, at start or at run time (POST /control).
package demoapp

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure an App.
type Options struct {
	// Version is reported in responses (X-Version) and metric labels.
	Version string
	// FailRate is the share of requests answered 500, 0 to 1; failures are
	// spread evenly, the first request failing (ceil(n×FailRate) of the first n).
	FailRate float64
	// Delay is added to every request.
	Delay time.Duration
}

// App is one instance of the demo service.
type App struct {
	version  string
	mu       sync.Mutex
	failRate float64
	delay    time.Duration
	n        uint64
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns an instance with a registry of its own.
func New(o Options) *App {
	a := &App{version: o.Version, failRate: o.FailRate, delay: o.Delay, reg: prometheus.NewRegistry()}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: "Requests served, by version and status code.",
	}, []string{"version", "code"})
	a.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "Request latency.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"version"})
	a.reg.MustRegister(a.requests, a.latency)
	// Series exist from the start, so rates are 0 rather than absent.
	a.requests.WithLabelValues(a.version, "200")
	a.requests.WithLabelValues(a.version, "500")
	return a
}

// Version is the instance's version.
func (a *App) Version() string { return a.version }

// Set changes the failure rate and the delay at run time.
func (a *App) Set(failRate float64, delay time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failRate, a.delay = failRate, delay
}

// Handler serves / (the work), /healthz, /metrics and POST /control
// (form values fail, a rate, and delay, a duration).
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Version", a.version)
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("POST /control", func(w http.ResponseWriter, r *http.Request) {
		fail, err := strconv.ParseFloat(r.FormValue("fail"), 64)
		if err != nil || fail < 0 || fail > 1 {
			http.Error(w, "fail: want a rate from 0 to 1", http.StatusBadRequest)
			return
		}
		delay := time.Duration(0)
		if d := r.FormValue("delay"); d != "" {
			if delay, err = time.ParseDuration(d); err != nil {
				http.Error(w, "delay: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		a.Set(fail, delay)
		fmt.Fprintf(w, "fail=%g delay=%s\n", fail, delay)
	})
	mux.HandleFunc("/", a.serve)
	return mux
}

func (a *App) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	a.mu.Lock()
	a.n++
	n, rate, delay := a.n, a.failRate, a.delay
	a.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	w.Header().Set("X-Version", a.version)
	code := http.StatusOK
	if math.Ceil(float64(n)*rate) > math.Ceil(float64(n-1)*rate) {
		code = http.StatusInternalServerError
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, "%s\n", a.version)
	a.requests.WithLabelValues(a.version, strconv.Itoa(code)).Inc()
	a.latency.WithLabelValues(a.version).Observe(time.Since(start).Seconds())
}
