package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// controlView is one control with the indexes of its results, in the order
// the human-facing writers show them.
type controlView struct {
	ID, Title, Domain string
	Status            Status
	Counts            map[Status]int
	Results           []int
}

// failingControls counts the controls whose rollup is NonCompliant.
func failingControls(views []*controlView) int {
	n := 0
	for _, v := range views {
		if v.Status == NonCompliant {
			n++
		}
	}
	return n
}

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
		// The status is always Rollup's, even when the report lists
		// another (a report written by an older rollup); a listed control
		// without any counts keeps its listed status.
		if fromResults[v.ID] || v.Status == "" || countTotal(v.Counts) > 0 {
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

// RollupControls sets the status of every control that has counts from
// Rollup, so that a report written before the rollup changed (a stored
// report in serve's history) shows what every format shows now.
func RollupControls(cs []ControlSummary) {
	for i := range cs {
		if countTotal(cs[i].Counts) > 0 {
			cs[i].Status = Rollup(cs[i].Counts)
		}
	}
}

// countTotal adds up a count map.
func countTotal(c map[Status]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Compliance is the share of decided results that pass, in percent:
// Compliant out of Compliant and NonCompliant. Unknown, Error, Exempt and
// NotApplicable results decide nothing and are left out. ok is false when
// nothing was decided; the share must then be shown as "—", not as 100%.
func Compliance(c map[Status]int) (pct float64, ok bool) {
	den := c[Compliant] + c[NonCompliant]
	if den == 0 {
		return 0, false
	}
	return 100 * float64(c[Compliant]) / float64(den), true
}

// CompliancePercent is Compliance as a reader sees it: "75%", or "—" when
// nothing was decided. A share that is not exactly 100% is never rounded
// up to it.
func CompliancePercent(c map[Status]int) string {
	p, ok := Compliance(c)
	if !ok {
		return "—"
	}
	switch {
	case p < 100 && p > 99:
		return "99%"
	case p > 0 && p < 1:
		return "1%"
	}
	return strconv.Itoa(int(p+0.5)) + "%"
}

// Counts returns the summary as a count map.
func (s Summary) Counts() map[Status]int {
	return map[Status]int{Compliant: s.Compliant, NonCompliant: s.NonCompliant, NotApplicable: s.NotApplicable,
		Exempt: s.Exempt, Unknown: s.Unknown, Error: s.Error}
}

// Failures counts NonCompliant results by severity.
type Failures struct {
	Total      int
	BySeverity map[Severity]int
}

// CountFailures counts the NonCompliant results by severity.
func CountFailures(results []Result) Failures {
	f := Failures{BySeverity: map[Severity]int{}}
	for i := range results {
		if results[i].Status == NonCompliant {
			f.Add(results[i].Severity)
		}
	}
	return f
}

// Add counts one NonCompliant result of severity s.
func (f *Failures) Add(s Severity) {
	if f.BySeverity == nil {
		f.BySeverity = map[Severity]int{}
	}
	f.Total++
	f.BySeverity[s]++
}

// Unrated is how many failures have no known severity.
func (f Failures) Unrated() int {
	n := f.Total
	for _, s := range severityOrder {
		n -= f.BySeverity[s]
	}
	return n
}

// String is "Failures: N (CRITICAL a, HIGH b, MEDIUM c, LOW d)", as Trivy
// counts its findings, with "UNRATED e" when some have no severity.
func (f Failures) String() string {
	parts := make([]string, 0, 5)
	for _, s := range severityOrder {
		parts = append(parts, strings.ToUpper(string(s))+" "+strconv.Itoa(f.BySeverity[s]))
	}
	if n := f.Unrated(); n > 0 {
		parts = append(parts, "UNRATED "+strconv.Itoa(n))
	}
	return "Failures: " + strconv.Itoa(f.Total) + " (" + strings.Join(parts, ", ") + ")"
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

// remediationFor is the result's own remediation, else its rule's, with
// its placeholders filled from the result's resource ID (RemediationForResource).
func remediationFor(res *Result, o Options) *Remediation {
	return RemediationForResource(ruleRemediation(res, o), res.ResourceID)
}

// ruleRemediation is the result's own remediation, else its rule's, as
// written (placeholders unfilled).
func ruleRemediation(res *Result, o Options) *Remediation {
	if !res.Remediation.Empty() {
		return res.Remediation
	}
	if info, ok := o.Rules[res.RuleID]; ok && !info.Remediation.Empty() {
		return info.Remediation
	}
	return nil
}

// RemediationForResource returns m with the placeholders of its snippets
// filled from an ARM resource ID, so a command can be run as it is:
// $SUBSCRIPTION_ID (and $SUBSCRIPTION), $RG, $SERVER (the flexible server
// the resource is or belongs to) and $RULE (a firewall rule's name). A
// placeholder stays when the ID does not say its value, or when the value
// holds a character a shell would read (only letters, digits, '.', '_' and
// '-' are filled in). The summary is left as written. m itself is returned
// when nothing is filled; nil stays nil.
func RemediationForResource(m *Remediation, id string) *Remediation {
	if m == nil {
		return nil
	}
	return m.Fill(armPlaceholders(id))
}

// armPlaceholders reads the placeholder values an ARM ID gives; nil for
// anything else (a Terraform address, a host name).
func armPlaceholders(id string) map[string]string {
	t := strings.TrimLeft(id, "/")
	if len(t) < len("subscriptions/") || !strings.EqualFold(t[:len("subscriptions/")], "subscriptions/") {
		return nil
	}
	p, _ := arm.ParseID(id)
	vals := map[string]string{}
	set := func(k, v string) {
		if v != "" && shellSafe(v) {
			vals[k] = v
		}
	}
	set("SUBSCRIPTION_ID", p.Subscription)
	set("SUBSCRIPTION", p.Subscription)
	set("RG", p.ResourceGroup)
	// The server is the resource itself, or the one it (or the resource
	// it extends) belongs to.
	for q, depth := p, 0; depth < 8; depth++ {
		if strings.EqualFold(q.Namespace, "Microsoft.DBforPostgreSQL") && len(q.Types) > 0 && strings.EqualFold(q.Types[0], "flexibleServers") {
			set("SERVER", q.Names[0])
			if len(q.Types) > 1 && strings.EqualFold(q.Types[1], "firewallRules") && vals["SERVER"] != "" {
				set("RULE", q.Names[1])
			}
			break
		}
		if q.Scope == "" {
			break
		}
		q, _ = arm.ParseID(q.Scope)
	}
	return vals
}

// shellSafe reports whether s can stand in a shell command unquoted.
func shellSafe(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// remediationSnippet is one way to fix a finding, in one language.
type remediationSnippet struct {
	Label, Lang, Code string
}

// remediationSnippets lists m's code in a fixed order.
func remediationSnippets(m *Remediation) []remediationSnippet {
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

// CleanMessage is a result's message as a reader should see it: a clause
// about a field whose name is empty (` is "Both"`) is left out, and a
// clause that repeats an earlier one (`publicNetworkAccess is "Enabled";
// publicNetworkAccess is "Enabled"`) is said once. Clauses are the parts
// separated by "; " outside quotes; the text after the last clause's first
// ". " (the policy's reason) is kept as it is. Other messages are returned
// unchanged.
func CleanMessage(msg string) string {
	clauses := splitOutsideQuotes(msg, "; ")
	last := clauses[len(clauses)-1]
	tail := ""
	if i := indexOutsideQuotes(last, ". "); i >= 0 {
		clauses[len(clauses)-1], tail = last[:i], last[i:]
	} else if strings.HasSuffix(last, ".") {
		clauses[len(clauses)-1], tail = last[:len(last)-1], "."
	}
	seen := map[string]bool{}
	kept := clauses[:0]
	for _, c := range clauses {
		if emptyField(c) || seen[c] {
			continue
		}
		seen[c] = true
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return strings.TrimSpace(strings.TrimPrefix(tail, "."))
	}
	return strings.Join(kept, "; ") + tail
}

// emptyField reports whether a clause states a fact about a field with no
// name: it starts with " is " or "is ".
func emptyField(clause string) bool {
	return strings.HasPrefix(clause, " is ") || strings.HasPrefix(clause, "is ") || strings.TrimSpace(clause) == "is"
}

// splitOutsideQuotes splits s at sep where sep is not inside a
// double-quoted string.
func splitOutsideQuotes(s, sep string) []string {
	var out []string
	for {
		i := indexOutsideQuotes(s, sep)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+len(sep):]
	}
}

// indexOutsideQuotes is strings.Index of sep in s, skipping double-quoted
// strings (with backslash escapes).
func indexOutsideQuotes(s, sep string) int {
	in := false
	for i := 0; i < len(s); i++ {
		switch {
		case in && s[i] == '\\':
			i++
		case s[i] == '"':
			in = !in
		case !in && strings.HasPrefix(s[i:], sep):
			return i
		}
	}
	return -1
}

// evidenceRows are a result's evidence as (field, value) rows, by field
// name; a value recorded without a field name is left out, as a row
// without a name tells a reader nothing.
func evidenceRows(ev map[string]any) []htmlKV {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		if strings.TrimSpace(k) != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	rows := make([]htmlKV, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, htmlKV{Key: k, Value: evidenceValue(ev[k])})
	}
	return rows
}

// NamedEvidence is the evidence without values recorded under an empty
// field name, or nil when nothing is left.
func NamedEvidence(ev map[string]any) map[string]any {
	out := make(map[string]any, len(ev))
	for k, v := range ev {
		if strings.TrimSpace(k) != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
