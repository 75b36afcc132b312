package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// controlView is one control with the indexes of its results, in the order
// the human-facing writers show them.
type controlView struct {
	ID, Title, Domain string
	Status            Status
	Counts            map[Status]int
	Results           []int
}

// failing reports how many results need attention (NonCompliant or Error).
func (c *controlView) failing() int { return c.Counts[NonCompliant] + c.Counts[Error] }

// domainByPrefix names the MCSB domain of a control ID's prefix, for
// controls the report's controls list does not describe.
var domainByPrefix = map[string]string{
	"NS": "Network security", "IM": "Identity management", "PA": "Privileged access",
	"DP": "Data protection", "AM": "Asset management", "LT": "Logging and threat detection",
	"IR": "Incident response", "PV": "Posture and vulnerability management",
	"ES": "Endpoint security", "BR": "Backup and recovery", "DS": "DevOps security",
	"GS": "Governance and strategy",
}

// buildView groups the results by control: the report's controls in their
// order, then controls that only results name, by ID. Counts come from the
// results; a listed control without results keeps the counts it lists.
func buildView(r *Report, o Options) []*controlView {
	var views []*controlView
	byID := map[string]*controlView{}
	for _, c := range r.Controls {
		v := &controlView{ID: c.ID, Title: c.Title, Domain: c.Domain, Status: c.Status, Counts: NewCounts()}
		for s, n := range c.Counts {
			v.Counts[s] = n
		}
		views = append(views, v)
		byID[c.ID] = v
	}
	var extra []*controlView
	fromResults := map[string]bool{}
	for i := range r.Results {
		res := &r.Results[i]
		v := byID[res.ControlID]
		if v == nil {
			v = &controlView{ID: res.ControlID, Counts: NewCounts()}
			if info, ok := o.Rules[res.RuleID]; ok {
				v.Title = info.ControlTitle
			}
			byID[res.ControlID] = v
			extra = append(extra, v)
		}
		if !fromResults[res.ControlID] {
			fromResults[res.ControlID] = true
			v.Counts = NewCounts()
		}
		v.Counts[res.Status]++
		v.Results = append(v.Results, i)
	}
	slices.SortFunc(extra, func(a, b *controlView) int { return cmp.Compare(a.ID, b.ID) })
	views = append(views, extra...)
	domainRank := map[string]int{}
	for i, d := range domainOrder {
		domainRank[d] = i
	}
	for _, v := range views {
		if v.Domain == "" {
			prefix, _, _ := strings.Cut(v.ID, "-")
			v.Domain = domainByPrefix[prefix]
			if v.Domain == "" {
				v.Domain = "Other"
			}
		}
		if _, ok := domainRank[v.Domain]; !ok {
			domainRank[v.Domain] = len(domainOrder) + len(domainRank)
		}
		if v.ID == "" {
			v.ID = "(none)"
		}
		if fromResults[v.ID] || v.Status == "" {
			v.Status = Rollup(v.Counts)
		}
		sortResults(r.Results, v.Results)
	}
	// Group the controls by domain, in the benchmark's domain order.
	slices.SortStableFunc(views, func(a, b *controlView) int {
		return cmp.Compare(domainRank[a.Domain], domainRank[b.Domain])
	})
	return views
}

// domainOrder is the MCSB's order of its security domains.
var domainOrder = []string{
	"Network security", "Identity management", "Privileged access", "Data protection", "Asset management",
	"Logging and threat detection", "Incident response", "Posture and vulnerability management",
	"Endpoint security", "Backup and recovery", "DevOps security", "Governance and strategy",
}

// Rollup is a control's (or any group's) status from its results' counts,
// the one rule every format, the API and the dashboard use: NonCompliant
// when any result is, else Error, else Unknown, else Compliant, else
// Exempt; NotApplicable when nothing applies. A control is Compliant only
// when no result in it is undecided, as Defender for Cloud fails a
// control on any failing assessment.
func Rollup(c map[Status]int) Status {
	for _, s := range []Status{NonCompliant, Error, Unknown, Compliant, Exempt} {
		if c[s] > 0 {
			return s
		}
	}
	return NotApplicable
}

// statusRank orders statuses by how much they need attention.
func statusRank(s Status) int {
	switch s {
	case NonCompliant:
		return 6
	case Error:
		return 5
	case Unknown:
		return 4
	case Compliant:
		return 3
	case Exempt:
		return 2
	case NotApplicable:
		return 1
	}
	return 0
}

// sortResults orders result indexes: failures first, then by severity,
// rule and resource.
func sortResults(all []Result, idx []int) {
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := &all[a], &all[b]
		if c := cmp.Compare(statusRank(y.Status), statusRank(x.Status)); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Severity.Rank(), x.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(x.RuleID, y.RuleID); c != 0 {
			return c
		}
		return cmp.Compare(resourceLabel(x), resourceLabel(y))
	})
}

// remediationFor is the result's own remediation, else its rule's.
func remediationFor(res *Result, o Options) *Remediation {
	if res.Remediation != nil && !res.Remediation.empty() {
		return res.Remediation
	}
	if info, ok := o.Rules[res.RuleID]; ok && info.Remediation != nil && !info.Remediation.empty() {
		return info.Remediation
	}
	return nil
}

func (m *Remediation) empty() bool {
	return m.Summary == "" && m.AzureCLI == "" && m.Terraform == "" && m.Bicep == "" && m.SQL == ""
}

// remediationSnippet is one way to fix a finding, in one language.
type remediationSnippet struct {
	Label, Lang, Code string
}

// snippets lists the remediation's code in a fixed order.
func (m *Remediation) snippets() []remediationSnippet {
	if m == nil {
		return nil
	}
	var out []remediationSnippet
	for _, s := range []remediationSnippet{
		{"Azure CLI", "bash", m.AzureCLI}, {"Terraform", "hcl", m.Terraform},
		{"Bicep", "bicep", m.Bicep}, {"SQL", "sql", m.SQL},
	} {
		if strings.TrimSpace(s.Code) != "" {
			out = append(out, s)
		}
	}
	return out
}

// resourceLabel is how a result's resource is named to a reader.
func resourceLabel(res *Result) string {
	if res.ResourceName != "" {
		return res.ResourceName
	}
	return res.ResourceID
}

// locationLabel is file:line, file:start-end or "".
func locationLabel(l *Location) string {
	if l == nil || l.File == "" {
		return ""
	}
	switch {
	case l.StartLine > 0 && l.EndLine > l.StartLine:
		return l.File + ":" + strconv.Itoa(l.StartLine) + "-" + strconv.Itoa(l.EndLine)
	case l.StartLine > 0:
		return l.File + ":" + strconv.Itoa(l.StartLine)
	}
	return l.File
}

// ruleTitle is the result's title, else its rule's.
func ruleTitle(res *Result, o Options) string {
	if res.Title != "" {
		return res.Title
	}
	return o.Rules[res.RuleID].Title
}

// severityOrder lists the severities, highest first.
var severityOrder = []Severity{Critical, High, Medium, Low}

// summaryCounts counts the results by status (the report's summary may be
// missing in hand-made reports).
func summaryCounts(r *Report) Summary {
	if r.Summary.Total > 0 || len(r.Results) == 0 {
		return r.Summary
	}
	var s Summary
	for i := range r.Results {
		s.Add(r.Results[i].Status)
	}
	return s
}

// count returns one status's count from a Summary.
func (s Summary) count(st Status) int {
	switch st {
	case Compliant:
		return s.Compliant
	case NonCompliant:
		return s.NonCompliant
	case NotApplicable:
		return s.NotApplicable
	case Exempt:
		return s.Exempt
	case Unknown:
		return s.Unknown
	case Error:
		return s.Error
	}
	return 0
}

// errorLine is an input error as one line: where, then what, without
// repeating a location the message already starts with.
func errorLine(e ErrorEntry) string {
	where := e.File
	if where != "" && e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if where == "" {
		where = e.Target
	}
	if where == "" || strings.HasPrefix(e.Message, where) {
		return e.Message
	}
	return where + ": " + e.Message
}
