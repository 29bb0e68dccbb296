package gates

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronSpec is a parsed five-field cron expression evaluated on the wall
// clock of a zone: an occurrence is an instant at which the zone's clock
// reads a matching minute (second 0). A matching time inside a
// spring-forward gap never occurs; one inside a fall-back overlap occurs
// twice. This is how GitLab (through fugit) evaluates freeze periods.
type cronSpec struct {
	expr string
	spec *cron.SpecSchedule
	loc  *time.Location
}

// starBit marks a field written as "*" (robfig/cron's convention): with
// day-of-month or day-of-week unrestricted both must match, otherwise
// either.
const starBit = 1 << 63

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron reads a standard five-field expression (names allowed, 7 for
// Sunday) or @yearly, @monthly, @weekly, @daily, @hourly.
func parseCron(expr string, loc *time.Location) (*cronSpec, error) {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		return nil, fmt.Errorf("cron %q: give the zone as timezone, not inside the expression", expr)
	}
	if strings.HasPrefix(e, "@every") {
		return nil, fmt.Errorf("cron %q: @every is not a calendar time", expr)
	}
	fields := strings.Fields(e)
	if len(fields) == 5 {
		fields[4] = sunday7(fields[4])
		e = strings.Join(fields, " ")
	}
	s, err := cronParser.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %v", expr, err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("cron %q: not a calendar schedule", expr)
	}
	return &cronSpec{expr: expr, spec: spec, loc: loc}, nil
}

// sunday7 rewrites 7 (Sunday, as fugit and Vixie cron accept it) to 0.
func sunday7(f string) string {
	items := strings.Split(f, ",")
	for i, it := range items {
		switch {
		case it == "7":
			items[i] = "0"
		case strings.HasSuffix(it, "-7") && !strings.Contains(it, "/"):
			items[i] = strings.TrimSuffix(it, "-7") + "-6,0"
		}
	}
	return strings.Join(items, ",")
}

func (c *cronSpec) dayMatches(d civil) bool {
	s := c.spec
	if s.Month&(1<<uint(d.mo)) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(d.d)) != 0
	dow := s.Dow&(1<<uint(d.weekday())) != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// matches reports whether t is an occurrence.
func (c *cronSpec) matches(t time.Time) bool {
	lt := t.In(c.loc)
	if lt.Second() != 0 || lt.Nanosecond() != 0 {
		return false
	}
	cv := civilOf(lt)
	return c.dayMatches(cv) && c.spec.Hour&(1<<uint(cv.h)) != 0 && c.spec.Minute&(1<<uint(cv.min)) != 0
}

// occurrences returns the occurrences on one civil date, in order.
func (c *cronSpec) occurrences(d civil) []time.Time {
	if !c.dayMatches(d) {
		return nil
	}
	var out []time.Time
	for h := 0; h < 24; h++ {
		if c.spec.Hour&(1<<uint(h)) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if c.spec.Minute&(1<<uint(m)) == 0 {
				continue
			}
			out = append(out, wallInstants(c.loc, civil{d.y, d.mo, d.d, h, m})...)
		}
	}
	// In a fall-back overlap the second 02:00 comes after the first 02:30.
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// cronHorizon bounds searches: an expression that matches nothing in five
// years (0 0 30 2 *) has no occurrence.
const cronHorizon = 5*366 + 1

// next returns the first occurrence strictly after t.
func (c *cronSpec) next(t time.Time) (time.Time, bool) {
	d := dayOf(t, c.loc).addDays(-1)
	for i := 0; i < cronHorizon; i++ {
		for _, u := range c.occurrences(d.addDays(i)) {
			if u.After(t) {
				return u, true
			}
		}
	}
	return time.Time{}, false
}

// prev returns the last occurrence strictly before t.
func (c *cronSpec) prev(t time.Time) (time.Time, bool) {
	d := dayOf(t, c.loc).addDays(1)
	for i := 0; i < cronHorizon; i++ {
		occ := c.occurrences(d.addDays(-i))
		for j := len(occ) - 1; j >= 0; j-- {
			if occ[j].Before(t) {
				return occ[j], true
			}
		}
	}
	return time.Time{}, false
}

// lastAtOrBefore returns the last occurrence at or before t.
func (c *cronSpec) lastAtOrBefore(t time.Time) (time.Time, bool) {
	return c.prev(t.Add(time.Nanosecond))
}
