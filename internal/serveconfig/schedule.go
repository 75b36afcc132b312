package serveconfig

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule says when a target is scanned. Times are in UTC.
type Schedule interface {
	// Slot returns the latest time at or before t when the schedule fires.
	// Every replica computes the same slots, which is what lets them agree
	// on one scan per slot.
	Slot(t time.Time) time.Time
	// Next returns the first time strictly after t when the schedule fires.
	Next(t time.Time) time.Time
	// String returns the schedule as written.
	String() string
}

// MinInterval is the shortest "@every" interval a schedule may have.
const MinInterval = time.Minute

// ParseSchedule parses "@every DURATION" (Go duration syntax, at least
// MinInterval, slots aligned on multiples of the interval since the Unix
// epoch), a 5-field cron expression (minute hour day-of-month month
// day-of-week, in UTC, with *, lists, ranges, steps, and month and day names),
// or one of @hourly, @daily (@midnight), @weekly, @monthly and @yearly
// (@annually).
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("schedule %q: @every takes a duration such as 30m or 6h", s)
		}
		if d < MinInterval {
			return nil, fmt.Errorf("schedule %q: the interval must be at least %s", s, MinInterval)
		}
		return every{d: d, text: s}, nil
	}
	macros := map[string]string{
		"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
		"@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
	}
	expr := s
	if strings.HasPrefix(s, "@") {
		m, ok := macros[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("schedule %q: unknown; use @every DURATION, a 5-field cron expression, or @hourly, @daily, @weekly, @monthly, @yearly", s)
		}
		expr = m
	}
	c, err := parseCron(expr)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v", s, err)
	}
	c.text = s
	return c, nil
}

// every fires at every multiple of d since the Unix epoch.
type every struct {
	d    time.Duration
	text string
}

func (e every) Slot(t time.Time) time.Time {
	ns := t.UnixNano()
	r := ns % int64(e.d)
	if r < 0 {
		r += int64(e.d)
	}
	return time.Unix(0, ns-r).UTC()
}

func (e every) Next(t time.Time) time.Time { return e.Slot(t).Add(e.d) }
func (e every) String() string             { return e.text }

// cron is a parsed 5-field expression; each field is a bit set.
type cron struct {
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
	text                          string
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

func parseCron(expr string) (*cron, error) {
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, fmt.Errorf("a cron expression has 5 fields (minute hour day-of-month month day-of-week), not %d", len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := parseCronField(p, cronFields[i])
		if err != nil {
			return nil, err
		}
		sets[i] = set
	}
	// Sunday is 0 or 7.
	if sets[4]&(1<<7) != 0 {
		sets[4] |= 1
		sets[4] &^= 1 << 7
	}
	return &cron{minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4],
		domStar: strings.HasPrefix(parts[2], "*"), dowStar: strings.HasPrefix(parts[4], "*")}, nil
}

func parseCronField(s string, f cronField) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("%s: %q is not a step (a positive number)", f.name, stepText)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
			if f.name == "day of week" {
				hi = 6
			}
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(a, f); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = cronValue(b, f); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("%s: range %q runs backwards", f.name, rng)
				}
			} else if hasStep {
				hi = f.max
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func cronValue(s string, f cronField) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s: %q is not a value from %d to %d", f.name, s, f.min, f.max)
	}
	return v, nil
}

func (c *cron) String() string { return c.text }

func has(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }

// dayMatches applies cron's rule: when both day fields are restricted, a
// day matches either.
func (c *cron) dayMatches(t time.Time) bool {
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}

// searchLimit bounds the search for a matching time; an expression that
// never matches (February 30th) gives the zero time.
const searchLimit = 5 * 366 * 24 * time.Hour

func (c *cron) Slot(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute)
	limit := t.Add(-searchLimit)
	for t.After(limit) {
		switch {
		case !has(c.month, int(t.Month())):
			// the last minute of the previous month
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-time.Minute)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Add(-time.Minute)
		case !has(c.hour, t.Hour()):
			t = t.Truncate(time.Hour).Add(-time.Minute)
		case !has(c.minute, t.Minute()):
			t = t.Add(-time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (c *cron) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.Add(searchLimit)
	for t.Before(limit) {
		switch {
		case !has(c.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
		case !has(c.hour, t.Hour()):
			t = t.Truncate(time.Hour).Add(time.Hour)
		case !has(c.minute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}
