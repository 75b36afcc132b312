package serve

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// pageStoreError answers a store failure on a dashboard page.
func (s *Server) pageStoreError(w http.ResponseWriter, r *http.Request, err error, what string) {
	if errors.Is(err, store.ErrNotFound) {
		s.pageError(w, r, http.StatusNotFound, "No such "+what+".")
		return
	}
	if r.Context().Err() != nil {
		return
	}
	s.log.Error("store error", "path", r.URL.Path, "err", err)
	s.pageError(w, r, http.StatusInternalServerError, "The store failed to answer.")
}

// controlRow is a control on the overview. Compliance is
// report.CompliancePercent: "—" when nothing was decided.
type controlRow struct {
	ControlStatus
	Segs       []segment
	Compliance string
}

type domainRow struct {
	DomainStatus
	Segs       []segment
	Compliance string
}

type overviewData struct {
	Scans      []store.Scan
	Summary    report.Summary
	Failures   report.Failures
	Severities []severityCount
	Donut      []arc
	Domains    []domainRow
	Controls   []controlRow
	Overall    string
	BarWidth   float64
	Glance     glance
	SevChart   lineChart
}

// severityCount is how many NonCompliant results have one severity.
type severityCount struct {
	Severity report.Severity
	Count    int
}

func (s *Server) pageOverview(w http.ResponseWriter, r *http.Request) {
	p, err := s.posture.get(r.Context())
	if err != nil {
		s.pageStoreError(w, r, err, "posture")
		return
	}
	d := overviewData{Scans: p.Scans, Summary: p.Summary, Failures: p.Failures, Donut: donut(p.Summary), BarWidth: barWidth,
		Overall: report.CompliancePercent(p.Summary.Counts()), Glance: p.Glance, SevChart: severityChart(p.Glance.Trend)}
	for _, sev := range []report.Severity{report.Critical, report.High, report.Medium, report.Low} {
		d.Severities = append(d.Severities, severityCount{Severity: sev, Count: p.Failures.BySeverity[sev]})
	}
	for _, dm := range p.Domains {
		d.Domains = append(d.Domains, domainRow{DomainStatus: dm, Segs: stack(dm.Counts), Compliance: report.CompliancePercent(dm.Counts)})
	}
	for _, c := range p.Controls {
		d.Controls = append(d.Controls, controlRow{ControlStatus: c, Segs: stack(c.Counts), Compliance: report.CompliancePercent(c.Counts)})
	}
	s.renderView(w, r, http.StatusOK, "overview", "Compliance now", d)
}

type trendData struct {
	Target  string
	Days    int
	Targets []string
	Chart   lineChart
	Points  []store.TrendPoint
}

func (s *Server) pageTrend(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UTC()
	target, since, err := trendQuery(r.URL.Query(), now)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	pts, err := s.store.Trend(r.Context(), target, since)
	if err != nil {
		s.pageStoreError(w, r, err, "trend")
		return
	}
	d := trendData{Target: target, Days: int(now.Sub(since).Hours() / 24), Targets: s.targetNames(r), Points: pts,
		Chart: trendChart(pts, since, now)}
	s.renderView(w, r, http.StatusOK, "trend", "Trend", d)
}

// targetNames lists the configured targets, or the targets of the scans
// in the store when there is no scheduler.
func (s *Server) targetNames(r *http.Request) []string {
	if sch := s.scheduler(); sch != nil {
		t := append([]string(nil), sch.Targets()...)
		sort.Strings(t)
		return t
	}
	p, err := s.posture.get(r.Context())
	if err != nil {
		return nil
	}
	var out []string
	for _, sc := range p.Scans {
		out = append(out, sc.Target)
	}
	return out
}

type scansData struct {
	Scans   []store.Scan
	Targets []string
	Target  string
	Ready   bool
}

func (s *Server) pageScans(w http.ResponseWriter, r *http.Request) {
	f, err := scanFilter(r.URL.Query())
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	scans, err := s.store.ListScans(r.Context(), f)
	if err != nil {
		s.pageStoreError(w, r, err, "scans")
		return
	}
	d := scansData{Scans: scans, Targets: s.targetNames(r), Target: f.Target, Ready: s.scheduler() != nil && s.scheduler().Ready()}
	s.renderView(w, r, http.StatusOK, "scans", "Scans", d)
}

func (s *Server) pageTrigger(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !p.can(RoleAdmin) {
		s.pageError(w, r, http.StatusForbidden, "Your role may not trigger scans: an admin token is needed.")
		return
	}
	sc, code, err := s.trigger(r.Context(), p, r.PostFormValue("target"))
	if err != nil {
		s.pageError(w, r, code, err.Error())
		return
	}
	http.Redirect(w, r, "/scans/"+url.PathEscape(sc.ID), http.StatusSeeOther)
}

type scanData struct {
	Scan       store.Scan
	Report     *report.Report
	Results    []report.Result
	Filter     store.ResultFilter
	Controls   []*baseline.Control
	Severities []report.Severity
	Formats    []report.Format
	Others     []store.Scan
	Previous   string
	// Page is the 1-based page number; First and Next link to the first
	// and the next page of the filtered results ("" when there is none).
	Page        int
	First, Next string
}

// scanPageSize is how many results one page of the scan page shows.
const scanPageSize = 50

func (s *Server) pageScan(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sc, err := s.store.GetScan(ctx, chi.URLParam(r, "id"))
	if err != nil {
		s.pageStoreError(w, r, err, "scan")
		return
	}
	f, err := resultFilter(r.URL.Query())
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	d := scanData{Scan: sc, Filter: f, Controls: s.cat.Controls, Severities: severities, Formats: report.Formats, Page: 1}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		d.Page = n
	}
	if sc.Status == store.ScanDone || sc.Status == store.ScanFailed {
		var next string
		d.Results, next, err = s.store.ResultsPage(ctx, sc.ID, f, q.Get("cursor"), min(scanPageSize, s.limits.ResultsPageMax))
		if errors.Is(err, store.ErrBadCursor) {
			s.pageError(w, r, http.StatusBadRequest, "That page of results does not exist: start from the first page.")
			return
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.pageStoreError(w, r, err, "scan")
			return
		}
		link := func(cursor string, page int) string {
			v := url.Values{}
			for k, val := range map[string]string{"control": f.Control, "status": string(f.Status), "severity": string(f.Severity),
				"cursor": cursor} {
				if val != "" {
					v.Set(k, val)
				}
			}
			if page > 1 {
				v.Set("page", strconv.Itoa(page))
			}
			u := "/scans/" + url.PathEscape(sc.ID)
			if len(v) > 0 {
				u += "?" + v.Encode()
			}
			return u
		}
		if next != "" {
			d.Next = link(next, d.Page+1)
		}
		if q.Get("cursor") != "" {
			d.First = link("", 1)
		}
		if rep, err := s.store.Report(ctx, sc.ID); err == nil {
			report.RollupControls(rep.Controls)
			d.Report = rep
		}
	}
	if sc.Status == store.ScanDone {
		others, err := s.store.ListScans(ctx, store.ScanFilter{Target: sc.Target, Status: store.ScanDone, Limit: 50})
		if err == nil {
			for _, o := range others {
				if o.ID == sc.ID {
					continue
				}
				d.Others = append(d.Others, o)
				if d.Previous == "" && newer(sc, o) {
					d.Previous = o.ID
				}
			}
		}
	}
	s.renderView(w, r, http.StatusOK, "scan", "Scan "+sc.ID, d)
}

func (s *Server) pageDiffForm(w http.ResponseWriter, r *http.Request) {
	a, b := r.URL.Query().Get("a"), r.URL.Query().Get("b")
	if a == "" || b == "" {
		s.pageError(w, r, http.StatusBadRequest, "Choose two scans to compare.")
		return
	}
	http.Redirect(w, r, "/scans/"+url.PathEscape(a)+"/diff/"+url.PathEscape(b), http.StatusSeeOther)
}

type diffData struct {
	From, To store.Scan
	Diff     store.Diff
	// New are the failing results of servers (or other resources) that
	// the older scan did not have: new, not regressed. Diff.Regressed
	// holds only those of resources both scans saw.
	New []report.Result
}

func (s *Server) pageDiff(w http.ResponseWriter, r *http.Request) {
	d, from, to, code, err := s.diffScans(r, chi.URLParam(r, "id"), chi.URLParam(r, "otherId"))
	if err != nil {
		s.pageError(w, r, code, err.Error())
		return
	}
	dd := diffData{From: from, To: to, Diff: d}
	if len(d.Regressed) > 0 {
		old, err := s.store.Results(r.Context(), from.ID, store.ResultFilter{})
		if err != nil {
			s.pageStoreError(w, r, err, "scan")
			return
		}
		seen := map[string]bool{}
		for _, o := range old {
			seen[entityKey(o.ResourceID)] = true
		}
		regressed := []report.Result{}
		for _, res := range d.Regressed {
			if seen[entityKey(res.ResourceID)] {
				regressed = append(regressed, res)
			} else {
				dd.New = append(dd.New, res)
			}
		}
		dd.Diff.Regressed = regressed
	}
	s.renderView(w, r, http.StatusOK, "diff", "What changed", dd)
}

type findingData struct {
	Scan     store.Scan
	Result   report.Result
	Rule     *baseline.Rule
	Control  *baseline.Control
	Evidence []evidenceRow
}

type evidenceRow struct {
	Key   string
	Value any
}

func (s *Server) pageFinding(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ctx := r.Context()
	sc, err := s.store.GetScan(ctx, q.Get("scan"))
	if err != nil {
		s.pageStoreError(w, r, err, "scan")
		return
	}
	res, err := s.store.Results(ctx, sc.ID, store.ResultFilter{RuleID: q.Get("rule"), ResourceID: q.Get("resource")})
	if err != nil {
		s.pageStoreError(w, r, err, "scan")
		return
	}
	if len(res) == 0 || q.Get("rule") == "" || q.Get("resource") == "" {
		s.pageError(w, r, http.StatusNotFound, "No such finding in this scan.")
		return
	}
	d := findingData{Scan: sc, Result: res[0], Rule: s.cat.Rule(res[0].RuleID), Control: s.cat.Control(res[0].ControlID)}
	// The commands name this server, its resource group and subscription.
	d.Result.Remediation = report.RemediationForResource(d.Result.Remediation, d.Result.ResourceID)
	ev := report.NamedEvidence(res[0].Evidence)
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.Evidence = append(d.Evidence, evidenceRow{Key: k, Value: ev[k]})
	}
	s.renderView(w, r, http.StatusOK, "finding", res[0].Title, d)
}

type resourcesData struct {
	Servers []ServerRow
	// Others are the resources that are no PostgreSQL server and belong
	// to none (networks, private endpoints).
	Others []ResourceStatus
	Scans  int
}

func (s *Server) pageResources(w http.ResponseWriter, r *http.Request) {
	p, err := s.posture.get(r.Context())
	if err != nil {
		s.pageStoreError(w, r, err, "posture")
		return
	}
	d := resourcesData{Servers: p.Servers, Scans: len(p.Scans)}
	for _, rs := range p.Resources {
		if serverOf(rs.ID) == "" {
			d.Others = append(d.Others, rs)
		}
	}
	s.renderView(w, r, http.StatusOK, "resources", "Servers", d)
}

// serverResult is a result on a server's page, with the target it came
// from.
type serverResult struct {
	report.Result
	Target, ScanID string
	Own            bool // the server's own result, not a child's
}

type serverData struct {
	Server   ServerRow
	Segs     []segment
	Results  []serverResult
	Children []childRow
}

// childRow is a resource under a server: a configuration, firewall rule,
// administrator, diagnostic setting and the like.
type childRow struct {
	ID, Name, Type string
	Status         report.Status
	Counts         map[report.Status]int
}

// pageServer shows one server across its sources: its results and those
// of the resources under it.
func (s *Server) pageServer(w http.ResponseWriter, r *http.Request, row ServerRow) {
	d := serverData{Server: row, Segs: stack(row.Counts)}
	key := arm.Normalize(row.ID)
	kids := map[string]*childRow{}
	var kidOrder []string
	for _, src := range row.Sources {
		rep, err := s.store.Report(r.Context(), src.ScanID)
		if err != nil {
			s.pageStoreError(w, r, err, "scan")
			return
		}
		for _, rs := range rep.Resources {
			k := arm.Normalize(rs.ID)
			if k == key || kids[k] != nil || arm.Normalize(serverOf(rs.ID)) != key {
				continue
			}
			kids[k] = &childRow{ID: rs.ID, Name: rs.Name, Type: rs.Type, Counts: report.NewCounts()}
			kidOrder = append(kidOrder, k)
		}
		for _, x := range rep.Results {
			if arm.Normalize(serverOf(x.ResourceID)) != key {
				continue
			}
			own := arm.Normalize(x.ResourceID) == key
			x.Remediation = nil
			d.Results = append(d.Results, serverResult{Result: x, Target: src.Target, ScanID: src.ScanID, Own: own})
			if own {
				continue
			}
			k := arm.Normalize(x.ResourceID)
			c := kids[k]
			if c == nil {
				c = &childRow{ID: x.ResourceID, Name: x.ResourceName, Type: x.ResourceType, Counts: report.NewCounts()}
				kids[k] = c
				kidOrder = append(kidOrder, k)
			}
			c.Counts[x.Status]++
		}
	}
	for _, k := range kidOrder {
		c := kids[k]
		if total := func() (n int) {
			for _, v := range c.Counts {
				n += v
			}
			return n
		}(); total > 0 {
			c.Status = report.Rollup(c.Counts)
		}
		d.Children = append(d.Children, *c)
	}
	sort.SliceStable(d.Children, func(i, j int) bool {
		a, b := d.Children[i], d.Children[j]
		ra, rb := childRank(a), childRank(b)
		if ra != rb {
			return ra < rb
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
	sort.SliceStable(d.Results, func(i, j int) bool {
		a, b := d.Results[i], d.Results[j]
		if statusRank[a.Status] != statusRank[b.Status] {
			return statusRank[a.Status] < statusRank[b.Status]
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Own != b.Own {
			return a.Own
		}
		return a.RuleID < b.RuleID
	})
	s.renderView(w, r, http.StatusOK, "server", row.Name, d)
}

type resourceData struct {
	Resource ResourceStatus
	Segs     []segment
	Results  []report.Result
}

func (s *Server) pageResource(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, target := q.Get("id"), q.Get("target")
	p, err := s.posture.get(r.Context())
	if err != nil {
		s.pageStoreError(w, r, err, "posture")
		return
	}
	if isServer(id) {
		for _, row := range p.Servers {
			if arm.Normalize(row.ID) == arm.Normalize(id) {
				// A server's page reads the report of each of its sources.
				s.heavy(func(w http.ResponseWriter, r *http.Request) { s.pageServer(w, r, row) })(w, r)
				return
			}
		}
	}
	var found *ResourceStatus
	for i := range p.Resources {
		if p.Resources[i].ID == id && (target == "" || p.Resources[i].Target == target) {
			found = &p.Resources[i]
			break
		}
	}
	if found == nil {
		s.pageError(w, r, http.StatusNotFound, "No such resource in the newest scans.")
		return
	}
	res, err := s.store.Results(r.Context(), found.ScanID, store.ResultFilter{ResourceID: found.ID})
	if err != nil {
		s.pageStoreError(w, r, err, "scan")
		return
	}
	sortResults(res)
	s.renderView(w, r, http.StatusOK, "resource", found.Name, resourceData{Resource: *found, Segs: stack(found.Counts), Results: res})
}

// statusRank orders results worst first.
var statusRank = map[report.Status]int{report.NonCompliant: 0, report.Error: 1, report.Unknown: 2, report.Exempt: 3,
	report.Compliant: 4, report.NotApplicable: 5}

func sortResults(rs []report.Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if statusRank[a.Status] != statusRank[b.Status] {
			return statusRank[a.Status] < statusRank[b.Status]
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		return a.RuleID < b.RuleID
	})
}

// downloadTypes are each report format's media type and file extension.
var downloadTypes = map[report.Format][2]string{
	report.FormatJSON:     {"application/json", "json"},
	report.FormatSARIF:    {"application/sarif+json", "sarif"},
	report.FormatJUnit:    {"application/xml", "xml"},
	report.FormatCSV:      {"text/csv; charset=utf-8", "csv"},
	report.FormatMarkdown: {"text/markdown; charset=utf-8", "md"},
	report.FormatHTML:     {"text/html; charset=utf-8", "html"},
	report.FormatTable:    {"text/plain; charset=utf-8", "txt"},
}

// pageDownload renders a finished scan's stored report in one of the
// report formats, as `pgbaseline scan --format` would, as an attachment
// (so the HTML report never renders inside the dashboard's origin).
func (s *Server) pageDownload(w http.ResponseWriter, r *http.Request) {
	f := report.Format(chi.URLParam(r, "format"))
	typ, ok := downloadTypes[f]
	if !ok {
		s.pageError(w, r, http.StatusNotFound, "No such report format.")
		return
	}
	id := chi.URLParam(r, "id")
	rep, err := s.store.Report(r.Context(), id)
	if err != nil {
		s.pageStoreError(w, r, err, "report")
		return
	}
	report.RollupControls(rep.Controls)
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, f, report.Options{Rules: s.cat.RuleInfo(), ToolVersion: s.version, Width: 160, Full: true}); err != nil {
		s.log.Error("report failed", "scan", id, "format", f, "err", err)
		s.pageError(w, r, http.StatusInternalServerError, "The report could not be written.")
		return
	}
	w.Header().Set("Content-Type", typ[0])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pgbaseline-scan-%s.%s"`, safeFileName(id), typ[1]))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}

// safeFileName keeps letters, digits and dashes of a scan id.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, s)
}

// childRank orders the resources under a server worst first, those with
// no results of their own last.
func childRank(c childRow) int {
	if c.Status == "" {
		return len(statusRank)
	}
	return statusRank[c.Status]
}
