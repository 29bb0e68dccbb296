package demoapp

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// LoadOptions configure a load generator.
type LoadOptions struct {
	// URL is requested with GET.
	URL string
	// Rate is requests per second (default 100), spread over Workers
	// (default 4) connections.
	Rate    int
	Workers int
	// Duration bounds the run (default 1m): the generator stops by itself.
	Duration time.Duration
	// Header is added to every request.
	Header http.Header
	// Client sends the requests (default: a client with a 2s timeout).
	Client *http.Client
}

// Response is one request's outcome.
type Response struct {
	At      time.Time
	Version string
	Code    int
	// Err is a transport error ("" when a response came).
	Err string
}

// OK reports a 2xx response.
func (r Response) OK() bool { return r.Err == "" && r.Code >= 200 && r.Code < 300 }

// Load is a running load generator.
type Load struct {
	mu    sync.Mutex
	log   []Response
	stop  context.CancelFunc
	done  chan struct{}
	start time.Time
}

// StartLoad sends requests until ctx is done, Stop is called or the
// duration runs out.
func StartLoad(ctx context.Context, o LoadOptions) *Load {
	if o.Rate <= 0 {
		o.Rate = 100
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Duration <= 0 {
		o.Duration = time.Minute
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Workers}}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	l := &Load{stop: cancel, done: make(chan struct{}), start: time.Now()}
	var wg sync.WaitGroup
	every := time.Duration(float64(time.Second) * float64(o.Workers) / float64(o.Rate))
	for i := 0; i < o.Workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			time.Sleep(every * time.Duration(i) / time.Duration(o.Workers))
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				l.record(one(ctx, o))
			}
		}(i)
	}
	go func() { wg.Wait(); close(l.done) }()
	return l
}

func one(ctx context.Context, o LoadOptions) Response {
	req, err := http.NewRequestWithContext(ctx, "GET", o.URL, nil)
	if err != nil {
		return Response{At: time.Now(), Err: err.Error()}
	}
	for k, v := range o.Header {
		req.Header[k] = v
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Response{} // stopped: not a failure of the service
		}
		return Response{At: time.Now(), Err: err.Error()}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return Response{At: time.Now(), Version: resp.Header.Get("X-Version"), Code: resp.StatusCode}
}

func (l *Load) record(r Response) {
	if r.At.IsZero() {
		return
	}
	l.mu.Lock()
	l.log = append(l.log, r)
	l.mu.Unlock()
}

// Stop stops the generator and waits for its requests to end.
func (l *Load) Stop() Stats {
	l.stop()
	<-l.done
	return l.Stats(time.Time{}, time.Time{})
}

// Responses returns the responses received in [from, to) (zero times: no
// bound).
func (l *Load) Responses(from, to time.Time) []Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Response
	for _, r := range l.log {
		if (!from.IsZero() && r.At.Before(from)) || (!to.IsZero() && !r.At.Before(to)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Stats counts responses.
type Stats struct {
	Total, Failed int
	ByVersion     map[string]int
	// FirstErrors holds up to 5 failures' descriptions.
	FirstErrors []string
}

// Stats counts the responses received in [from, to).
func (l *Load) Stats(from, to time.Time) Stats {
	s := Stats{ByVersion: map[string]int{}}
	for _, r := range l.Responses(from, to) {
		s.Total++
		if r.Version != "" {
			s.ByVersion[r.Version]++
		}
		if !r.OK() {
			s.Failed++
			if len(s.FirstErrors) < 5 {
				d := r.Err
				if d == "" {
					d = http.StatusText(r.Code) + " from " + r.Version
				}
				s.FirstErrors = append(s.FirstErrors, r.At.Format("15:04:05.000")+" "+d)
			}
		}
	}
	return s
}
