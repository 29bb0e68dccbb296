package gates

import (
	"testing"
	"time"
)

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

// local builds an unambiguous wall time in Berlin.
func local(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, berlin)
}

func window(t *testing.T, days []string, from, to string) Window {
	t.Helper()
	ws, err := compileWindows([]WindowConfig{{Days: days, From: from, To: to}}, []string{"gates", "windows"})
	if err != nil {
		t.Fatal(err)
	}
	return ws[0]
}

func checkAllowed(t *testing.T, s schedule, cases map[time.Time]bool) {
	t.Helper()
	for at, want := range cases {
		if got := s.allowed(at); got != want {
			t.Errorf("%s allowed(%s) = %v; want %v", s.gate(), at.In(berlin).Format(time.RFC3339), got, want)
		}
	}
}

func wantTime(t *testing.T, what string, got time.Time, ok bool, want time.Time) {
	t.Helper()
	if !ok {
		t.Errorf("%s: none; want %s", what, want.In(berlin).Format(time.RFC3339))
		return
	}
	if !got.Equal(want) {
		t.Errorf("%s = %s; want %s", what, got.In(berlin).Format(time.RFC3339), want.In(berlin).Format(time.RFC3339))
	}
}

func TestWindowAcrossMidnight(t *testing.T) {
	s := &windowSchedule{loc: berlin, windows: []Window{window(t, []string{"fri"}, "22:00", "02:00")}}
	checkAllowed(t, s, map[time.Time]bool{
		local(2026, 11, 27, 21, 59): false, // Friday
		local(2026, 11, 27, 22, 0):  true,
		local(2026, 11, 27, 23, 30): true,
		local(2026, 11, 28, 1, 59):  true, // Saturday morning, from Friday's window
		local(2026, 11, 28, 2, 0):   false,
		local(2026, 11, 28, 22, 30): false, // Saturday evening: not a window day
		local(2026, 11, 27, 1, 0):   false, // Friday morning: Thursday has no window
	})
	got, ok := s.nextBlocked(local(2026, 11, 27, 23, 0))
	wantTime(t, "close", got, ok, local(2026, 11, 28, 2, 0))
	got, ok = s.nextAllowed(local(2026, 11, 28, 3, 0))
	wantTime(t, "next open", got, ok, local(2026, 12, 4, 22, 0))
}

func TestWindowSpringForward(t *testing.T) {
	// Berlin, Sunday 2026-03-29: at 02:00 CET the clocks jump to 03:00 CEST.
	// The wall-clock hour 02:00-03:00 does not exist that day.
	s := &windowSchedule{loc: berlin, windows: []Window{window(t, []string{"sun"}, "02:00", "03:00")}}
	checkAllowed(t, s, map[time.Time]bool{
		utc(2026, 3, 29, 0, 59): false, // 01:59 CET
		utc(2026, 3, 29, 1, 0):  false, // 03:00 CEST, the first instant after the gap
		utc(2026, 3, 22, 1, 30): true,  // a week earlier, 02:30 CET
		utc(2026, 4, 5, 0, 30):  true,  // a week later, 02:30 CEST
	})
	got, ok := s.nextAllowed(utc(2026, 3, 28, 12, 0))
	wantTime(t, "next open", got, ok, utc(2026, 4, 5, 0, 0)) // 02:00 CEST the next Sunday

	// A window whose end falls in the gap closes when the clocks jump.
	s = &windowSchedule{loc: berlin, windows: []Window{window(t, []string{"sun"}, "01:00", "02:30")}}
	checkAllowed(t, s, map[time.Time]bool{utc(2026, 3, 29, 0, 59): true, utc(2026, 3, 29, 1, 0): false})
	got, ok = s.nextBlocked(utc(2026, 3, 29, 0, 30))
	wantTime(t, "close", got, ok, utc(2026, 3, 29, 1, 0))

	// A window starting in the gap opens when the clocks jump.
	s = &windowSchedule{loc: berlin, windows: []Window{window(t, []string{"sun"}, "02:30", "04:00")}}
	got, ok = s.nextAllowed(utc(2026, 3, 28, 23, 0))
	wantTime(t, "open", got, ok, utc(2026, 3, 29, 1, 0)) // 03:00 CEST
}

func TestWindowFallBack(t *testing.T) {
	// Berlin, Sunday 2026-10-25: at 03:00 CEST the clocks go back to 02:00
	// CET. The wall-clock hour 02:00-03:00 happens twice: the window is open
	// for two hours.
	s := &windowSchedule{loc: berlin, windows: []Window{window(t, []string{"sun"}, "02:00", "03:00")}}
	checkAllowed(t, s, map[time.Time]bool{
		utc(2026, 10, 24, 23, 59): false, // 01:59 CEST
		utc(2026, 10, 25, 0, 0):   true,  // 02:00 CEST
		utc(2026, 10, 25, 0, 59):  true,  // 02:59 CEST
		utc(2026, 10, 25, 1, 0):   true,  // 02:00 CET, the second time round
		utc(2026, 10, 25, 1, 59):  true,  // 02:59 CET
		utc(2026, 10, 25, 2, 0):   false, // 03:00 CET
	})
	got, ok := s.nextBlocked(utc(2026, 10, 25, 0, 10))
	wantTime(t, "close", got, ok, utc(2026, 10, 25, 2, 0))
	got, ok = s.nextAllowed(utc(2026, 10, 24, 12, 0))
	wantTime(t, "open", got, ok, utc(2026, 10, 25, 0, 0))

	// A window ending inside the repeated hour closes twice and reopens in
	// between: 02:30 CEST - 03:00 CEST (= 02:00 CET), then 02:30 CET - 03:00 CET.
	s = &windowSchedule{loc: berlin, windows: []Window{window(t, []string{"sun"}, "02:30", "03:00")}}
	got, ok = s.nextBlocked(utc(2026, 10, 25, 0, 40))
	wantTime(t, "first close", got, ok, utc(2026, 10, 25, 1, 0))
	got, ok = s.nextAllowed(utc(2026, 10, 25, 1, 0))
	wantTime(t, "reopen", got, ok, utc(2026, 10, 25, 1, 30))
}

func TestWindowsSeveral(t *testing.T) {
	s := &windowSchedule{loc: berlin, windows: []Window{
		window(t, []string{"mon-thu"}, "09:00", "12:00"),
		window(t, []string{"mon-thu"}, "13:00", "16:00"),
		window(t, []string{"sat"}, "10:00", "24:00"),
	}}
	checkAllowed(t, s, map[time.Time]bool{
		local(2026, 11, 30, 12, 30): false, // Monday lunch
		local(2026, 11, 30, 13, 0):  true,
		local(2026, 12, 5, 23, 59):  true, // Saturday until midnight
		local(2026, 12, 6, 0, 0):    false,
	})
	got, ok := s.nextAllowed(local(2026, 11, 30, 12, 1))
	wantTime(t, "after lunch", got, ok, local(2026, 11, 30, 13, 0))
	got, ok = s.nextAllowed(local(2026, 12, 3, 17, 0)) // Thursday evening
	wantTime(t, "weekend", got, ok, local(2026, 12, 5, 10, 0))
}

func freezes(t *testing.T, fc ...FreezeConfig) *freezeSchedule {
	t.Helper()
	fs, err := compileFreezes(fc, berlin, []string{"gates", "freezes"})
	if err != nil {
		t.Fatal(err)
	}
	return &freezeSchedule{freezes: fs}
}

func TestFixedFreezesOverlap(t *testing.T) {
	s := freezes(t,
		FreezeConfig{Name: "year-end", From: "2026-12-20", To: "2027-01-04"},
		FreezeConfig{Name: "launch", From: "2027-01-03T18:00", To: "2027-01-06T09:00"},
	)
	checkAllowed(t, s, map[time.Time]bool{
		local(2026, 12, 19, 23, 59): true,
		local(2026, 12, 20, 0, 0):   false,
		local(2027, 1, 4, 23, 59):   false, // the "to" date is inclusive
		local(2027, 1, 5, 12, 0):    false, // launch freeze
		local(2027, 1, 6, 9, 0):     true,
	})
	if act := s.active(local(2027, 1, 3, 20, 0)); len(act) != 2 {
		t.Errorf("active on 2027-01-03 20:00 = %v; want both freezes", act)
	}
	got, ok := s.nextAllowed(local(2026, 12, 21, 10, 0))
	wantTime(t, "thaw", got, ok, local(2027, 1, 6, 9, 0))
	got, ok = s.nextBlocked(local(2026, 12, 1, 10, 0))
	wantTime(t, "next freeze", got, ok, local(2026, 12, 20, 0, 0))
}

func TestCronFreeze(t *testing.T) {
	s := freezes(t, FreezeConfig{Name: "weekend", Cron: "0 18 * * fri", Duration: "63h"})
	checkAllowed(t, s, map[time.Time]bool{
		local(2026, 11, 27, 17, 59): true,
		local(2026, 11, 27, 18, 0):  false,
		local(2026, 11, 29, 12, 0):  false, // Sunday
		local(2026, 11, 30, 8, 59):  false,
		local(2026, 11, 30, 9, 0):   true,
		// Across the fall-back weekend the duration runs on the wall clock:
		// Friday 18:00 CEST to Monday 09:00 CET (64 real hours).
		local(2026, 10, 26, 8, 59): false,
		local(2026, 10, 26, 9, 0):  true,
	})
	got, ok := s.nextAllowed(local(2026, 11, 28, 10, 0))
	wantTime(t, "thaw", got, ok, local(2026, 11, 30, 9, 0))
	got, ok = s.nextBlocked(local(2026, 11, 30, 10, 0))
	wantTime(t, "next", got, ok, local(2026, 12, 4, 18, 0))

	// A freeze across midnight.
	s = freezes(t, FreezeConfig{Name: "nightly", Cron: "0 23 * * *", Duration: "2h"})
	got, ok = s.nextAllowed(local(2026, 11, 27, 23, 30))
	wantTime(t, "nightly thaw", got, ok, local(2026, 11, 28, 1, 0))
}

func TestNextOpenAfterFreeze(t *testing.T) {
	scheds := []schedule{
		&windowSchedule{loc: berlin, windows: []Window{window(t, []string{"mon", "tue", "wed", "thu"}, "09:00", "16:00")}},
		freezes(t, FreezeConfig{Name: "year-end", From: "2026-12-20", To: "2027-01-04"}),
	}
	cases := []struct {
		name     string
		from     time.Time
		need     time.Duration
		want     time.Time
		wantNone bool
	}{
		{name: "friday evening to monday", from: local(2026, 11, 27, 18, 30), want: local(2026, 11, 30, 9, 0)},
		{name: "inside a window", from: local(2026, 12, 1, 10, 0), want: local(2026, 12, 1, 10, 0)},
		// Windows on Mon 21 Dec .. Mon 4 Jan are frozen; the first window
		// after the freeze is Tuesday 5 Jan.
		{name: "next window is after the freeze ends", from: local(2026, 12, 17, 17, 0), want: local(2027, 1, 5, 9, 0)},
		{name: "window too short for the rollout", from: local(2026, 12, 1, 15, 30), need: 45 * time.Minute, want: local(2026, 12, 2, 9, 0)},
		{name: "rollout fits", from: local(2026, 12, 1, 15, 0), need: 45 * time.Minute, want: local(2026, 12, 1, 15, 0)},
		{name: "rollout longer than any window", from: local(2026, 12, 1, 10, 0), need: 8 * time.Hour, wantNone: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := nextOpen(scheds, c.from, c.need)
			if c.wantNone {
				if ok {
					t.Fatalf("nextOpen = %s; want none", got.In(berlin))
				}
				return
			}
			wantTime(t, "nextOpen", got, ok, c.want)
		})
	}
}

func TestCronEvaluation(t *testing.T) {
	c, err := parseCron("30 2 * * sun", berlin)
	if err != nil {
		t.Fatal(err)
	}
	// 02:30 does not exist on 2026-03-29: the next occurrence after the
	// Saturday is a week later.
	got, ok := c.next(utc(2026, 3, 28, 12, 0))
	wantTime(t, "next over the gap", got, ok, utc(2026, 4, 5, 0, 30))
	// On 2026-10-25 it occurs twice.
	got, ok = c.next(utc(2026, 10, 24, 12, 0))
	wantTime(t, "first 02:30", got, ok, utc(2026, 10, 25, 0, 30))
	got, ok = c.next(got)
	wantTime(t, "second 02:30", got, ok, utc(2026, 10, 25, 1, 30))
	got, ok = c.prev(utc(2026, 10, 25, 1, 30))
	wantTime(t, "prev is strict", got, ok, utc(2026, 10, 25, 0, 30))

	// Day of month and day of week both restricted: either matches.
	c, _ = parseCron("0 0 13 * fri", time.UTC)
	got, ok = c.next(utc(2026, 11, 1, 0, 0))
	wantTime(t, "13th or friday", got, ok, utc(2026, 11, 6, 0, 0))
	// 7 is Sunday too.
	c, err = parseCron("0 12 * * 5-7", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	got, ok = c.next(utc(2026, 11, 28, 13, 0)) // Saturday afternoon
	wantTime(t, "sunday as 7", got, ok, utc(2026, 11, 29, 12, 0))
	if _, ok := mustCron(t, "0 0 30 2 *").next(utc(2026, 1, 1, 0, 0)); ok {
		t.Error("30 February has an occurrence")
	}
	for _, bad := range []string{"0 0 * *", "@every 1h", "CRON_TZ=UTC 0 0 * * *", "61 * * * *"} {
		if _, err := parseCron(bad, time.UTC); err == nil {
			t.Errorf("parseCron(%q) accepted", bad)
		}
	}
}

func mustCron(t *testing.T, expr string) *cronSpec {
	t.Helper()
	c, err := parseCron(expr, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWallStartInGap(t *testing.T) {
	got := wallStart(berlin, civil{2026, 3, 29, 2, 30})
	if want := utc(2026, 3, 29, 1, 0); !got.Equal(want) {
		t.Errorf("wallStart(02:30 on the spring-forward day) = %s; want %s", got.UTC(), want)
	}
	got = wallStart(berlin, civil{2026, 10, 25, 2, 30})
	if want := utc(2026, 10, 25, 0, 30); !got.Equal(want) {
		t.Errorf("wallStart(02:30 on the fall-back day) = %s; want the first one, %s", got.UTC(), want)
	}
	if n := len(wallInstants(berlin, civil{2026, 10, 25, 2, 30})); n != 2 {
		t.Errorf("wallInstants(02:30 on the fall-back day) has %d instants; want 2", n)
	}
}
