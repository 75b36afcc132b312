package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCountPgbaseline(t *testing.T) {
	rep := `{"schemaVersion": 1, "tool": {"name": "pgbaseline"}, "results": [
	  {"resourceType": "Microsoft.DBforPostgreSQL/flexibleServers", "status": "NonCompliant"},
	  {"resourceType": "microsoft.dbforpostgresql/flexibleservers", "status": "NonCompliant"},
	  {"resourceType": "Microsoft.DBforPostgreSQL/flexibleServers", "status": "Compliant"},
	  {"resourceType": "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "status": "NonCompliant"},
	  {"resourceType": "Microsoft.Insights/diagnosticSettings", "status": "NonCompliant"}],
	  "summary": {"total": 4}}`
	on, total, err := countPgbaseline(strings.NewReader(rep))
	if err != nil || on != 3 || total != 4 {
		t.Fatalf("countPgbaseline = %d, %d, %v; want 3, 4", on, total, err)
	}
	if _, _, err := countPgbaseline(strings.NewReader(`{"summary": {}}`)); err == nil {
		t.Error("a report without results: want an error")
	}
}

func TestCountTrivy(t *testing.T) {
	rep := `{"Results": [{"Target": "main.tf", "Misconfigurations": [
	  {"Status": "FAIL", "CauseMetadata": {"Resource": "azurerm_postgresql_flexible_server.s000001"}},
	  {"Status": "PASS", "CauseMetadata": {"Resource": "azurerm_postgresql_flexible_server.s000001"}},
	  {"Status": "FAIL", "CauseMetadata": {"Resource": "azurerm_postgresql_flexible_server_configuration.x"}},
	  {"Status": "FAIL", "CauseMetadata": {"Resource": "azurerm_storage_account.logs"}}]}]}`
	on, total, err := countTrivy(strings.NewReader(rep))
	if err != nil || on != 2 || total != 3 {
		t.Fatalf("countTrivy = %d, %d, %v; want 2, 3", on, total, err)
	}
}

func TestSplice(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nafter\n"
	got, err := splice(doc, "new\n")
	if err != nil || got != "# Benchmarks\n\nintro\n\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\n\nafter\n" {
		t.Errorf("splice = %q, %v", got, err)
	}
	got, err = splice("# B\n", "new\n")
	if err != nil || got != "# B\n\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\n" {
		t.Errorf("splice without markers = %q, %v", got, err)
	}
	if _, err := splice("<!-- bench:end -->\n<!-- bench:begin -->\n", "x"); err == nil {
		t.Error("markers out of order: want an error")
	}
}

// TestRender renders a small results file and checks the tables and the
// chart a reader sees.
func TestRender(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.tsv")
	tsv := "export\t1000\tdecode\t0.10\t0.10\t0.02\t30720\t\t5 MB\n" +
		"export\t1000\tpgbaseline\t0.20\t0.30\t0.05\t61440\t\t5 MB\n" +
		"export\t20000\tdecode\t2.00\t2.00\t0.40\t460800\t\t106 MB\n" +
		"export\t20000\tpgbaseline\t4.00\t6.00\t1.00\t921600\t\t106 MB\n" +
		"export\t20000\tnull\t3.00\t5.00\t1.00\t691200\t\t106 MB\n" +
		"terraform\t200\tpgbaseline\t0.50\t0.60\t0.10\t102400\t300 500\t\n" +
		"terraform\t200\ttrivy\t8.50\t9.00\t1.00\t512000\t40 90\tVersion: 0.74.0\n" +
		"single\texamples/exports/hardened-server.json\tpgbaseline\t0.045\t0.03\t0.01\t14336\t\t2 ms\n" +
		"single\texamples/terraform/hardened\tpgbaseline\t0.09\t0.04\t0.01\t30720\t\t1 run\n"
	if err := os.WriteFile(results, []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "benchmarks.md")
	if err := os.WriteFile(doc, []byte("# Benchmarks\n\nkept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dir, "curve.png")
	if err := run([]string{"render", "-results", results, "-doc", doc, "-chart", chart, "-machine", "2 cores"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(doc)
	for _, want := range []string{
		"kept\n",
		"Measured on 2 cores.",
		"| 1,000 | 5 MB | `jsondecode` (the yardstick) | 1 | 0.100 | 0.120 | 30 MiB | n/a, n/a | — | — | — | 0.100 |\n" +
			"|  |  | `pgbaseline scan --format json -o FILE` | 1 | 0.200 | 0.350 | 60 MiB | n/a, n/a | 2.00× | 2.92× | 2.00× | 0.200 |\n" +
			"| 20,000 | 106 MB |",
		"|  |  | the same, `-o /dev/null` | 1 | 3.000 | 6.000 | 675 MiB | n/a, n/a | 1.50× | 2.50× | 1.50× | 0.150 |",
		"Fewer than 5 rounds (servers, rounds): 1,000 (1), 20,000 (1).",
		"![Wall time (median, bars from min to max) and peak memory against fleet size](curve.png)",
		"| 200 | 1 | 0.50 s / 0.70 s / 100 MiB | 300 (500) | 8.50 s / 10.00 s / 500 MiB | 40 (90) | 17.0× |",
		"| `examples/exports/hardened-server.json` | 45 ms ± 2 ms | 14 MiB |",
		"| `examples/terraform/hardened` | 90 ms (1 run) | 30 MiB |",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("document lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 400 {
		t.Errorf("chart is %v", b)
	}
}

func TestReadResultsNamesTheBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.tsv")
	os.WriteFile(path, []byte("export\t1\tdecode\t0.1\t0.1\t0\t10\t\t\nexport\t1\tdecode\tfast\t0.1\t0\t10\t\t\n"), 0o644)
	if _, err := readResults(path); err == nil || !strings.Contains(err.Error(), "r.tsv:2") {
		t.Errorf("err = %v, want one naming r.tsv:2", err)
	}
}

// rounds writes n rounds of decode, pgbaseline and null runs at one export
// size: decode's wall times are dec, the scan's twice as long plus i/100 in
// round i, the /dev/null scan's 1.5 times; CPU is wall + 0.1 s.
func rounds(size string, dec []float64) string {
	var b strings.Builder
	for i, d := range dec {
		for _, c := range []struct {
			tool string
			wall float64
			rss  int
		}{{"decode", d, 1024 * 100}, {"pgbaseline", 2*d + float64(i)/100, 1024 * 80}, {"null", 1.5 * d, 1024 * 75}} {
			fmt.Fprintf(&b, "export\t%s\t%s\t%.4f\t%.4f\t0.1000\t%d\t\t5 MiB\n", size, c.tool, c.wall, c.wall, c.rss)
		}
	}
	return b.String()
}

// TestRenderRounds checks what the document shows of alternated rounds:
// min / median / max, spreads, ratios of medians and per round.
func TestRenderRounds(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.tsv")
	tsv := rounds("1000", []float64{1.00, 1.04, 0.98, 1.10, 1.02}) + rounds("50000", []float64{40, 41, 42})
	if err := os.WriteFile(results, []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "benchmarks.md")
	os.WriteFile(doc, []byte("# B\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n"), 0o644)
	if err := run([]string{"render", "-results", results, "-doc", doc, "-chart", filepath.Join(dir, "c.png")}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(doc)
	// Decode wall 0.98 / 1.02 / 1.10 (spread 0.12 / 1.02 = 11.8%); CPU
	// adds 0.1 s. The scan's walls are 2.00, 2.09, 1.98, 2.23, 2.08: median
	// 2.08 over 1.02 = 2.04×; per round 2.00, 2.01, 2.02, 2.03, 2.04 (CPU: 1.91 to 1.95, median 1.93).
	for _, want := range []string{
		"| 1,000 | 5 MiB | `jsondecode` (the yardstick) | 5 | 0.980 / 1.020 / 1.100 | 1.080 / 1.120 / 1.200 | 100 MiB | 11.8%, 10.7% | — | — | — | 1.020 |",
		"|  |  | `pgbaseline scan --format json -o FILE` | 5 | 1.980 / 2.080 / 2.230 | 2.080 / 2.180 / 2.330 | 80 MiB | 12.0%, 11.5% | 2.04× (2.02×, 2.00–2.04) | 1.95× (1.93×, 1.91–1.95) | 0.80× | 2.080 |",
		"|  |  | the same, `-o /dev/null` | 5 | 1.470 / 1.530 / 1.650 | ",
		"| 50,000 | 5 MiB | `jsondecode` (the yardstick) | 3 | 40.00 / 41.00 / 42.00 |",
		"Fewer than 5 rounds (servers, rounds): 50,000 (3).",
		"at most 15% in both wall and CPU time",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("document lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "1,000 (5)") {
		t.Error("a size with 5 rounds is listed among those with fewer")
	}
}

// TestRefusesAMovingYardstick: when the decode's runs spread by more than
// 15%, check and render fail, say why, and the document is left alone.
func TestRefusesAMovingYardstick(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.tsv")
	// 1,000 servers steady; 5,000 servers: decode 1.0 to 1.2 s, a 19% spread.
	tsv := rounds("1000", []float64{0.20, 0.21, 0.20, 0.205, 0.20}) + rounds("5000", []float64{1.0, 1.2, 1.05, 1.1, 1.06})
	os.WriteFile(results, []byte(tsv), 0o644)
	doc := filepath.Join(dir, "benchmarks.md")
	const before = "# B\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n"
	os.WriteFile(doc, []byte(before), 0o644)
	chart := filepath.Join(dir, "c.png")

	err := run([]string{"render", "-results", results, "-doc", doc, "-chart", chart}, &bytes.Buffer{})
	if !errors.Is(err, errUnsteady) || !strings.Contains(err.Error(), "not writing "+doc) ||
		!strings.Contains(err.Error(), "at 5,000 servers the decode's wall time spreads 19% (1.000–1.200 s over 5 runs, median 1.060 s), above 15%") ||
		strings.Contains(err.Error(), "at 1,000 servers") {
		t.Errorf("render: err = %v", err)
	}
	if got, _ := os.ReadFile(doc); string(got) != before {
		t.Errorf("the document changed:\n%s", got)
	}
	if _, err := os.Stat(chart); err == nil {
		t.Error("the chart was written")
	}

	var out bytes.Buffer
	if err := run([]string{"check", "-results", results, "-size", "1000"}, &out); err != nil {
		t.Errorf("check -size 1000: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "export 1000 decode     5 runs: wall 0.200 / 0.200 / 0.210 s (spread 5.0%)") ||
		!strings.Contains(s, "export 1000 pgbaseline 5 runs:") || !strings.Contains(s, "÷ decode: wall 2.15× (2.10×, 2.00–2.20)") || strings.Contains(s, "5000") {
		t.Errorf("check -size 1000 printed:\n%s", s)
	}
	if err := run([]string{"check", "-results", results, "-size", "5000"}, &bytes.Buffer{}); !errors.Is(err, errUnsteady) {
		t.Errorf("check -size 5000: err = %v, want the yardstick moved", err)
	}
	if err := run([]string{"check", "-results", results, "-max-spread", "0.25"}, &bytes.Buffer{}); err != nil {
		t.Errorf("check -max-spread 0.25: %v", err)
	}
	// A size without a decode cannot be compared with anything.
	os.WriteFile(results, []byte("export\t1000\tpgbaseline\t0.2\t0.2\t0\t100\t\t\n"), 0o644)
	if err := run([]string{"check", "-results", results}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "no decode run") {
		t.Errorf("check without a decode: err = %v", err)
	}
}

// From 7 runs up, one disturbed run at either end does not void the
// measurement (the spread is taken over the middle runs, as bench/guard
// does); two of them at the same end still do.
func TestSteadySummaryTrimsOneRunEachEnd(t *testing.T) {
	one := []float64{1.00, 1.02, 1.01, 1.40, 1.03, 1.02, 1.01} // one slow run
	if sp := steadySummary(one).Spread(); sp > defaultMaxSpread {
		t.Errorf("one slow run in 7: spread %.2f, want it left out", sp)
	}
	two := []float64{1.00, 1.02, 1.01, 1.40, 1.03, 1.38, 1.01} // two slow runs
	if sp := steadySummary(two).Spread(); sp <= defaultMaxSpread {
		t.Errorf("two slow runs in 7: spread %.2f, want above %.2f", sp, defaultMaxSpread)
	}
	five := []float64{1.00, 1.02, 1.01, 1.40, 1.03}
	if sp := steadySummary(five).Spread(); sp <= defaultMaxSpread {
		t.Errorf("5 runs: every run counts; spread %.2f", sp)
	}
}
