package report

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
)

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var htmlAssets embed.FS

var (
	htmlCSS = mustAsset("assets/report.css")
	htmlJS  = mustAsset("assets/report.js")
	// htmlCSP allows exactly the inline style sheet and script (by hash)
	// and data: images; nothing else loads, nothing is fetched.
	htmlCSP = "default-src 'none'; script-src '" + cspHash(htmlJS) + "'; style-src '" + cspHash(htmlCSS) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
	htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"errorLine": errorLine,
		"count":     func(c map[Status]int, s string) int { return c[Status(s)] },
		"other": func(c map[Status]int) int {
			return c[NotApplicable] + c[Exempt] + c[Unknown] + c[Error]
		},
	}).ParseFS(htmlAssets, "assets/report.html.tmpl"))
)

func mustAsset(name string) string {
	b, err := htmlAssets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cspHash is a CSP source expression for an inline element's content.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// statusColor is each status's colour in the charts (the CSS uses the same).
var statusColor = map[Status]string{
	Compliant: "#2e7d32", NonCompliant: "#c62828", NotApplicable: "#8d8d8d",
	Exempt: "#5e6ad2", Unknown: "#b7791f", Error: "#8e24aa",
}

// chartOrder is the order of statuses in the charts and legend.
var chartOrder = []Status{NonCompliant, Error, Unknown, Compliant, Exempt, NotApplicable}

type htmlPage struct {
	Title, CSP, Started, Duration string
	CSS                           template.CSS
	JS                            template.JS
	Report                        *Report
	Summary                       Summary
	Cards                         []htmlCard
	Donut                         []htmlArc
	Legend                        []Status
	Controls                      []*controlView
	FailingControls               int
	Domains                       []*htmlDomain
	Rules                         []htmlRule
	Unknown                       []string
	Data                          template.JS
	Failures                      Failures
	Severities                    []htmlCard
	Compliance                    string
}

type htmlCard struct {
	Status   Status
	Severity Severity
	Count    int
}

type htmlArc struct {
	Dash, Gap, Offset string
	Color, Label      string
}

type htmlBar struct {
	X, W         string
	Color, Label string
}

type htmlDomain struct {
	Name           string
	Controls       []*controlView
	Bars           []htmlBar
	Total, Failing int
	Status         Status
	Compliance     string
}

type htmlKV struct{ Key, Value string }

// htmlRule is a failing rule: how many resources fail it.
type htmlRule struct {
	Severity             Severity
	Rule, Title, Control string
	Count                int
}

// writeHTML writes one self-contained HTML page: compliance per domain and
// control with an inline SVG chart per domain, and a findings table that a
// small inline script sorts and filters. Everything from the report is
// escaped by html/template; a Content-Security-Policy meta tag allows only
// the page's own inline style and script, by hash, so the page makes no
// request and injected markup cannot run.
func writeHTML(w *bufio.Writer, r *Report, o Options) error {
	views := buildView(r, o)
	sum := summaryCounts(r)
	p := &htmlPage{
		CSS: template.CSS(htmlCSS), JS: template.JS(htmlJS), CSP: htmlCSP,
		Report: r, Summary: sum, Legend: chartOrder, Controls: views,
	}
	p.Title = "pgbaseline report"
	if r.Benchmark.Baseline != "" {
		p.Title = "pgbaseline: " + r.Benchmark.Baseline
	}
	if !r.StartedAt.IsZero() {
		p.Started = r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		if r.FinishedAt.After(r.StartedAt) {
			p.Duration = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
	}
	for _, s := range chartOrder {
		p.Cards = append(p.Cards, htmlCard{Status: s, Count: sum.count(s)})
	}
	// The overall donut: circumference 100 (r = 15.915).
	offset := 25.0
	for _, s := range chartOrder {
		n := sum.count(s)
		if n == 0 || sum.Total == 0 {
			continue
		}
		pct := 100 * float64(n) / float64(sum.Total)
		p.Donut = append(p.Donut, htmlArc{Dash: num(pct), Gap: num(100 - pct), Offset: num(offset), Color: statusColor[s],
			Label: fmt.Sprintf("%s: %d of %d", s, n, sum.Total)})
		offset -= pct
	}
	byDomain := map[string]*htmlDomain{}
	p.FailingControls = failingControls(views)
	p.Failures = CountFailures(r.Results)
	for _, s := range severityOrder {
		p.Severities = append(p.Severities, htmlCard{Severity: s, Count: p.Failures.BySeverity[s]})
	}
	p.Compliance = CompliancePercent(sum.Counts())
	for _, v := range views {
		d := byDomain[v.Domain]
		if d == nil {
			d = &htmlDomain{Name: v.Domain}
			byDomain[v.Domain] = d
			p.Domains = append(p.Domains, d)
		}
		d.Controls = append(d.Controls, v)
		if v.Status == NonCompliant {
			d.Failing++
		}
	}
	for _, d := range p.Domains {
		counts := NewCounts()
		for _, v := range d.Controls {
			for s, n := range v.Counts {
				counts[s] += n
			}
		}
		d.Total = countTotal(counts)
		d.Status = Rollup(counts)
		d.Compliance = CompliancePercent(counts)
		x := 0.0
		for _, s := range chartOrder {
			if counts[s] == 0 {
				continue
			}
			wdt := 420 * float64(counts[s]) / float64(d.Total)
			d.Bars = append(d.Bars, htmlBar{X: num(x), W: num(wdt), Color: statusColor[s],
				Label: fmt.Sprintf("%s: %d of %d", s, counts[s], d.Total)})
			x += wdt
		}
	}
	p.Rules = failingRules(r, views, o)
	p.Unknown = UnknownSummary(r.Results)
	data, err := htmlDataJSON(buildHTMLData(r, views, o))
	if err != nil {
		return err
	}
	p.Data = template.JS(data)
	return htmlTemplate.Execute(w, p)
}

// failingRules lists each failing rule once, with the number of resources
// failing it, most severe first.
func failingRules(r *Report, views []*controlView, o Options) []htmlRule {
	var out []htmlRule
	at := map[[2]string]int{}
	for _, v := range views {
		for _, i := range v.Results {
			res := &r.Results[i]
			if res.Status != NonCompliant {
				continue
			}
			k := [2]string{res.RuleID, v.ID}
			n, ok := at[k]
			if !ok {
				n = len(out)
				at[k] = n
				out = append(out, htmlRule{Severity: res.Severity, Rule: res.RuleID, Title: ruleTitle(res, o), Control: v.ID})
			}
			out[n].Count++
		}
	}
	slices.SortStableFunc(out, func(a, b htmlRule) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
	return out
}

// num formats a chart coordinate.
func num(x float64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", x), "0"), ".")
	if s == "" || s == "-0" {
		return "0"
	}
	return s
}
