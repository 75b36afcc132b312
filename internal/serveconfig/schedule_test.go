package serveconfig

import (
	"strings"
	"testing"
	"time"
)

func mustTime(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleSlotAndNext(t *testing.T) {
	tests := []struct {
		schedule   string
		at         string // a time, to the minute (UTC)
		slot, next string
	}{
		{"@every 1h", "2026-05-01 12:37", "2026-05-01 12:00", "2026-05-01 13:00"},
		{"@every 1h", "2026-05-01 12:00", "2026-05-01 12:00", "2026-05-01 13:00"},
		{"@every 6h", "2026-05-01 05:59", "2026-05-01 00:00", "2026-05-01 06:00"},
		{"@every 1m", "2026-05-01 05:59", "2026-05-01 05:59", "2026-05-01 06:00"},
		{"@every 90m", "2026-05-01 01:31", "2026-05-01 01:30", "2026-05-01 03:00"},
		{"0 * * * *", "2026-05-01 12:37", "2026-05-01 12:00", "2026-05-01 13:00"},
		{"@hourly", "2026-05-01 12:00", "2026-05-01 12:00", "2026-05-01 13:00"},
		{"*/15 * * * *", "2026-05-01 12:44", "2026-05-01 12:30", "2026-05-01 12:45"},
		{"5/20 * * * *", "2026-05-01 12:44", "2026-05-01 12:25", "2026-05-01 12:45"},
		{"30 2 * * *", "2026-05-01 01:00", "2026-04-30 02:30", "2026-05-01 02:30"},
		{"@daily", "2026-05-01 01:00", "2026-05-01 00:00", "2026-05-02 00:00"},
		{"0 9-17/4 * * mon-fri", "2026-05-02 10:00", "2026-05-01 17:00", "2026-05-04 09:00"}, // May 2 2026 is a Saturday
		{"0 0 * * 7", "2026-05-06 10:00", "2026-05-03 00:00", "2026-05-10 00:00"},            // 7 is Sunday
		{"0 0 * * SUN", "2026-05-06 10:00", "2026-05-03 00:00", "2026-05-10 00:00"},
		{"0 0 1 * *", "2026-05-15 10:00", "2026-05-01 00:00", "2026-06-01 00:00"},
		{"0 0 31 * *", "2026-05-01 10:00", "2026-03-31 00:00", "2026-05-31 00:00"},
		{"0 0 1 jan,jul *", "2026-05-15 10:00", "2026-01-01 00:00", "2026-07-01 00:00"},
		{"0 0 13 * 5", "2026-05-04 10:00", "2026-05-01 00:00", "2026-05-08 00:00"}, // the 13th OR a Friday
		{"0 0 29 2 *", "2026-05-01 00:00", "2024-02-29 00:00", "2028-02-29 00:00"},
		{"@yearly", "2026-05-01 00:00", "2026-01-01 00:00", "2027-01-01 00:00"},
	}
	for _, tc := range tests {
		s, err := ParseSchedule(tc.schedule)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", tc.schedule, err)
			continue
		}
		at := mustTime(tc.at).Add(17 * time.Second)
		if got := s.Slot(at); !got.Equal(mustTime(tc.slot)) {
			t.Errorf("%q slot at %s = %s, want %s", tc.schedule, tc.at, got.Format("2006-01-02 15:04 Mon"), tc.slot)
		}
		if got := s.Next(at); !got.Equal(mustTime(tc.next)) {
			t.Errorf("%q next after %s = %s, want %s", tc.schedule, tc.at, got.Format("2006-01-02 15:04 Mon"), tc.next)
		}
		if s.String() != tc.schedule {
			t.Errorf("String() = %q, want %q", s.String(), tc.schedule)
		}
	}
}

// TestScheduleWalk: stepping Next from a slot visits exactly the slots, so
// Slot(Next(t)) == Next(t) and nothing between two slots matches.
func TestScheduleWalk(t *testing.T) {
	for _, expr := range []string{"*/7 1-3 * * *", "0 0 13 * fri", "15 10 * 2-3 *", "@every 45m"} {
		s, err := ParseSchedule(expr)
		if err != nil {
			t.Fatal(err)
		}
		at := mustTime("2026-01-30 23:00")
		for i := 0; i < 200; i++ {
			next := s.Next(at)
			if !next.After(at) || !s.Slot(next).Equal(next) {
				t.Fatalf("%q: Next(%s) = %s, whose slot is %s", expr, at, next, s.Slot(next))
			}
			if mid := next.Add(-time.Minute); mid.After(at) && !s.Slot(mid).Equal(s.Slot(at)) {
				t.Fatalf("%q: a slot between %s and %s: %s", expr, at, next, s.Slot(mid))
			}
			at = next
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@every", "takes a duration"},
		{"@every soon", "takes a duration"},
		{"@every 10s", "at least 1m0s"},
		{"@often", "unknown"},
		{"* * * *", "5 fields"},
		{"60 * * * *", `minute: "60" is not a value from 0 to 59`},
		{"* 24 * * *", "hour"},
		{"* * 0 * *", "day of month"},
		{"* * * 13 *", "month"},
		{"* * * * 8", "day of week"},
		{"* * * foo *", "month"},
		{"*/0 * * * *", "not a step"},
		{"5-1 * * * *", "runs backwards"},
		{"", "5 fields"},
	}
	for _, tc := range tests {
		_, err := ParseSchedule(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSchedule(%q) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
	// A cron that never fires gives zero times rather than looping.
	s, err := ParseSchedule("0 0 30 2 *")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Slot(mustTime("2026-05-01 00:00")).IsZero() || !s.Next(mustTime("2026-05-01 00:00")).IsZero() {
		t.Error("February 30th fired")
	}
}
