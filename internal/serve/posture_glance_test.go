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
