package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pgbaseline/pgbaseline/internal/browsertest"
)

// TestPostureAtAGlanceInBrowser drives the overview's severity trend,
// change and top risks, the Servers page and its filter, a server's page,
// and the scan page's severity filter, pages and downloads in headless
// Chromium. Screenshots go to $PGBASELINE_ARTIFACTS as glance-*.png (the
// ones in docs/ come from here).
func TestPostureAtAGlanceInBrowser(t *testing.T) {
	b := browsertest.Start(t, 40*time.Second)
	ctx := b.Ctx
	f := newFixture(t, openSQLite(t))
	addScan(t, f.st, "tf", exampleReport(t, "public-server.json"))
	addScan(t, f.st, "orders", exampleReport(t, "hardened-server.json"))
	big := addScan(t, f.st, "landing-zone", bigReport(t))
	base := f.ts.URL
	artifacts := os.Getenv("PGBASELINE_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	run := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v", name, err)
		}
	}
	eval := func(name, js string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("browser: %s: %v", name, err)
		}
		return n
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("browser: text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// shot saves the whole page, or only what the window shows (the top
	// of a long page) when full is false.
	shot := func(name string, full bool) {
		t.Helper()
		capture := chromedp.CaptureScreenshot()
		if full {
			capture = chromedp.FullScreenshot(100)
		}
		png, err := chromedp.Run(ctx, capture)
		if err != nil {
			t.Fatalf("browser: screenshot %s: %v", name, err)
		}
		p := filepath.Join(artifacts, "glance-"+name+".png")
		if err := os.MkdirAll(artifacts, 0o755); err == nil {
			if err := os.WriteFile(p, png, 0o644); err == nil {
				t.Logf("screenshot: %s", p)
			}
		}
	}
	// visibleRows counts the rows of a table's body a user can see.
	visibleRows := func(table string) int {
		t.Helper()
		return eval("rows of "+table, `Array.from(document.querySelectorAll('#`+table+` > tbody > tr')).filter(r => {
			const b = r.getBoundingClientRect(); return !r.hidden && b.width > 0 && b.height > 0; }).length`)
	}

	run("sign in", chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), readerToken), chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("chart-severity")))

	// Overview: four severity lines drawn with a dot per done scan, the
	// change since the previous scan, and the top risks.
	if n := eval("severity lines", `Array.from(document.querySelectorAll('#chart-severity polyline.line')).filter(l => {
		const b = l.getBoundingClientRect(); return b.width > 100 && l.getAttribute('points').split(' ').length === 6; }).length`); n != 4 {
		t.Errorf("%d severity lines drawn across the 6 done scans, want 4", n)
	}
	if got := text("#change-new"); got == "0" || got == "" {
		t.Errorf("the overview shows %q new findings since the previous scan, want the public server's", got)
	}
	if n := visibleRows("top-risks"); n < 3 {
		t.Errorf("%d top risks shown", n)
	}
	if got := text("#top-risks tbody tr:first-child td:first-child"); got != "HIGH" && got != "CRITICAL" {
		t.Errorf("the first top risk is %s, want the most severe", got)
	}
	shot("overview", true)
	// A top risk opens a scan filtered to its failing control.
	run("open risk", chromedp.Click(chromedp.CSS(`#top-risks tbody tr:first-child a.risk-link`)), chromedp.WaitVisible(chromedp.ID("results")))
	if n := eval("risk results", `Array.from(document.querySelectorAll('#results > tbody > tr')).filter(r => !r.textContent.includes('NonCompliant')).length`); n != 0 {
		t.Errorf("the top risk's link shows %d results that are not NonCompliant", n)
	}
	if n := visibleRows("results"); n == 0 {
		t.Error("the top risk's link shows no failing result")
	}

	// Servers: one row per server, riskiest first; the filter narrows.
	run("servers", chromedp.Click(chromedp.CSS(`header nav a[href="/resources"]`)), chromedp.WaitVisible(chromedp.ID("servers")))
	if n := visibleRows("servers"); n != 4 {
		t.Errorf("%d server rows, want 4", n)
	}
	if got := text(`#servers tr[data-server="psql-crm-dev"] td.sources`); !strings.Contains(got, "infra") || !strings.Contains(got, "tf") || !strings.Contains(got, "landing-zone") {
		t.Errorf("psql-crm-dev's sources are %q, want infra, tf and landing-zone", got)
	}
	shot("servers", true)
	run("filter servers", chromedp.SendKeys(chromedp.ID("quick"), "rg-orders"))
	if n := visibleRows("servers"); n != 1 {
		t.Errorf("filtering by rg-orders shows %d servers, want 1", n)
	}
	run("open server", chromedp.Click(chromedp.CSS(`#servers tr[data-server="psql-orders-prod"] a.server-link`)), chromedp.WaitVisible(chromedp.ID("children")))
	if n := visibleRows("children"); n < 10 {
		t.Errorf("the server page lists %d resources under psql-orders-prod", n)
	}
	shot("server", false)

	// Scan: a page of results, the severity filter, the next page, and a
	// download link per format.
	run("scan", chromedp.Navigate(base+"/scans/"+big), chromedp.WaitVisible(chromedp.ID("results")))
	if n := visibleRows("results"); n != scanPageSize {
		t.Errorf("the scan page shows %d results, want a page of %d", n, scanPageSize)
	}
	if n := eval("downloads", `document.querySelectorAll('#downloads a.download[download]').length`); n != 7 {
		t.Errorf("%d report downloads offered, want 7", n)
	}
	shot("scan", false)
	run("next page", chromedp.Click(chromedp.ID("page-next")), chromedp.WaitVisible(chromedp.CSS(`#results[data-page="2"]`)))
	if n := visibleRows("results"); n == 0 {
		t.Error("the second page is empty")
	}
	run("severity filter", chromedp.SetValue(chromedp.ID("f-severity"), "high"), chromedp.Click(chromedp.ID("f-apply")),
		chromedp.WaitVisible(chromedp.CSS(`#results[data-severity="high"][data-page="1"]`)))
	if n := eval("other severities", `Array.from(document.querySelectorAll('#results > tbody > tr')).filter(r => r.cells[1].textContent.trim() !== 'high').length`); n != 0 {
		t.Errorf("filtering by high shows %d results of other severities", n)
	}
	if n := visibleRows("results"); n == 0 {
		t.Error("filtering by high shows nothing")
	}

	for _, p := range b.Problems() {
		t.Errorf("browser reported: %s", p)
	}
	for _, u := range b.Requests() {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the dashboard requested %s", u)
		}
	}
}
