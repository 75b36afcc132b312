package report

import (
	"bufio"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ANSI colours of the table.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiMagent = "\x1b[35m"
	ansiCyan   = "\x1b[36m"
)

// tableWriter holds the table's settings while it writes.
type tableWriter struct {
	w     *bufio.Writer
	color bool
	width int
}

func (t *tableWriter) paint(code, s string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

// line writes one line of segments (colour, text), cut to the width with
// an ellipsis. Text is made safe for a terminal first.
func (t *tableWriter) line(segs ...[2]string) {
	room := t.width
	var b strings.Builder
	for _, s := range segs {
		txt := termSafe(s[1])
		n := utf8.RuneCountInString(txt)
		if n > room {
			if room <= 1 {
				txt = ""
			} else {
				txt = string([]rune(txt)[:room-1]) + "…"
			}
			n = room
		}
		room -= n
		b.WriteString(t.paint(s[0], txt))
		if room <= 0 {
			break
		}
	}
	t.w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
}

// wrapped writes text wrapped at word boundaries to the width, each line
// indented.
func (t *tableWriter) wrapped(indent, code, text string) {
	room := t.width - utf8.RuneCountInString(indent)
	if room < 20 {
		room = 20
	}
	for _, para := range strings.Split(termSafeKeepNL(text), "\n") {
		var cur []rune
		for _, word := range strings.Fields(para) {
			wr := []rune(word)
			for len(wr) > room { // a word longer than a line is split
				if len(cur) > 0 {
					t.w.WriteString(indent + t.paint(code, string(cur)) + "\n")
					cur = nil
				}
				t.w.WriteString(indent + t.paint(code, string(wr[:room])) + "\n")
				wr = wr[room:]
			}
			if len(cur) > 0 && len(cur)+1+len(wr) > room {
				t.w.WriteString(indent + t.paint(code, string(cur)) + "\n")
				cur = nil
			}
			if len(cur) > 0 {
				cur = append(cur, ' ')
			}
			cur = append(cur, wr...)
		}
		if len(cur) > 0 {
			t.w.WriteString(indent + t.paint(code, string(cur)) + "\n")
		}
	}
}

// writeTable writes the results grouped by control, as Defender for
// Cloud's regulatory compliance view shows them: a line per control with
// its status and counts, then its failing results (NonCompliant and Error)
// indented, with severity, rule, resource, message, file:line and the
// fix; a summary line ends it.
func writeTable(w *bufio.Writer, r *Report, o Options) error {
	t := &tableWriter{w: w, color: o.Color, width: o.Width}
	if t.width <= 0 {
		t.width = 100
	}
	if t.width < 40 {
		t.width = 40
	}
	views := buildView(r, o)
	head := "pgbaseline"
	if r.Benchmark.ID != "" {
		head += " · " + r.Benchmark.ID + " " + r.Benchmark.Version
	}
	if r.Benchmark.Baseline != "" {
		head += " · " + r.Benchmark.Baseline
	}
	t.line([2]string{ansiBold, head})
	domain := ""
	idw, cw := 5, 0
	for _, v := range views {
		idw = max(idw, utf8.RuneCountInString(v.ID))
		cw = max(cw, utf8.RuneCountInString(controlCounts(v.Counts)))
	}
	// mark, ID, title, status, counts; the title takes what is left.
	titleRoom := t.width - 2 - (idw + 2) - 2 - 14 - cw
	for _, v := range views {
		if v.Domain != domain {
			domain = v.Domain
			t.w.WriteString("\n")
			t.line([2]string{ansiBold, strings.ToUpper(domain)})
		}
		mark, code := statusMark(v.Status)
		title := v.Title
		room := max(titleRoom, 12)
		if n := utf8.RuneCountInString(title); n > room {
			title = string([]rune(title)[:room-1]) + "…"
		}
		t.line([2]string{code, mark + " "}, [2]string{ansiBold, pad(v.ID, idw) + "  "}, [2]string{"", pad(title, room) + "  "},
			[2]string{code, pad(string(v.Status), 14)}, [2]string{ansiDim, controlCounts(v.Counts)})
		t.failures(r, v.Results, o)
	}
	sum := summaryCounts(r)
	t.w.WriteString("\n")
	parts := []string{fmt.Sprintf("%d results", sum.Total)}
	for _, s := range Statuses {
		if n := sum.count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	parts = append(parts, fmt.Sprintf("%d of %d controls failing", failingControls(views), len(views)))
	code := ansiGreen
	if sum.NonCompliant > 0 {
		code = ansiRed
	}
	t.wrapped("", code, CountFailures(r.Results).String())
	t.wrapped("", code, "Summary: "+strings.Join(parts, " · "))
	for _, e := range r.Errors {
		t.wrapped("", ansiMagent, "Error: "+errorLine(e))
	}
	return nil
}

// failures writes a control's failing results (NonCompliant and Error)
// grouped by rule: the rule's severity, id, title and count once, with its
// fix, then each resource with its file:line and message.
func (t *tableWriter) failures(r *Report, idx []int, o Options) {
	type group struct {
		first *Result
		items []*Result
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, i := range idx {
		res := &r.Results[i]
		if res.Status != NonCompliant && res.Status != Error {
			continue
		}
		key := res.RuleID + "\x00" + string(res.Status)
		g := byKey[key]
		if g == nil {
			g = &group{first: res}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, res)
	}
	const indent = "             "
	for _, g := range groups {
		res := g.first
		sev := strings.ToUpper(string(res.Severity))
		scode := severityColor(res.Severity)
		if res.Status == Error {
			sev, scode = "ERROR", ansiMagent
		}
		title := res.Title
		if info, ok := o.Rules[res.RuleID]; ok && info.Title != "" {
			title = info.Title
		}
		count := "1 resource"
		if n := len(g.items); n != 1 {
			count = fmt.Sprintf("%d resources", n)
		}
		t.line([2]string{"", "    "}, [2]string{scode, pad(sev, 8) + " "}, [2]string{ansiBold, res.RuleID + "  "},
			[2]string{ansiDim, count + "  "}, [2]string{"", title})
		if m := remediationFor(res, o); m != nil && res.Status == NonCompliant {
			if m.Summary != "" {
				t.wrapped(indent, ansiCyan, "Fix: "+m.Summary)
			}
			if m.AzureCLI != "" {
				for _, l := range strings.Split(strings.TrimRight(m.AzureCLI, "\n"), "\n") {
					t.line([2]string{"", indent + "  "}, [2]string{ansiDim, l})
				}
			}
		}
		for _, it := range g.items {
			segs := [][2]string{{"", indent}, {ansiBold, resourceLabel(it)}}
			if loc := locationLabel(it.Location); loc != "" {
				segs = append(segs, [2]string{ansiDim, "  " + loc})
			}
			t.line(segs...)
			t.wrapped(indent+"  ", "", CleanMessage(it.Message))
		}
	}
}

func controlCounts(c map[Status]int) string {
	var parts []string
	for _, x := range []struct {
		s    Status
		word string
	}{{NonCompliant, "failed"}, {Compliant, "passed"}, {Error, "error"}, {Unknown, "unknown"}, {Exempt, "exempt"}, {NotApplicable, "n/a"}} {
		if n := c[x.s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, x.word))
		}
	}
	if len(parts) == 0 {
		return "no results"
	}
	return strings.Join(parts, ", ")
}

func statusMark(s Status) (string, string) {
	switch s {
	case Compliant:
		return "✓", ansiGreen
	case NonCompliant:
		return "✗", ansiRed
	case Error:
		return "!", ansiMagent
	case Unknown:
		return "?", ansiYellow
	case Exempt:
		return "-", ansiDim
	}
	return "·", ansiDim
}

func severityColor(s Severity) string {
	switch s {
	case Critical:
		return ansiBold + ansiRed
	case High:
		return ansiRed
	case Medium:
		return ansiYellow
	case Low:
		return ansiBlue
	}
	return ""
}

// pad pads s with spaces to n characters.
func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// termSafe replaces control characters (an escape sequence in a resource
// name could rewrite the terminal) and line breaks with U+FFFD or a space.
func termSafe(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c == '\n' || c == '\r' || c == '\t':
			return ' '
		case unicode.IsControl(c) || c == utf8.RuneError:
			return '\uFFFD'
		}
		return c
	}, s)
}

// termSafeKeepNL is termSafe that keeps line breaks.
func termSafeKeepNL(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c == '\n':
			return c
		case c == '\r' || c == '\t':
			return ' '
		case unicode.IsControl(c):
			return '\uFFFD'
		}
		return c
	}, s)
}
