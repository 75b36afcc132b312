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

// TestDashboardInBrowser drives the dashboard in headless Chromium as a
// user would: sign in by typing a token, look at the charts, follow the
// links to a scan, a finding, a server and the diff, trigger a scan, and
// open a scan whose resource names carry markup. No console error (a CSP
// violation is one), no request leaving the server, no script run from a
// resource name. Screenshots go to $PGBASELINE_ARTIFACTS (or a temporary
// directory), and their paths are logged.
func TestDashboardInBrowser(t *testing.T) {
	b := browsertest.Start(t, 40*time.Second)
	ctx := b.Ctx
	f := newFixture(t, openSQLite(t))
	base := f.ts.URL
	dir := t.TempDir()
	artifacts := os.Getenv("PGBASELINE_ARTIFACTS")
	if artifacts == "" {
		artifacts = dir
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
	evalBool := func(name, js string) bool {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("browser: %s: %v", name, err)
		}
		return b
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("browser: screenshot %s: %v", name, err)
		}
		p := filepath.Join(artifacts, "dashboard-"+name+".png")
		if err := os.MkdirAll(artifacts, 0o755); err == nil {
			if err := os.WriteFile(p, png, 0o644); err == nil {
				t.Logf("screenshot: %s", p)
			}
		}
	}
	location := func() string {
		t.Helper()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatalf("browser: location: %v", err)
		}
		return strings.TrimPrefix(u, base)
	}
	pwned := `typeof window.__pwned !== 'undefined'`

	// Sign in: the dashboard sends a signed-out visitor to the form.
	run("open", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := location(); loc != "/signin" {
		t.Errorf("signed out, / went to %s, want /signin", loc)
	}
	shot("signin")
	run("sign in", chromedp.SendKeys(chromedp.ID("token"), adminToken), chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("chart-overall")))

	// Overview: the donut, the domain bars and the control bars are drawn
	// with data.
	if n := eval("donut", `document.querySelectorAll('#chart-overall circle.arc[stroke-dasharray]').length`); n < 2 {
		t.Errorf("the overall donut has %d arcs, want one per status present (at least 2)", n)
	}
	if n := eval("domain bars", `Array.from(document.querySelectorAll('#domains svg.domain-bar')).filter(s => {
		const r = s.getBoundingClientRect(); return r.width > 0 && r.height > 0 && s.querySelectorAll('rect[width]').length > 0;
	}).length`); n != 7 {
		t.Errorf("%d domain bars drawn with data, want 7 (one per domain)", n)
	}
	if n := eval("control bars", `document.querySelectorAll('#controls svg.control-bar rect').length`); n < 20 {
		t.Errorf("%d control bar segments, want many", n)
	}
	if evalBool("pwned overview", pwned) {
		t.Error("a hostile resource name ran script on the overview")
	}
	shot("overview")

	// Trend: a line per target with a dot per scan.
	run("trend", chromedp.Click(chromedp.CSS(`header nav a[href="/trend"]`)), chromedp.WaitVisible(chromedp.ID("chart-trend")))
	if n := eval("trend series", `document.querySelectorAll('#chart-trend polyline.line').length`); n != 2 {
		t.Errorf("%d trend lines, want 2 (infra, fleet)", n)
	}
	if n := eval("trend dots", `document.querySelectorAll('#chart-trend circle.dot').length`); n != 3 {
		t.Errorf("%d trend dots, want 3 (one per done scan)", n)
	}
	shot("trend")

	// Scans list, then the newest infra scan by clicking its link.
	run("scans", chromedp.Click(chromedp.CSS(`header nav a[href="/scans"]`)), chromedp.WaitVisible(chromedp.ID("scans")))
	run("open scan", chromedp.Click(chromedp.CSS(`#scans a[href="/scans/`+f.infraNew+`"]`)), chromedp.WaitVisible(chromedp.ID("results")))
	visible := `document.querySelectorAll('#results > tbody > tr:not([hidden])').length`
	all := eval("results", visible)
	if all == 0 {
		t.Fatal("the scan page shows no results")
	}
	run("filter", chromedp.SendKeys(chromedp.ID("quick"), "NonCompliant"))
	filtered := eval("filtered", visible)
	if filtered == 0 || filtered >= all {
		t.Errorf("typing NonCompliant in the filter shows %d of %d rows", filtered, all)
	}
	shot("scan")

	// The diff with the previous scan: the public server was not in the
	// older scan (which had the hardened one), so its failures are new,
	// not regressions.
	run("diff", chromedp.Click(chromedp.ID("diff-previous")), chromedp.WaitVisible(chromedp.ID("new")))
	if n := eval("new rows", `document.querySelectorAll('#new tbody tr').length`); n == 0 {
		t.Error("the diff from the hardened to the public server shows no new failure")
	}
	if n := eval("regressed rows", `document.querySelectorAll('#regressed tbody tr').length`); n != 0 {
		t.Errorf("the diff shows %d regressions of a server the older scan did not have", n)
	}
	if loc := location(); loc != "/scans/"+f.infraOld+"/diff/"+f.infraNew {
		t.Errorf("diff page at %s", loc)
	}
	shot("diff")

	// Drill down: a regressed finding, with evidence and remediation, then
	// its server.
	run("finding", chromedp.Click(chromedp.CSS(`#new tbody tr a`)), chromedp.WaitVisible(chromedp.ID("finding-message")))
	if n := eval("remediation", `document.querySelectorAll('#remediation pre, #remediation p').length`); n == 0 {
		t.Error("the regressed finding shows no remediation")
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("finding-status")))
	if err != nil || (status != "NonCompliant" && status != "Error") {
		t.Errorf("new finding status %q (%v)", status, err)
	}
	shot("finding")
	run("server", chromedp.Click(chromedp.ID("finding-resource")), chromedp.WaitVisible(chromedp.ID("resource-results")))
	if n := eval("server rows", `document.querySelectorAll('#resource-results tbody tr').length`); n < 5 {
		t.Errorf("the server drill-down shows %d results", n)
	}
	if n := eval("server bar", `document.querySelectorAll('#chart-resource rect').length`); n == 0 {
		t.Error("the server's status bar is empty")
	}
	shot("server")

	// Trigger a scan as admin: the form posts with its CSRF token and lands
	// on the new scan's page.
	run("trigger", chromedp.Navigate(base+"/scans"), chromedp.WaitVisible(chromedp.ID("trigger")),
		chromedp.Click(chromedp.ID("trigger")), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	if loc := location(); !strings.HasPrefix(loc, "/scans/") || loc == "/scans/" {
		t.Errorf("after triggering, at %s, want the new scan's page", loc)
	}
	if txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.scan-status`))); err != nil || txt != "queued" {
		t.Errorf("the triggered scan shows %q (%v), want queued", txt, err)
	}

	// Hostile resource names stay text.
	run("fleet", chromedp.Navigate(base+"/scans/"+f.fleet), chromedp.WaitVisible(chromedp.ID("results")))
	if evalBool("pwned fleet", pwned) {
		t.Error("a hostile resource name ran script on the scan page")
	}
	if n := eval("hostile text", `Array.from(document.querySelectorAll('#results a.resource-link')).filter(a => a.textContent.includes('<script>')).length`); n == 0 {
		t.Error("the hostile name is not shown as text")
	}
	if n := eval("injected nodes", `document.querySelectorAll('main script, main img, main b').length`); n != 0 {
		t.Errorf("%d elements injected from resource names", n)
	}
	run("hover", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#results td').forEach(td => td.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))`))
	run("fleet server", chromedp.Click(chromedp.CSS(`#results a.resource-link`)), chromedp.WaitVisible(chromedp.ID("resource-results")))
	if evalBool("pwned fleet server", pwned) {
		t.Error("a hostile resource name ran script on the server page")
	}
	shot("hostile")

	// Sign out.
	run("sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("token")))

	requests, problems := b.Requests(), b.Problems()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the dashboard requested %s; it must load nothing from elsewhere", u)
		}
	}
	if len(requests) < 10 {
		t.Errorf("only %d requests seen: the network listener is not working", len(requests))
	}
}
