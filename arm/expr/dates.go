package expr

import (
	"math"
	"strconv"
	"strings"
	"time"
)

func init() { coreGroups = append(coreGroups, dateFuncs) }

// DefaultUTCNowFormat is utcNow's format when none is given.
const DefaultUTCNowFormat = "yyyyMMddTHHmmssZ"

// dateFuncs work with ISO 8601 timestamps and durations. Formats are .NET
// standard or custom date and time format strings, in the invariant
// culture.
var dateFuncs = []*Func{
	{Name: "utcNow", MinArgs: 0, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		format := DefaultUTCNowFormat
		if len(args) == 1 {
			s, err := argString("utcNow", args, 0)
			if err != nil {
				return nil, err
			}
			format = s
		}
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		return FormatTime(now().UTC(), format)
	}},
	{Name: "dateTimeAdd", MinArgs: 2, MaxArgs: 3, Call: func(c *Context, args []any) (any, error) {
		base, err := argString("dateTimeAdd", args, 0)
		if err != nil {
			return nil, err
		}
		dur, err := argString("dateTimeAdd", args, 1)
		if err != nil {
			return nil, err
		}
		t, err := ParseTime(base)
		if err != nil {
			return nil, Errorf("dateTimeAdd", "%v", err)
		}
		d, err := ParseDuration(dur)
		if err != nil {
			return nil, Errorf("dateTimeAdd", "%v", err)
		}
		t = t.Add(d)
		if len(args) == 3 {
			f, err := argString("dateTimeAdd", args, 2)
			if err != nil {
				return nil, err
			}
			return FormatTime(t, f)
		}
		return isoTime(t), nil
	}},
	{Name: "dateTimeFromEpoch", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		n, err := argInt("dateTimeFromEpoch", args, 0)
		if err != nil {
			return nil, err
		}
		return isoTime(time.Unix(n, 0).UTC()), nil
	}},
	{Name: "dateTimeToEpoch", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("dateTimeToEpoch", args, 0)
		if err != nil {
			return nil, err
		}
		t, err := ParseTime(s)
		if err != nil {
			return nil, Errorf("dateTimeToEpoch", "%v", err)
		}
		return t.Unix(), nil
	}},
}

// isoTime renders t as ARM's date functions return it:
// 2023-02-16T00:00:00Z, with a fraction only when t has one.
func isoTime(t time.Time) string {
	s, _ := FormatTime(t.UTC(), "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ")
	return s
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
	"20060102T150405",
	"20060102",
	"01/02/2006 15:04:05",
	"01/02/2006",
	"1/2/2006 3:04:05 PM",
	"Mon, 02 Jan 2006 15:04:05 GMT",
}

// ParseTime parses an ISO 8601 timestamp (and the other forms ARM's own
// functions produce) and returns it in UTC. A timestamp without a zone is
// taken as UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Errorf("", "%q is not an ISO 8601 date and time", s)
}

// ParseDuration parses an ISO 8601 duration such as P1DT2H, PT30M or
// -P1Y. As in ARM, a year is 365 days and a month 30 days.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	bad := func() (time.Duration, error) {
		return 0, Errorf("", "%q is not an ISO 8601 duration", orig)
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return bad()
	}
	s = s[1:]
	var total float64 // seconds
	inTime := false
	any := false
	for len(s) > 0 {
		if s[0] == 'T' || s[0] == 't' {
			if inTime {
				return bad()
			}
			inTime = true
			s = s[1:]
			if s == "" {
				return bad()
			}
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if i == 0 || i == len(s) {
			return bad()
		}
		n, err := strconv.ParseFloat(strings.ReplaceAll(s[:i], ",", "."), 64)
		if err != nil {
			return bad()
		}
		var unit float64
		switch u := s[i] | 0x20; {
		case !inTime && u == 'y':
			unit = 365 * 86400
		case !inTime && u == 'm':
			unit = 30 * 86400
		case !inTime && u == 'w':
			unit = 7 * 86400
		case !inTime && u == 'd':
			unit = 86400
		case inTime && u == 'h':
			unit = 3600
		case inTime && u == 'm':
			unit = 60
		case inTime && u == 's':
			unit = 1
		default:
			return bad()
		}
		total += n * unit
		any = true
		s = s[i+1:]
	}
	if !any || math.Abs(total) > 1e10*86400 {
		return bad()
	}
	d := time.Duration(math.Round(total * 1e9))
	if neg {
		d = -d
	}
	return d, nil
}

var standardFormats = map[string]string{
	"d": "MM/dd/yyyy",
	"D": "dddd, dd MMMM yyyy",
	"f": "dddd, dd MMMM yyyy HH:mm",
	"F": "dddd, dd MMMM yyyy HH:mm:ss",
	"g": "MM/dd/yyyy HH:mm",
	"G": "MM/dd/yyyy HH:mm:ss",
	"m": "MMMM dd",
	"M": "MMMM dd",
	"o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	"O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	"r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
	"t": "HH:mm",
	"T": "HH:mm:ss",
	"u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
	"U": "dddd, dd MMMM yyyy HH:mm:ss",
	"y": "yyyy MMMM",
	"Y": "yyyy MMMM",
}

// FormatTime formats t with a .NET standard or custom date and time format
// string, in the invariant culture.
func FormatTime(t time.Time, format string) (string, error) {
	if format == "" {
		format = "G"
	}
	if len(format) == 1 {
		f, ok := standardFormats[format]
		if !ok {
			return "", Errorf("", "%q is not a valid date and time format", format)
		}
		format = f
	} else if len(format) == 2 && format[0] == '%' {
		format = format[1:]
	}
	var b strings.Builder
	for i := 0; i < len(format); {
		ch := format[i]
		n := 1
		for i+n < len(format) && format[i+n] == ch {
			n++
		}
		switch ch {
		case 'y':
			y := t.Year()
			switch {
			case n == 1:
				b.WriteString(strconv.Itoa(y % 100))
			case n == 2:
				b.WriteString(pad(y%100, 2))
			default:
				b.WriteString(pad(y, n))
			}
		case 'M':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(int(t.Month())))
			case 2:
				b.WriteString(pad(int(t.Month()), 2))
			case 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(t.Month().String())
			}
		case 'd':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Day()))
			case 2:
				b.WriteString(pad(t.Day(), 2))
			case 3:
				b.WriteString(t.Weekday().String()[:3])
			default:
				b.WriteString(t.Weekday().String())
			}
		case 'H':
			b.WriteString(pad(t.Hour(), min(n, 2)))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, min(n, 2)))
		case 'm':
			b.WriteString(pad(t.Minute(), min(n, 2)))
		case 's':
			b.WriteString(pad(t.Second(), min(n, 2)))
		case 'f', 'F':
			if n > 7 {
				return "", Errorf("", "%q is not a valid date and time format", format)
			}
			frac := pad(t.Nanosecond()/100, 7)[:n]
			if ch == 'F' {
				frac = strings.TrimRight(frac, "0")
				if frac == "" {
					// "ss.FFF" drops the dot too when there is no fraction.
					s := b.String()
					if strings.HasSuffix(s, ".") {
						b.Reset()
						b.WriteString(s[:len(s)-1])
					}
				}
			}
			b.WriteString(frac)
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			if n == 1 {
				ampm = ampm[:1]
			}
			b.WriteString(ampm)
		case 'K':
			_, off := t.Zone()
			if t.Location() == time.UTC {
				b.WriteString("Z")
			} else {
				b.WriteString(zone(off, 3))
			}
			n = 1
		case 'z':
			_, off := t.Zone()
			b.WriteString(zone(off, min(n, 3)))
		case 'g':
			b.WriteString("A.D.")
		case '\'', '"':
			end := strings.IndexByte(format[i+1:], ch)
			if end < 0 {
				return "", Errorf("", "the date and time format %q has an unclosed quote", format)
			}
			b.WriteString(format[i+1 : i+1+end])
			n = end + 2
		case '\\':
			if i+1 < len(format) {
				b.WriteByte(format[i+1])
			}
			n = 2
		case '%':
			n = 1
		default:
			b.WriteString(format[i : i+n])
		}
		i += n
	}
	return b.String(), nil
}

func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

func zone(off, n int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	switch n {
	case 1:
		return sign + strconv.Itoa(h)
	case 2:
		return sign + pad(h, 2)
	}
	return sign + pad(h, 2) + ":" + pad(m, 2)
}
