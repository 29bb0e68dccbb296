package migrator

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows a backfill's advance: a bar with rate and ETA on a
// terminal, else a log line every interval and at every tenth done.
type progress struct {
	w       io.Writer
	label   string
	total   int64
	keys    int64
	rows    int64
	batches int
	start   time.Time
	every   time.Duration
	last    time.Time
	decile  int64
	bar     *progressbar.ProgressBar
	lastB   string
}

func newProgress(w io.Writer, tty bool, label string, total int64, every time.Duration) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), every: every}
	p.last = p.start
	if tty {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		return p
	}
	fmt.Fprintf(w, "%s: backfilling %s rows\n", label, grouped(total))
	return p
}

// add records a committed batch.
func (p *progress) add(keys, rows int64, size int, took time.Duration) {
	p.keys += keys
	p.rows += rows
	p.batches++
	p.lastB = fmt.Sprintf("batch %s in %s", grouped(int64(size)), took.Round(time.Millisecond))
	if p.bar != nil {
		if p.keys > p.total {
			p.bar.ChangeMax64(p.keys)
		}
		_ = p.bar.Set64(p.keys)
		return
	}
	now := time.Now()
	var dec int64
	if p.total > 0 {
		dec = p.keys * 10 / p.total
	}
	if now.Sub(p.last) >= p.every || dec > p.decile {
		p.decile = dec
		p.last = now
		fmt.Fprintln(p.w, p.line(now))
	}
}

func (p *progress) line(now time.Time) string {
	el := now.Sub(p.start)
	rate := float64(p.keys) / max(el.Seconds(), 0.001)
	pct := 100.0
	if p.total > 0 {
		pct = min(100*float64(p.keys)/float64(p.total), 100)
	}
	eta := "-"
	if rate > 0 && p.total > p.keys {
		eta = time.Duration(float64(p.total-p.keys) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("%s: %s/%s rows (%.0f%%), %s rows/s, ETA %s, %s", p.label, grouped(p.keys), grouped(p.total), pct, grouped(int64(rate)), eta, p.lastB)
}

// finish prints the summary.
func (p *progress) finish() {
	el := time.Since(p.start)
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	fmt.Fprintf(p.w, "%s: done: %s rows changed in %d batches, %s (%s rows/s)\n", p.label, grouped(p.rows), p.batches,
		el.Round(time.Millisecond), grouped(int64(float64(p.keys)/max(el.Seconds(), 0.001))))
}

func (p *progress) close() {
	if p.bar != nil {
		_ = p.bar.Exit()
	}
}

// grouped writes 1234567 as 1,234,567.
func grouped(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
