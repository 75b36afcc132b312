package main

import (
	"bytes"
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
		"single\texamples/exports/hardened-server.json\tpgbaseline\t0.045\t0.03\t0.01\t14336\t\t2 ms\n"
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
		"| 1,000 | 5 MB | 0.10 s / 0.12 s / 30 MiB | 0.20 s / 0.35 s / 60 MiB | not run | 2.00× | 2.00× | 0.20 |",
		"| 20,000 | 106 MB | 2.00 s / 2.40 s / 450 MiB | 4.00 s / 7.00 s / 900 MiB | 3.00 s / 6.00 s / 675 MiB | 2.00× | 2.00× | 0.20, 0.15 |",
		"![Wall time and peak memory against fleet size](curve.png)",
		"| 200 | 0.50 s / 100 MiB | 300 (500) | 8.50 s / 500 MiB | 40 (90) | 17.0× |",
		"| `examples/exports/hardened-server.json` | 45 ms ± 2 ms | 14 MiB |",
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
