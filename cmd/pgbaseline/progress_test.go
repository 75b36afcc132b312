package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

// TestScanSkipsItsOwnOutput checks that `scan DIR > DIR/o.json` does not
// read the report it is writing (here already half written).
func TestScanSkipsItsOwnOutput(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../examples/exports/public-server.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "o.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	out.WriteString(`{"schemaVersion": 1, "results": [`) // a report cut short
	var stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"scan", dir, "--format", "json"})
	root.SetOut(out)
	root.SetErr(&stderr)
	_ = root.Execute()
	if !strings.Contains(stderr.String(), "o.json: skipped: it is the report this scan writes") {
		t.Errorf("no note about the skipped output; stderr:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "error:") {
		t.Errorf("the scan read its own output:\n%s", stderr.String())
	}
}

// TestScanSummaryLine checks the line scan prints after writing a file.
func TestScanSummaryLine(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"json", "html"} {
		out := filepath.Join(dir, "r."+format)
		var stderr bytes.Buffer
		root := newRootCmd()
		root.SetArgs([]string{"scan", "../../examples/exports", "-o", out})
		root.SetErr(&stderr)
		_ = root.Execute()
		want := "pgbaseline: wrote " + out + ": "
		line := ""
		for _, l := range strings.Split(stderr.String(), "\n") {
			if strings.HasPrefix(l, want) {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, " servers, ") || !strings.Contains(line, " failing (") {
			t.Errorf("%s: no summary line; stderr:\n%s", format, stderr.String())
		}
	}
}

// TestFailureCounter feeds a JSON report through the counter in small
// writes and compares its counts with the report's.
func TestFailureCounter(t *testing.T) {
	rep := &report.Report{SchemaVersion: 1}
	sevs := []report.Severity{report.High, report.Low, report.Medium, report.Critical, ""}
	sts := []report.Status{report.NonCompliant, report.Compliant, report.NonCompliant, report.Unknown}
	for i := 0; i < 200; i++ {
		rep.Results = append(rep.Results, report.Result{RuleID: "R", Severity: sevs[i%len(sevs)], Status: sts[i%len(sts)],
			Evidence: map[string]any{"x": map[string]any{"severity": "high", "status": "NonCompliant"}}})
		rep.Summary.Add(sts[i%len(sts)])
	}
	rep.Controls = []report.ControlSummary{{ID: "NS-1", Status: report.NonCompliant}}
	var full bytes.Buffer
	if err := report.Write(&full, rep, report.FormatJSON, report.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 7, 64, 1 << 20} {
		c := &failureCounter{w: &bytes.Buffer{}}
		b := full.Bytes()
		for len(b) > 0 {
			n := min(chunk, len(b))
			c.Write(b[:n])
			b = b[n:]
		}
		want := report.CountFailures(rep.Results)
		if c.f.Total != want.Total || c.f.String() != want.String() {
			t.Errorf("chunks of %d: counted %s, want %s", chunk, c.f, want)
		}
	}
}
