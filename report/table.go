package report

import (
	"bufio"
	"fmt"
	"strconv"
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
		// A title too long for its column goes on under itself.
		room := max(titleRoom, 12)
		title := wrapWords(termSafe(v.Title), room, room)
		if len(title) == 0 {
			title = []string{""}
		}
		t.line([2]string{code, mark + " "}, [2]string{ansiBold, pad(v.ID, idw) + "  "}, [2]string{"", pad(title[0], room) + "  "},
			[2]string{code, pad(string(v.Status), 14)}, [2]string{ansiDim, controlCounts(v.Counts)})
		for _, l := range title[1:] {
			t.w.WriteString(strings.Repeat(" ", 2+idw+2) + l + "\n")
		}
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
	for i, l := range UnknownSummary(r.Results) {
		if i == 0 {
			t.wrapped("", ansiYellow, l)
		} else {
			t.wrapped("    ", ansiDim, strings.TrimSpace(l))
		}
	}
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
		t.hanging([][2]string{{"", "    "}, {scode, pad(sev, 8) + " "}, {ansiBold, res.RuleID + "  "}, {ansiDim, count + "  "}},
			"", title, indent)
		// The fix: the summary once; the command filled in for each
		// resource whose ID gives its placeholders, and as written once
		// for the others.
		var generic string
		filled := make([]string, len(g.items))
		if d := WhatDecides(res); d.Kind == DecidePermission {
			t.wrapped(indent, ansiCyan, "To decide: "+d.Hint)
		}
		if m := ruleRemediation(res, o); m != nil && res.Status == NonCompliant {
			if m.Summary != "" {
				t.wrapped(indent, ansiCyan, "Fix: "+m.Summary)
			}
			for k, it := range g.items {
				if m.AzureCLI == "" {
					break
				}
				if c := RemediationForResource(m, it.ResourceID).AzureCLI; c != m.AzureCLI {
					filled[k] = c
				} else {
					generic = m.AzureCLI
				}
			}
			if generic != "" {
				t.command(indent+"  ", generic)
			}
		}
		fold := len(g.items)
		if !o.Full {
			// A fleet's failing rule lists its first resources and counts
			// the rest, so that the table stays readable.
			limit := o.FoldAfter
			if limit <= 0 {
				limit = 10
			}
			if fold > limit+1 {
				fold = limit
			}
		}
		for k, it := range g.items[:fold] {
			t.resourceLine(indent, resourceLabel(it), locationLabel(it.Location))
			t.wrapped(indent+"  ", "", CleanMessage(it.Message))
			if filled[k] != "" {
				t.command(indent+"  ", filled[k])
			}
		}
		if rest := len(g.items) - fold; rest > 0 {
			t.wrapped(indent, ansiDim, fmt.Sprintf("… and %s more resources; --full to list them", Thousands(rest)))
		}
	}
}

// hanging writes segments, then text wrapped at word boundaries: as much
// as fits on the segments' line, the rest on lines indented by indent.
func (t *tableWriter) hanging(segs [][2]string, code, text, indent string) {
	used := 0
	var b strings.Builder
	for _, s := range segs {
		txt := termSafe(s[1])
		used += utf8.RuneCountInString(txt)
		b.WriteString(t.paint(s[0], txt))
	}
	lines := wrapWords(termSafe(text), max(t.width-used, 12), max(t.width-utf8.RuneCountInString(indent), 20))
	if len(lines) == 0 {
		t.w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
		return
	}
	t.w.WriteString(b.String() + t.paint(code, lines[0]) + "\n")
	for _, l := range lines[1:] {
		t.w.WriteString(indent + t.paint(code, l) + "\n")
	}
}

// wrapWords wraps text at spaces: the first line to first columns, the
// others to rest. A word longer than a line is split.
func wrapWords(text string, first, rest int) []string {
	var out []string
	var cur []rune
	room := first
	flush := func() {
		out = append(out, string(cur))
		cur = nil
		room = rest
	}
	for _, word := range strings.Fields(text) {
		wr := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(wr) > room {
			flush()
		}
		for len(cur) == 0 && len(wr) > room {
			cur = wr[:room]
			wr = wr[room:]
			flush()
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, wr...)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// resourceLine writes a resource and its file:line on one line when they
// fit, else the file:line on the next line. Neither is ever cut: a file
// path wider than the table runs past its edge, so it can be copied.
func (t *tableWriter) resourceLine(indent, resource, loc string) {
	resource, loc = termSafe(resource), termSafe(loc)
	n := utf8.RuneCountInString(indent) + utf8.RuneCountInString(resource)
	if loc != "" && n+2+utf8.RuneCountInString(loc) <= t.width {
		t.w.WriteString(indent + t.paint(ansiBold, resource) + "  " + t.paint(ansiDim, loc) + "\n")
		return
	}
	if n <= t.width {
		t.w.WriteString(indent + t.paint(ansiBold, resource) + "\n")
	} else {
		t.wrapped(indent, ansiBold, resource)
	}
	if loc != "" {
		t.w.WriteString(indent + "  " + t.paint(ansiDim, loc) + "\n")
	}
}

// command writes a shell command so that it can be copied and run: each
// line that is too wide is broken at spaces outside quotes with a
// backslash continuation, comments are wrapped as comments, and nothing
// is cut (a word wider than the table runs past its edge).
func (t *tableWriter) command(indent, cmd string) {
	room := max(t.width-utf8.RuneCountInString(indent), 20)
	for _, l := range strings.Split(strings.TrimRight(termSafeKeepNL(cmd), "\n"), "\n") {
		if utf8.RuneCountInString(l) <= room {
			t.w.WriteString(indent + t.paint(ansiDim, l) + "\n")
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
		body := strings.TrimLeft(l, " ")
		if strings.HasPrefix(body, "#") {
			for _, w := range wrapWords(strings.TrimSpace(strings.TrimPrefix(body, "#")), room-len(lead)-2, room-len(lead)-2) {
				t.w.WriteString(indent + t.paint(ansiDim, lead+"# "+w) + "\n")
			}
			continue
		}
		cont := strings.HasSuffix(body, " \\")
		if cont {
			body = strings.TrimSuffix(body, " \\")
		}
		words := flagPairs(shellWords(body))
		var lines []string
		cur := lead
		for _, w := range words {
			// 2 columns are kept for " \\" on every line but the last.
			if strings.TrimSpace(cur) != "" && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w)+2 > room {
				lines = append(lines, cur)
				cur = lead + "    " + w
				continue
			}
			if strings.TrimSpace(cur) != "" {
				cur += " "
			}
			cur += w
		}
		lines = append(lines, cur)
		for i, x := range lines {
			if i < len(lines)-1 || cont {
				x += " \\"
			}
			t.w.WriteString(indent + t.paint(ansiDim, x) + "\n")
		}
	}
}

// flagPairs joins each option to its value ("--name x"), so a line break
// falls between options rather than inside one.
func flagPairs(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") && i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
			w += " " + words[i+1]
			i++
		}
		out = append(out, w)
	}
	return out
}

// shellWords splits a command line at runs of spaces outside single and
// double quotes (a backslash-newline inside quotes would change the
// string); the words keep their quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' && i+1 < len(s) {
				cur.WriteByte(c)
				i++
				c = s[i]
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ' ':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
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

// Thousands writes n with a comma between groups of three digits
// ("84,000"), as the table and scan's summary line count.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
