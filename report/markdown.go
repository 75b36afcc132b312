package report

import (
	"bufio"
	"cmp"
	"fmt"
	"html"
	"slices"
	"strings"
)

// GitHubCommentLimit is the longest pull-request comment GitHub accepts, in
// characters. The Markdown report stays within it by default.
const GitHubCommentLimit = 65536

// writeMarkdown writes a report for a pull-request comment: the summary,
// one table row per control, the top findings by severity, then a
// collapsed <details> per control with its findings and their remediation.
// When the whole would not fit in Options.MarkdownLimit bytes (GitHub's
// 65,536 characters by default), the per-control details are cut and a
// note says how many findings were left out.
func writeMarkdown(w *bufio.Writer, r *Report, o Options) error {
	limit := cmp.Or(o.MarkdownLimit, GitHubCommentLimit)
	views := buildView(r, o)
	sum := summaryCounts(r)
	var b strings.Builder

	title := "pgbaseline"
	if r.Benchmark.ID != "" {
		title += ": " + r.Benchmark.ID + " " + r.Benchmark.Version
	}
	if r.Benchmark.Baseline != "" {
		title += " - " + r.Benchmark.Baseline
	}
	b.WriteString("## " + mdEscape(title) + "\n\n")
	verdict := ":white_check_mark: **No failing rules.**"
	if sum.NonCompliant > 0 {
		verdict = fmt.Sprintf(":x: **%d NonCompliant** result(s) in %d control(s).", sum.NonCompliant, failingControls(views))
	}
	b.WriteString(verdict + "\n\n")
	b.WriteString("**" + CountFailures(r.Results).String() + "**\n\n")
	b.WriteString(fmt.Sprintf("%d results: %d Compliant, %d NonCompliant, %d NotApplicable, %d Exempt, %d Unknown, %d Error.\n",
		sum.Total, sum.Compliant, sum.NonCompliant, sum.NotApplicable, sum.Exempt, sum.Unknown, sum.Error))
	if lines := UnknownSummary(r.Results); len(lines) > 0 {
		b.WriteString("\n" + mdEscape(lines[0]) + ".\n")
		for _, l := range lines[1:] {
			b.WriteString("- " + mdEscape(strings.TrimSpace(l)) + "\n")
		}
	}
	if len(r.Errors) > 0 {
		b.WriteString(fmt.Sprintf("\n> [!WARNING]\n> %d input(s) could not be read:\n", len(r.Errors)))
		for _, e := range r.Errors {
			b.WriteString("> - " + mdEscape(errorLine(e)) + "\n")
		}
	}

	b.WriteString("\n### Controls\n\n| Control | Domain | Status | NonCompliant | Compliant | Other |\n|---|---|---|--:|--:|--:|\n")
	for _, v := range views {
		other := v.Counts[NotApplicable] + v.Counts[Exempt] + v.Counts[Unknown] + v.Counts[Error]
		b.WriteString(fmt.Sprintf("| %s %s | %s | %s %s | %d | %d | %d |\n",
			mdEscape(v.ID), mdEscape(v.Title), mdEscape(v.Domain), statusEmoji(v.Status), v.Status,
			v.Counts[NonCompliant], v.Counts[Compliant], other))
	}

	// Top findings: one row per failing rule, by severity, then by how
	// many resources fail it.
	if rules := topRules(r); len(rules) > 0 {
		top := cmp.Or(o.TopFindings, 10)
		b.WriteString("\n### Top findings\n\n| Severity | Rule | Resources | Example |\n|---|---|--:|---|\n")
		for _, g := range rules[:min(top, len(rules))] {
			res := &r.Results[g.items[0]]
			names := make([]string, 0, 3)
			for _, i := range g.items[:min(3, len(g.items))] {
				names = append(names, mdEscape(resourceLabel(&r.Results[i])))
			}
			who := strings.Join(names, ", ")
			if n := len(g.items) - len(names); n > 0 {
				who += fmt.Sprintf(" and %d more", n)
			}
			example := mdEscape(CleanMessage(res.Message))
			if l := locationLabel(res.Location); l != "" {
				example += " (" + mdEscape(l) + ")"
			}
			b.WriteString(fmt.Sprintf("| %s %s | %s %s | %d | %s: %s |\n", severityEmoji(res.Severity), res.Severity,
				mdEscape(res.RuleID), mdEscape(ruleTitle(res, o)), len(g.items), who, example))
		}
		if len(rules) > top {
			b.WriteString(fmt.Sprintf("\n…and %d more failing rule(s) below.\n", len(rules)-top))
		}
	}

	// Details per control with findings; cut to fit.
	head := b.String()
	const reserve = 400 // room for the truncation note
	if len(head) > limit-reserve {
		head = cutUTF8(head, limit-reserve)
	}
	if _, err := w.WriteString(head); err != nil {
		return err
	}
	used := len(head)
	omitted := 0
	cut := false
	for _, v := range views {
		var findings []int
		for _, i := range v.Results {
			if s := r.Results[i].Status; s == NonCompliant || s == Error || s == Unknown {
				findings = append(findings, i)
			}
		}
		if len(findings) == 0 {
			continue
		}
		if cut {
			omitted += len(findings)
			continue
		}
		open := fmt.Sprintf("\n<details><summary>%s %s %s: %d finding(s)</summary>\n\n",
			statusEmoji(v.Status), html.EscapeString(v.ID), html.EscapeString(v.Title), len(findings))
		const closing = "\n</details>\n"
		if used+len(open)+len(closing) > limit-reserve {
			cut = true
			omitted += len(findings)
			continue
		}
		w.WriteString(open)
		used += len(open) + len(closing)
		for k, i := range findings {
			f := markdownFinding(&r.Results[i], o)
			if used+len(f) > limit-reserve {
				cut = true
				omitted += len(findings) - k
				break
			}
			w.WriteString(f)
			used += len(f)
		}
		w.WriteString(closing)
	}
	if cut {
		w.WriteString(fmt.Sprintf("\n> [!NOTE]\n> Truncated to fit a GitHub comment (%d characters): %d finding(s) are not shown. "+
			"The full report is in the JSON, SARIF or HTML output (`--format html --output report.html`).\n", limit, omitted))
	}
	return nil
}

// ruleGroup is one rule's NonCompliant results.
type ruleGroup struct {
	rule  string
	items []int
}

// topRules groups the NonCompliant results by rule: highest severity
// first, then the rules failing on the most resources, then by rule ID.
// Each group's results are in the report's order of findings.
func topRules(r *Report) []ruleGroup {
	var failing []int
	for i := range r.Results {
		if r.Results[i].Status == NonCompliant {
			failing = append(failing, i)
		}
	}
	sortResults(r.Results, failing)
	var groups []ruleGroup
	byRule := map[string]int{}
	for _, i := range failing {
		id := r.Results[i].RuleID
		k, ok := byRule[id]
		if !ok {
			k = len(groups)
			byRule[id] = k
			groups = append(groups, ruleGroup{rule: id})
		}
		groups[k].items = append(groups[k].items, i)
	}
	slices.SortStableFunc(groups, func(a, b ruleGroup) int {
		x, y := &r.Results[a.items[0]], &r.Results[b.items[0]]
		if c := cmp.Compare(y.Severity.Rank(), x.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.items), len(a.items)); c != 0 {
			return c
		}
		return cmp.Compare(a.rule, b.rule)
	})
	return groups
}

// markdownFinding is one finding with its evidence and remediation.
func markdownFinding(res *Result, o Options) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("#### %s %s %s\n\n", severityEmoji(res.Severity), mdEscape(res.RuleID), mdEscape(ruleTitle(res, o))))
	b.WriteString(fmt.Sprintf("- **Resource:** %s", mdEscape(resourceLabel(res))))
	if res.ResourceType != "" {
		b.WriteString(" (" + mdEscape(res.ResourceType) + ")")
	}
	b.WriteString("\n- **Status:** " + string(res.Status) + ", severity " + string(res.Severity) + "\n")
	if l := locationLabel(res.Location); l != "" {
		b.WriteString("- **Location:** " + mdEscape(l) + "\n")
	}
	b.WriteString("- **Finding:** " + mdEscape(CleanMessage(res.Message)) + "\n")
	if rows := evidenceRows(res.Evidence); len(rows) > 0 {
		b.WriteString("- **Evidence:**")
		for _, kv := range rows {
			b.WriteString(" " + mdEscape(kv.Key) + " = " + mdEscape(kv.Value) + ";")
		}
		b.WriteString("\n")
	}
	if d := WhatDecides(res); d.Hint != "" {
		b.WriteString("- **To decide:** " + mdEscape(d.Hint) + "\n")
	}
	if m := remediationFor(res, o); m != nil {
		b.WriteString("\n**Remediation:** " + mdEscape(m.Summary) + "\n")
		for _, s := range remediationSnippets(m) {
			b.WriteString("\n" + s.Label + ":\n\n" + fence(s.Lang, s.Code) + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

func statusEmoji(s Status) string {
	switch s {
	case Compliant:
		return ":white_check_mark:"
	case NonCompliant:
		return ":x:"
	case Error:
		return ":boom:"
	case Unknown:
		return ":grey_question:"
	case Exempt:
		return ":no_entry_sign:"
	}
	return ":heavy_minus_sign:"
}

func severityEmoji(s Severity) string {
	switch s {
	case Critical:
		return ":red_circle:"
	case High:
		return ":orange_circle:"
	case Medium:
		return ":yellow_circle:"
	case Low:
		return ":large_blue_circle:"
	}
	return ":white_circle:"
}

// mdEscape makes untrusted text inert in Markdown, in table cells too:
// HTML is escaped, Markdown punctuation is backslash-escaped (so links,
// images, emphasis and @mentions do not render), and line breaks become
// spaces.
func mdEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, c := range s {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '!', '|', '@', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteRune('\uFFFD')
				continue
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

// fence wraps code in a fenced block whose fence is longer than any run of
// backticks inside it.
func fence(lang, code string) string {
	longest, run := 0, 0
	for _, c := range code {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + lang + "\n" + strings.TrimRight(code, "\n") + "\n" + f
}

// cutUTF8 shortens s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// evidenceValue renders one evidence value as short text.
func evidenceValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	}
	b, err := jsonMarshalNoEscape(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return b
}
