package serve

import (
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
