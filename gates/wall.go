package gates

import (
	"sort"
	"time"
)

// Wall-clock arithmetic in a time zone. A policy speaks in wall-clock times
// ("09:00", "2026-12-20", "every Friday at 18:00"); around a DST change a
// wall-clock time can occur twice (fall back) or not at all (spring
// forward). These helpers turn wall-clock times into instants and say
// exactly which.

// civil is a wall-clock date and time without a zone, to the minute.
type civil struct {
	y      int
	mo     time.Month
	d      int
	h, min int
}

// naive is the civil time read as if it were UTC: a monotone number to
// compare and add to.
func (c civil) naive() time.Time { return time.Date(c.y, c.mo, c.d, c.h, c.min, 0, 0, time.UTC) }

func civilOf(t time.Time) civil {
	y, mo, d := t.Date()
	return civil{y, mo, d, t.Hour(), t.Minute()}
}

func civilFromNaive(n time.Time) civil { return civilOf(n) }

// offsetAt is loc's UTC offset in seconds at instant t.
func offsetAt(t time.Time, loc *time.Location) int {
	_, off := t.In(loc).Zone()
	return off
}

// wallInstants returns the instants, in order, at which the wall clock in
// loc reads c (second 0): none in a spring-forward gap, two in a fall-back
// overlap, else one.
func wallInstants(loc *time.Location, c civil) []time.Time {
	n := c.naive()
	// Wall clocks are within ±26h of UTC; the offsets in force around n are
	// the ones a day either side (zones do not change twice in two days).
	offs := []int{offsetAt(n.Add(-26*time.Hour), loc), offsetAt(n.Add(26*time.Hour), loc)}
	var out []time.Time
	for i, o := range offs {
		if i == 1 && o == offs[0] {
			break
		}
		u := n.Add(-time.Duration(o) * time.Second).In(loc)
		if civilOf(u) == c && u.Second() == 0 {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	if len(out) == 2 && out[0].Equal(out[1]) {
		out = out[:1]
	}
	return out
}

// wallStart returns the first instant at which the wall clock in loc reads
// c or later: the earlier of two occurrences in an overlap, and the moment
// clocks jump forward when c falls in a gap.
func wallStart(loc *time.Location, c civil) time.Time {
	if in := wallInstants(loc, c); len(in) > 0 {
		return in[0]
	}
	// In a gap: read c with the offset before the change; that instant lies
	// after the change, and the zone period it is in starts at the change.
	n := c.naive()
	before := offsetAt(n.Add(-26*time.Hour), loc)
	u := n.Add(-time.Duration(before) * time.Second).In(loc)
	start, _ := u.ZoneBounds()
	if start.IsZero() {
		return u
	}
	return start.In(loc)
}

// addDays returns the civil date d days after c's (time of day kept).
func (c civil) addDays(d int) civil {
	n := time.Date(c.y, c.mo, c.d+d, c.h, c.min, 0, 0, time.UTC)
	return civilOf(n)
}

// at returns c's date at hh:mm (hh may be 24 for the end of the day).
func (c civil) at(hh, mm int) civil {
	return civilOf(time.Date(c.y, c.mo, c.d, hh, mm, 0, 0, time.UTC))
}

// weekday of c's date.
func (c civil) weekday() time.Weekday { return c.naive().Weekday() }

// dayStart is the civil midnight of t's date in loc.
func dayOf(t time.Time, loc *time.Location) civil {
	y, mo, d := t.In(loc).Date()
	return civil{y: y, mo: mo, d: d}
}

// transitions returns the instants in [from, to) at which loc's offset
// changes.
func transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	t := from
	for i := 0; i < 8 && t.Before(to); i++ {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		out = append(out, end)
		t = end
	}
	return out
}
