package serve

import (
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

// pageBody GETs a dashboard page as a signed-in reader and returns its
// HTML.
func pageBody(t *testing.T, f *fixture, path string) string {
	t.Helper()
	c := browserClient(t)
	signIn(t, f, c, readerToken)
	code, body, _ := get(t, c, f.ts.URL+path)
	if code != 200 {
		t.Fatalf("GET %s: %d", path, code)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Errorf("GET %s: inline script or style (the CSP forbids it)", path)
	}
	return body
}

// section returns the HTML from the element with id to the end of its
// table (or the next heading).
func section(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</table>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// TestDiffNewServerIsNotRegressed: a server only the newer scan has is
// new; the same server failing where it passed before is regressed.
func TestDiffNewServerIsNotRegressed(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	// The same public server, passing everything it fails now.
	passing := exampleReport(t, "public-server.json")
	for i := range passing.Results {
		if passing.Results[i].Status == report.NonCompliant {
			passing.Results[i].Status = report.Compliant
		}
	}
	before := addScan(t, f.st, "same", passing)
	after := addScan(t, f.st, "same", exampleReport(t, "public-server.json"))

	body := pageBody(t, f, "/scans/"+before+"/diff/"+after)
	if strings.Count(section(body, "regressed"), "<tr>") < 2 {
		t.Errorf("the same server failing now is not shown as regressed:\n%s", section(body, "regressed"))
	}
	if !strings.Contains(body, "No new server or resource fails.") {
		t.Error("a server both scans had is shown as new")
	}

	body = pageBody(t, f, "/scans/"+f.infraOld+"/diff/"+f.infraNew)
	if strings.Count(section(body, "new"), "<tr>") < 2 {
		t.Error("the public server, absent from the older scan, is not shown as new")
	}
	if !strings.Contains(body, "Nothing regressed.") {
		t.Errorf("a server the older scan did not have is shown as regressed:\n%s", section(body, "regressed"))
	}
}

func TestServerOf(t *testing.T) {
	const srv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1"
	for id, want := range map[string]string{
		srv:                                     srv,
		srv + "/configurations/log_connections": srv,
		srv + "/firewallRules/all":              srv,
		srv + "/providers/Microsoft.Insights/diagnosticSettings/d":                           srv,
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/old": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/old",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v":   "",
	} {
		if got := serverOf(id); got != want {
			t.Errorf("serverOf(%s) = %q, want %q", id, got, want)
		}
	}
}

// bigReport joins the three examples into one report of 124 results over
// several servers, more than two pages of the scan page.
func bigReport(t *testing.T) *report.Report {
	t.Helper()
	rep := exampleReport(t, "public-server.json")
	for _, n := range []string{"hardened-server.json", "resource-graph.json"} {
		o := exampleReport(t, n)
		rep.Results = append(rep.Results, o.Results...)
		rep.Resources = append(rep.Resources, o.Resources...)
	}
	rep.Summary = report.Summary{}
	for _, r := range rep.Results {
		rep.Summary.Add(r.Status)
	}
	return rep
}

// rowsOf counts the rows of the table with id in body.
func rowsOf(body, id string) int {
	return strings.Count(section(body, id), "<tr>") - 1 // less the header row
}

// TestScanPagePagesAndFilters: the scan page shows one page of results
// with a link to the next, keeps the filters across pages, filters by
// severity, and offers the report in every format.
func TestScanPagePagesAndFilters(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	big := bigReport(t)
	id := addScan(t, f.st, "big", big)
	c := browserClient(t)
	signIn(t, f, c, readerToken)

	code, body, _ := get(t, c, f.ts.URL+"/scans/"+id)
	if code != 200 {
		t.Fatalf("scan page: %d", code)
	}
	if n := rowsOf(body, "results"); n != scanPageSize {
		t.Errorf("the first page shows %d results, want %d", n, scanPageSize)
	}
	seen := rowsOf(body, "results")
	pages := 1
	for {
		i := strings.Index(body, `id="page-next" href="`)
		if i < 0 {
			break
		}
		href := body[i+len(`id="page-next" href="`):]
		href = strings.ReplaceAll(href[:strings.IndexByte(href, '"')], "&amp;", "&")
		code, body, _ = get(t, c, f.ts.URL+href)
		if code != 200 {
			t.Fatalf("GET %s: %d", href, code)
		}
		pages++
		seen += rowsOf(body, "results")
		if !strings.Contains(body, `id="page-first"`) {
			t.Errorf("page %d has no link back to the first page", pages)
		}
		if pages > 10 {
			t.Fatal("the pages do not end")
		}
	}
	if seen != len(big.Results) || pages != 3 {
		t.Errorf("the pages show %d results in %d pages, want %d in 3", seen, pages, len(big.Results))
	}

	// Severity filter: only high results, and the filter survives paging.
	want := 0
	for _, r := range big.Results {
		if r.Severity == report.High {
			want++
		}
	}
	code, body, _ = get(t, c, f.ts.URL+"/scans/"+id+"?severity=high")
	if code != 200 {
		t.Fatalf("severity filter: %d", code)
	}
	if strings.Contains(body, "<td>medium</td>") || strings.Contains(body, "<td>low</td>") || strings.Contains(body, "<td>critical</td>") {
		t.Error("filtering by high shows results of other severities")
	}
	if got := rowsOf(body, "results"); got != min(want, scanPageSize) {
		t.Errorf("filtering by high shows %d results, want %d", got, min(want, scanPageSize))
	}
	if !strings.Contains(body, `<option value="high" selected>`) {
		t.Error("the severity select does not show the chosen filter")
	}
	if want > scanPageSize && !strings.Contains(body, "severity=high") {
		t.Error("the next page link drops the severity filter")
	}
	if code, _, _ := get(t, c, f.ts.URL+"/scans/"+id+"?severity=severe"); code != 400 {
		t.Errorf("an unknown severity gives %d, want 400", code)
	}
	if code, _, _ := get(t, c, f.ts.URL+"/scans/"+id+"?cursor=bogus"); code != 400 {
		t.Errorf("a bogus cursor gives %d, want 400", code)
	}

	// Downloads: every format, as an attachment, rendered from the report.
	for _, fm := range report.Formats {
		if !strings.Contains(body, `href="/scans/`+id+`/report/`+string(fm)+`"`) {
			t.Errorf("the scan page offers no %s download", fm)
		}
		code, out, h := get(t, c, f.ts.URL+"/scans/"+id+"/report/"+string(fm))
		if code != 200 {
			t.Errorf("download %s: %d", fm, code)
			continue
		}
		if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "pgbaseline-scan-"+id+".") {
			t.Errorf("download %s: Content-Disposition %q", fm, cd)
		}
		if !strings.Contains(out, "psql-analytics") || !strings.Contains(out, "psql-crm-dev") {
			t.Errorf("the %s download lacks the scan's servers", fm)
		}
	}
	if code, _, _ := get(t, c, f.ts.URL+"/scans/"+id+"/report/pdf"); code != 404 {
		t.Errorf("an unknown format gives %d, want 404", code)
	}
	if code, _, _ := get(t, c, f.ts.URL+"/scans/"+f.queued+"/report/json"); code != 404 {
		t.Errorf("the report of a queued scan gives %d, want 404", code)
	}
}

// TestOverviewGlance: the overview shows the failing results by severity
// over the scans, the change since each target's previous scan, and the
// riskiest failing rules with their resource counts.
func TestOverviewGlance(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	body := pageBody(t, f, "/")

	chart := section(body, "chart-severity")
	if n := strings.Count(chart, "<polyline"); n != 4 {
		t.Errorf("the severity chart has %d lines, want 4 (critical, high, medium, low)", n)
	}
	if n := strings.Count(chart, "<circle"); n != 4*3 {
		t.Errorf("the severity chart has %d dots, want 12 (4 severities x 3 done scans)", n)
	}
	// The last point of the high line is the fleet's high failures now.
	hard, pub, fleet := exampleReport(t, "hardened-server.json"), exampleReport(t, "public-server.json"), exampleReport(t, "resource-graph.json")
	nowHigh := report.CountFailures(pub.Results).BySeverity[report.High] + report.CountFailures(fleet.Results).BySeverity[report.High]
	if !strings.Contains(chart, fmt.Sprintf(": %d high failing</title>", nowHigh)) {
		t.Errorf("the severity chart does not show %d high failures now", nowHigh)
	}

	// infra went from the hardened to the public server.
	d, err := f.st.Diff(t.Context(), f.infraOld, f.infraNew)
	if err != nil {
		t.Fatal(err)
	}
	delta := report.CountFailures(pub.Results).Total - report.CountFailures(hard.Results).Total
	wantFailing := fmt.Sprintf("+%d", delta)
	if delta < 0 {
		wantFailing = fmt.Sprintf("\u2212%d", -delta)
	}
	for id, want := range map[string]string{"change-failing": wantFailing, "change-new": fmt.Sprint(len(d.Regressed)),
		"change-fixed": fmt.Sprint(len(d.Fixed))} {
		if !strings.Contains(html.UnescapeString(body), `id="`+id+`">`+want+`<`) {
			t.Errorf("%s does not show %s", id, want)
		}
	}
	if len(d.Regressed) == 0 {
		t.Error("the fixture's infra diff has no new finding: the test proves nothing")
	}
	changes := section(body, "changes")
	if !strings.Contains(changes, `<tr data-target="fleet"><td>fleet</td>`) || !strings.Contains(changes, "first scan") {
		t.Error("the fleet target, scanned once, is not shown as a first scan")
	}

	// Top risks: the most severe failing rule first, with its resources.
	type tally struct {
		sev  report.Severity
		res  map[string]bool
		rule string
	}
	rules := map[string]*tally{}
	for _, rep := range []*report.Report{pub, fleet} {
		for _, r := range rep.Results {
			if r.Status != report.NonCompliant {
				continue
			}
			if rules[r.RuleID] == nil {
				rules[r.RuleID] = &tally{sev: r.Severity, res: map[string]bool{}, rule: r.RuleID}
			}
			rules[r.RuleID].res[strings.ToLower(r.ResourceID)] = true
		}
	}
	var best *tally
	for _, r := range rules {
		if best == nil || r.sev.Rank() > best.sev.Rank() || r.sev.Rank() == best.sev.Rank() &&
			(len(r.res) > len(best.res) || len(r.res) == len(best.res) && r.rule < best.rule) {
			best = r
		}
	}
	risks := section(body, "top-risks")
	first := risks[strings.Index(risks, "<tbody>"):]
	first = first[:strings.Index(first, "</tr>")]
	if !strings.Contains(first, best.rule) || !strings.Contains(first, fmt.Sprintf(`<td class="num">%d</td>`, len(best.res))) ||
		!strings.Contains(first, strings.ToUpper(string(best.sev))) {
		t.Errorf("the first top risk is not %s (%s, %d resources):\n%s", best.rule, best.sev, len(best.res), first)
	}
	if n := rowsOf(body, "top-risks"); n != min(topRisks, len(rules)) {
		t.Errorf("%d top risks listed, want %d", n, min(topRisks, len(rules)))
	}
}

// TestServersPage: one row per PostgreSQL server however many targets
// read it, no rows for the resources under a server (those are on its
// page), riskiest first, with subscription and resource group from the
// id.
func TestServersPage(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	addScan(t, f.st, "tf", exampleReport(t, "public-server.json"))       // psql-crm-dev again
	addScan(t, f.st, "orders", exampleReport(t, "hardened-server.json")) // psql-orders-prod and 16 resources under it
	body := pageBody(t, f, "/resources")
	table := section(body, "servers")
	rows := strings.Split(table, `<tr data-server=`)[1:]
	if len(rows) != 4 {
		t.Fatalf("%d server rows, want 4 (psql-crm-dev, psql-orders-prod, psql-analytics, pg-analytics-legacy):\n%s", len(rows), table)
	}
	for _, child := range []string{"log_connections", "send-to-law-security", "/configurations/", "administrators"} {
		if strings.Contains(table, child) {
			t.Errorf("the servers table lists %s, a resource under a server", child)
		}
	}
	var crm string
	for _, r := range rows {
		if strings.Contains(r, ">psql-crm-dev<") {
			crm = r
		}
	}
	if crm == "" {
		t.Fatal("no row for psql-crm-dev")
	}
	for _, want := range []string{`>infra</a>`, `>tf</a>`, "<td>rg-legacy-crm</td>", "<code>6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90</code>"} {
		if !strings.Contains(crm, want) {
			t.Errorf("the psql-crm-dev row lacks %s:\n%s", want, crm)
		}
	}
	// psql-crm-dev's failures count once, not once per source.
	pub := report.CountFailures(exampleReport(t, "public-server.json").Results).Total
	if !strings.Contains(crm, fmt.Sprintf(`class="num failing">%d<`, pub)) {
		t.Errorf("psql-crm-dev's failing count is not %d:\n%s", pub, crm)
	}
	// Riskiest first.
	rank := map[string]int{"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1}
	prevRank, prevFailing := 99, 1<<30
	for i, r := range rows {
		sev := 0
		if j := strings.Index(r, `<span class="sev sev-`); j >= 0 {
			s := r[j:]
			s = s[strings.IndexByte(s, '>')+1:]
			sev = rank[s[:strings.IndexByte(s, '<')]]
		}
		var failing int
		j := strings.Index(r, `class="num failing">`)
		fmt.Sscanf(r[j+len(`class="num failing">`):], "%d", &failing)
		if sev > prevRank || sev == prevRank && failing > prevFailing {
			t.Errorf("row %d (severity rank %d, %d failing) comes after (%d, %d): not riskiest first", i, sev, failing, prevRank, prevFailing)
		}
		prevRank, prevFailing = sev, failing
	}

	// The server's page lists the resources under it.
	const orders = "/subscriptions/6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90/resourceGroups/rg-orders-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-orders-prod"
	page := pageBody(t, f, "/resource?id="+orders)
	children := section(page, "children")
	for _, want := range []string{"log_connections", "send-to-law-security"} {
		if !strings.Contains(children, want) {
			t.Errorf("the server page does not list %s under the server", want)
		}
	}
	if !strings.Contains(page, `id="server-sources"><a class="source" href="/scans/`) || !strings.Contains(page, ">orders</a>") {
		t.Error("the server page does not show its source")
	}
}

// TestAPIResultsBySeverity: the results API filters by severity too, and
// a cached unfiltered page is not served for a filtered one.
func TestAPIResultsBySeverity(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	var all, high ResultList
	apiGet(t, f, "/api/v1/scans/"+f.infraNew+"/results", &all)
	apiGet(t, f, "/api/v1/scans/"+f.infraNew+"/results?severity=high", &high)
	want := 0
	for _, r := range all.Results {
		if r.Severity == report.High {
			want++
		}
	}
	if want == 0 || want == len(all.Results) {
		t.Fatalf("%d of %d results are high: the test proves nothing", want, len(all.Results))
	}
	if len(high.Results) != want {
		t.Errorf("?severity=high gives %d results, want %d", len(high.Results), want)
	}
	for _, r := range high.Results {
		if r.Severity != report.High {
			t.Errorf("?severity=high gives a %s result", r.Severity)
		}
	}
	if resp := f.do(t, "GET", "/api/v1/scans/"+f.infraNew+"/results?severity=severe", readerToken, ""); resp.StatusCode != 400 {
		t.Errorf("?severity=severe: %d, want 400", resp.StatusCode)
	}
}
