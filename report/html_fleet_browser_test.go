package report

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pgbaseline/pgbaseline/internal/browsertest"
)

// fleetReport synthesizes the report of a fleet export of n servers: 42
// rules on each server (about a third failing, a tenth Unknown) and a
// firewall rule on every fifth, each result with its file:line, evidence
// and the rule's remediation, as a real scan gives.
func fleetReport(n int) (*Report, Options) {
	o := fixtureOptions()
	controls := []string{"NS-1", "NS-2", "IM-1", "IM-3", "PA-7", "DP-3", "DP-4", "DP-5", "LT-3", "LT-4", "BR-1", "AM-2"}
	sevs := []Severity{High, Medium, Medium, Low, High, Medium}
	rems := []*Remediation{remTLS, remPublic, remAudit}
	type rule struct {
		id, control, title, param string
		sev                       Severity
		rem                       *Remediation
	}
	var rules []rule
	for j := 0; j < 42; j++ {
		rules = append(rules, rule{id: fmt.Sprintf("AZP-%08x", j*2654435761%0xffffffff), control: controls[j%len(controls)],
			title: fmt.Sprintf("PostgreSQL flexible servers should have setting %d configured", j), param: fmt.Sprintf("log_setting_%d", j),
			sev: sevs[j%len(sevs)], rem: rems[j%len(rems)]})
	}
	evidence := map[string]map[string]any{}
	r := &Report{SchemaVersion: 1, Tool: Tool{Name: "pgbaseline", Version: "test"},
		Benchmark: Benchmark{ID: "MCSB", Version: "1.0", Baseline: "Azure Database for PostgreSQL - Flexible Server"},
		Targets:   []Target{{Kind: "arm-export", Location: "fleet.json"}}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("psql-%06d", i)
		id := fmt.Sprintf("/subscriptions/00000000-0000-4000-8000-%012d/resourceGroups/rg-%d/providers/Microsoft.DBforPostgreSQL/flexibleServers/%s", i%7, i%40, name)
		line := 1 + i*690
		for j, ru := range rules {
			st := Compliant
			switch h := (i*7 + j*13) % 20; {
			case h < 7:
				st = NonCompliant
			case h < 9:
				st = Unknown
			case h < 12:
				st = NotApplicable
			}
			val := "off"
			if st == Compliant {
				val = "on"
			}
			k := ru.param + val
			if evidence[k] == nil {
				evidence[k] = map[string]any{"configurations/" + ru.param + ": properties.value": val}
			}
			res := Result{RuleID: ru.id, ControlID: ru.control, Title: ru.title, Severity: ru.sev,
				ResourceID: id, ResourceType: fsType, ResourceName: name, Status: st, Effect: "AuditIfNotExists",
				Message:  "configurations/" + ru.param + " properties.value is \"" + val + "\". Current value must be equal to the target value.",
				Evidence: evidence[k], Location: &Location{File: "fleet.json", StartLine: line + 10*j, EndLine: line + 10*j + 4}}
			if st != Compliant && st != NotApplicable {
				res.Remediation = ru.rem
			}
			r.Results = append(r.Results, res)
		}
		if i%5 == 0 {
			fw := id + "/firewallRules/AllowAll"
			r.Results = append(r.Results, Result{RuleID: "PGB-NS2-01", ControlID: "NS-2", Title: "Public network access should be disabled",
				Severity: High, ResourceID: fw, ResourceType: fsType + "/firewallRules", ResourceName: "AllowAll", Status: NonCompliant,
				Message: "The firewall rule allows 0.0.0.0-255.255.255.255.", Location: &Location{File: "fleet.json", StartLine: line + 600, EndLine: line + 610},
				Remediation: remPublic})
		}
	}
	for _, res := range r.Results {
		r.Summary.Add(res.Status)
	}
	return r, o
}

// TestHTMLFleetInBrowser writes the HTML report of a 20,000-server fleet
// and opens it in headless Chromium: the page must stay under 5 MB and
// show the controls and the first findings. The load time (navigation to
// DOMContentLoaded, and to the findings' first render) is logged, not
// asserted; docs/benchmarks.md records it.
func TestHTMLFleetInBrowser(t *testing.T) {
	b := browsertest.Start(t, 3*time.Minute)
	const servers = 20000
	rep, o := fleetReport(servers)
	page := filepath.Join(t.TempDir(), "fleet.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	began := time.Now()
	if err := writeHTML(w, rep, o); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
	written := time.Since(began)
	st, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d servers, %d results: HTML report %.2f MB, written in %v", servers, len(rep.Results), float64(st.Size())/1e6, written.Round(time.Millisecond))
	if st.Size() >= 5<<20 {
		t.Errorf("the HTML report of %d servers is %d bytes, want under 5 MB", servers, st.Size())
	}
	rep = nil

	type timing struct{ DOMContentLoaded, Rendered float64 }
	start := time.Now()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: page}).String()),
		chromedp.WaitVisible(chromedp.CSS(`#findings > tbody > tr`))); err != nil {
		t.Fatalf("open: %v", err)
	}
	wall := time.Since(start)
	tm, err := chromedp.Run(b.Ctx, chromedp.Evaluate[timing](`(() => {
		const n = performance.getEntriesByType('navigation')[0];
		const r = performance.getEntriesByName('pgbaseline-rendered')[0];
		return {DOMContentLoaded: n.domContentLoadedEventEnd, Rendered: r ? r.startTime : -1};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: DOMContentLoaded at %.0f ms, findings rendered at %.0f ms (navigation start to first render); %v wall clock to the first row",
		tm.DOMContentLoaded, tm.Rendered, wall.Round(time.Millisecond))
	type shown struct {
		Controls, Rows int
		Shown, First   string
	}
	got, err := chromedp.Run(b.Ctx, chromedp.Evaluate[shown](`({
		Controls: document.querySelectorAll('table.controls tbody tr').length,
		Rows: document.querySelectorAll('#findings > tbody > tr').length,
		Shown: document.getElementById('shown').textContent,
		First: document.querySelector('#findings > tbody > tr').cells[1].textContent})`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Controls == 0 || got.Rows != 100 || got.First != "NonCompliant" {
		t.Errorf("the fleet's page shows %d controls and %d findings rows (first %q), want the controls and a page of 100 failing findings", got.Controls, got.Rows, got.First)
	}
	if n := strings.ReplaceAll(got.Shown, ",", ""); n == "0" || n == "" {
		t.Errorf("%q findings need attention", got.Shown)
	}
	if dir := os.Getenv("PGBASELINE_ARTIFACTS"); dir != "" {
		if shot, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot()); err == nil && os.MkdirAll(dir, 0o755) == nil {
			_ = os.WriteFile(filepath.Join(dir, "report-html-fleet.png"), shot, 0o644)
		}
	}
	for _, p := range b.Problems() {
		t.Errorf("browser reported: %s", p)
	}
}
