package report

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/pgbaseline/pgbaseline/internal/browsertest"
)

// TestHTMLInBrowser opens the HTML report in headless Chromium and checks
// what a reader gets: no console error (a CSP violation would be one), no
// request but the file itself, the charts drawn, the filter and the sort
// working, and the hostile resource names inert.
func TestHTMLInBrowser(t *testing.T) {
	b := browsertest.Start(t, 90*time.Second)
	ctx := b.Ctx
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, render(t, FormatHTML, fixtureOptions()), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: page}).String()

	type chart struct {
		W, H  float64
		Rects int
	}
	visible := `document.querySelectorAll('#findings > tbody > tr:not([hidden])').length`
	firstKey := `document.querySelector('#findings > tbody > tr:not([hidden]) td').getAttribute('data-key')`
	var (
		pwned                              bool
		charts                             []chart
		donut, total, afterFilter, afterSt int
		shown, firstSev, lastSev           string
		shot                               []byte
	)
	step := func(name string, err error) {
		if err != nil {
			t.Fatalf("browser: %s: %v", name, err)
		}
	}
	run := func(name string, steps ...chromedp.Action[chromedp.Void]) { step(name, chromedp.Do(ctx, steps...)) }
	var err error
	run("open", chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("findings")))
	pwned, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.__pwned !== 'undefined'`))
	step("pwned", err)
	charts, err = chromedp.Run(ctx, chromedp.Evaluate[[]chart](`Array.from(document.querySelectorAll('svg.domain-chart')).map(s => {
		const r = s.getBoundingClientRect();
		return {W: r.width, H: r.height, Rects: s.querySelectorAll('rect').length};
	})`))
	step("charts", err)
	donut, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart-overall circle[stroke-dasharray]').length`))
	step("donut", err)
	attentionFirst, err := chromedp.Run(ctx, chromedp.Evaluate[int](visible))
	step("rows at first", err)
	run("all statuses", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById('status-filter'); s.value = ''; s.dispatchEvent(new Event('change'));
	})()`))
	total, err = chromedp.Run(ctx, chromedp.Evaluate[int](visible))
	step("rows", err)
	run("type in the filter", chromedp.SendKeys(chromedp.ID("filter"), "pg-prod-01"))
	afterFilter, err = chromedp.Run(ctx, chromedp.Evaluate[int](visible))
	step("filtered rows", err)
	shown, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("shown")))
	step("counter", err)
	run("clear the filter", chromedp.Evaluate[chromedp.Void](`(() => {
		const q = document.getElementById('filter'); q.value = ''; q.dispatchEvent(new Event('input'));
		const s = document.getElementById('status-filter'); s.value = 'attention'; s.dispatchEvent(new Event('change'));
	})()`))
	afterSt, err = chromedp.Run(ctx, chromedp.Evaluate[int](visible))
	step("status rows", err)
	run("sort", chromedp.Click(chromedp.CSS(`#findings thead th[data-sort="num"]`)))
	firstSev, err = chromedp.Run(ctx, chromedp.Evaluate[string](firstKey))
	step("sorted", err)
	run("sort back", chromedp.Click(chromedp.CSS(`#findings thead th[data-sort="num"]`)))
	lastSev, err = chromedp.Run(ctx, chromedp.Evaluate[string](firstKey))
	step("sorted back", err)
	run("reset", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById('status-filter'); s.value = ''; s.dispatchEvent(new Event('change'));
	})()`))
	// The details are rendered when opened, with the fix filled in.
	detail, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const d = Array.from(document.querySelectorAll('#findings details')).find(d => d.closest('tr').getAttribute('data-status') === 'NonCompliant');
		d.open = true; d.dispatchEvent(new Event('toggle'));
		return d.textContent;
	})()`))
	step("details", err)
	// A control's link shows its findings; the severity filter narrows them.
	run("control link", chromedp.Click(chromedp.CSS(`table.controls a[data-control="NS-2"]`)))
	byControl, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#findings > tbody > tr')).map(r => r.cells[2].textContent)`))
	step("control rows", err)
	run("severity", chromedp.Evaluate[chromedp.Void](`(() => {
		const c = document.getElementById('control-filter'); c.value = ''; 
		const s = document.getElementById('severity-filter'); s.value = 'critical'; s.dispatchEvent(new Event('change'));
	})()`))
	bySeverity, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#findings > tbody > tr')).map(r => r.cells[0].textContent)`))
	step("severity rows", err)
	run("wide window", chromedp.EmulateViewport(1400, 900))
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	step("overflow", err)
	background := `getComputedStyle(document.body).backgroundColor`
	light, err := chromedp.Run(ctx, chromedp.Evaluate[string](background))
	step("light", err)
	run("dark mode", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}))
	dark, err := chromedp.Run(ctx, chromedp.Evaluate[string](background))
	step("dark", err)
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step("screenshot", err)
	afterStatus := afterSt
	artifacts := os.Getenv("PGBASELINE_ARTIFACTS")
	if artifacts == "" {
		artifacts = dir
	}
	shotPath := filepath.Join(artifacts, "report-html.png")
	if err := os.MkdirAll(artifacts, 0o755); err == nil {
		if err := os.WriteFile(shotPath, shot, 0o644); err == nil {
			t.Logf("screenshot: %s", shotPath)
		}
	}

	if pwned {
		t.Error("a hostile resource name ran script: window.__pwned is set")
	}
	if len(charts) != 5 {
		t.Errorf("%d domain charts, want 5 (one per domain)", len(charts))
	}
	for i, c := range charts {
		if c.W <= 0 || c.H <= 0 || c.Rects < 2 {
			t.Errorf("domain chart %d: %gx%g with %d rects", i, c.W, c.H, c.Rects)
		}
	}
	if donut != 6 {
		t.Errorf("overall donut has %d arcs, want 6 (one per status present)", donut)
	}
	if attentionFirst != 8 {
		t.Errorf("%d findings shown at first, want the 8 that need attention", attentionFirst)
	}
	if total != 14 {
		t.Errorf("%d findings shown with all statuses, want 14", total)
	}
	if !strings.Contains(detail, "Remediation: ") || !strings.Contains(detail, "Azure CLI") {
		t.Errorf("an opened finding shows %q, want its evidence and fix", detail)
	}
	if len(byControl) == 0 {
		t.Error("the NS-2 link shows no finding")
	}
	for _, c := range byControl {
		if c != "NS-2" {
			t.Errorf("the NS-2 link shows a finding of %s", c)
		}
	}
	for _, s := range bySeverity {
		if s != "critical" {
			t.Errorf("the critical filter shows a %s finding", s)
		}
	}
	if light != "rgb(255, 255, 255)" || dark != "rgb(13, 17, 23)" {
		t.Errorf("page background %s in light mode and %s in dark mode, want white and #0d1117", light, dark)
	}
	if overflow > 0 {
		t.Errorf("the page overflows a 1,400-pixel window by %d pixels", overflow)
	}
	if afterFilter != 5 || shown != "5" {
		t.Errorf("filter pg-prod-01 shows %d rows (counter %q), want 5", afterFilter, shown)
	}
	if afterStatus != 8 {
		t.Errorf("'needs attention' shows %d rows, want 8", afterStatus)
	}
	if firstSev != "1" || lastSev != "4" {
		t.Errorf("sorting by severity: first row %q ascending, %q descending; want 1 (low) and 4 (critical)", firstSev, lastSev)
	}
	requests, problems := b.Requests(), b.Problems()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	for _, u := range requests {
		if u != pageURL {
			t.Errorf("the page requested %s; it must load nothing but itself", u)
		}
	}
	if len(requests) == 0 {
		t.Error("no request seen at all: the network listener is not working")
	}
}
