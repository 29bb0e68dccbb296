package gates

import (
	"sort"
	"time"
)

// A schedule is a time-based gate: it allows or blocks a deploy starting
// at an instant, and says when that changes. The decision's next opening
// and finish_before_close are computed from schedules alone.
type schedule interface {
	gate() string
	// allowed reports whether a deploy may start at t.
	allowed(t time.Time) bool
	// nextAllowed returns the first instant at or after t at which allowed
	// is true; false when there is none within the search horizon or it
	// cannot be known.
	nextAllowed(t time.Time) (time.Time, bool)
	// nextBlocked returns the first instant after t at which allowed turns
	// false, for a t that is allowed; false when there is none within the
	// horizon.
	nextBlocked(t time.Time) (time.Time, bool)
}

// horizonDays bounds the search for openings and closings.
const horizonDays = 400

// windowSchedule allows the times inside any of its windows. Windows are
// wall-clock times: on a spring-forward day the skipped hour is in no
// window, on a fall-back day the repeated hour is in it twice.
type windowSchedule struct {
	loc     *time.Location
	windows []Window
}

func (s *windowSchedule) gate() string { return GateWindow }

func (s *windowSchedule) allowed(t time.Time) bool { return s.containing(t) != nil }

// containing returns the window t is in, or nil.
func (s *windowSchedule) containing(t time.Time) *Window {
	lt := t.In(s.loc)
	tod := lt.Hour()*60 + lt.Minute()
	day := lt.Weekday()
	yesterday := (day + 6) % 7
	for i := range s.windows {
		w := &s.windows[i]
		if !w.overnight() {
			if w.Days[day] && tod >= w.From && tod < w.To {
				return w
			}
			continue
		}
		if (w.Days[day] && tod >= w.From) || (w.Days[yesterday] && tod < w.To) {
			return w
		}
	}
	return nil
}

// candidates returns the instants of one civil date (and the moment after
// it) at which the window predicate can change: every window's from and to
// on that date, and the zone's transitions during it.
func (s *windowSchedule) candidates(d civil) []time.Time {
	var out []time.Time
	for _, w := range s.windows {
		for _, m := range []int{w.From, w.To} {
			out = append(out, wallInstants(s.loc, d.at(m/60, m%60))...)
		}
	}
	start := wallStart(s.loc, d.at(0, 0))
	end := wallStart(s.loc, d.addDays(1).at(0, 0))
	out = append(out, start)
	out = append(out, transitions(s.loc, start, end)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// scan returns the first candidate after t whose allowed equals want.
func (s *windowSchedule) scan(t time.Time, want bool) (time.Time, bool) {
	d := dayOf(t, s.loc).addDays(-1)
	for i := 0; i < horizonDays; i++ {
		for _, c := range s.candidates(d.addDays(i)) {
			if c.After(t) && s.allowed(c) == want {
				return c, true
			}
		}
	}
	return time.Time{}, false
}

func (s *windowSchedule) nextAllowed(t time.Time) (time.Time, bool) {
	if s.allowed(t) {
		return t, true
	}
	return s.scan(t, true)
}

func (s *windowSchedule) nextBlocked(t time.Time) (time.Time, bool) { return s.scan(t, false) }

// period is one occurrence of a freeze: [Start, End).
type period struct {
	Name       string
	Start, End time.Time
}

// activeAt returns the occurrence of f that contains t.
func (f *Freeze) activeAt(t time.Time) (period, bool) {
	if f.cron == nil {
		if !t.Before(f.Start) && t.Before(f.End) {
			return period{f.Name, f.Start, f.End}, true
		}
		return period{}, false
	}
	// The latest start has the latest end: no earlier occurrence can
	// still run when it does not.
	s, ok := f.cron.lastAtOrBefore(t)
	if !ok {
		return period{}, false
	}
	if e := f.endOf(s); e.After(t) {
		return period{f.Name, s, e}, true
	}
	return period{}, false
}

// endOf is the end of the occurrence starting at s: the duration added on
// the wall clock, so a weekend freeze from Friday 18:00 lasting 63h ends
// Monday 09:00 even across a DST change.
func (f *Freeze) endOf(s time.Time) time.Time {
	n := civilOf(s.In(f.cron.loc)).naive().Add(f.duration)
	return wallStart(f.cron.loc, civilOf(n))
}

// nextStart returns the first start of f after t.
func (f *Freeze) nextStart(t time.Time) (time.Time, bool) {
	if f.cron == nil {
		if f.Start.After(t) {
			return f.Start, true
		}
		return time.Time{}, false
	}
	return f.cron.next(t)
}

// freezeSchedule blocks the times inside any of its freezes.
type freezeSchedule struct{ freezes []Freeze }

func (s *freezeSchedule) gate() string { return GateFreeze }

func (s *freezeSchedule) active(t time.Time) []period {
	var out []period
	for i := range s.freezes {
		if p, ok := s.freezes[i].activeAt(t); ok {
			out = append(out, p)
		}
	}
	return out
}

func (s *freezeSchedule) allowed(t time.Time) bool { return len(s.active(t)) == 0 }

func (s *freezeSchedule) nextAllowed(t time.Time) (time.Time, bool) {
	x := t
	for i := 0; i < 1000; i++ {
		act := s.active(x)
		if len(act) == 0 {
			return x, true
		}
		for _, p := range act {
			if p.End.After(x) {
				x = p.End
			}
		}
		if x.Sub(t) > horizonDays*24*time.Hour {
			break
		}
	}
	return time.Time{}, false
}

func (s *freezeSchedule) nextBlocked(t time.Time) (time.Time, bool) {
	var best time.Time
	for i := range s.freezes {
		if n, ok := s.freezes[i].nextStart(t); ok && (best.IsZero() || n.Before(best)) {
			best = n
		}
	}
	return best, !best.IsZero()
}

// nextOpen returns the first instant at or after from at which every
// schedule allows a deploy and none blocks it for need afterwards.
func nextOpen(scheds []schedule, from time.Time, need time.Duration) (time.Time, bool) {
	x := from
	limit := from.Add(horizonDays * 24 * time.Hour)
	for i := 0; i < 10000 && !x.After(limit); i++ {
		moved := false
		for _, s := range scheds {
			y, ok := s.nextAllowed(x)
			if !ok {
				return time.Time{}, false
			}
			if y.After(x) {
				x, moved = y, true
			}
		}
		if moved {
			continue
		}
		if need <= 0 {
			return x, true
		}
		closes, ok := closesAt(scheds, x)
		if !ok || closes.Sub(x) >= need {
			return x, true
		}
		x = closes
	}
	return time.Time{}, false
}

// closesAt returns the first instant after t at which a schedule blocks.
func closesAt(scheds []schedule, t time.Time) (time.Time, bool) {
	var best time.Time
	var found bool
	for _, s := range scheds {
		if c, ok := s.nextBlocked(t); ok && (!found || c.Before(best)) {
			best, found = c, true
		}
	}
	return best, found
}
