package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanSaysWhenNothingIsAssessed checks that a scan whose inputs hold no
// PostgreSQL resource says so, on stderr and in the report's notes, and
// that one that read nothing at all (an empty directory) fails with exit 2
// and an error naming the input, so that it cannot pass CI silently.
func TestScanSaysWhenNothingIsAssessed(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	storage := filepath.Join(dir, "storage.json")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(storage, []byte(`{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs",
  "type": "Microsoft.Storage/storageAccounts", "name": "logs", "properties": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		quiet     bool
		wantCode  int
		wantError string // in the report's errors; "" for none
		wantNote  string // in the report's notes and, unless quiet, on stderr
	}{
		{"empty directory", []string{empty}, false, 2, "nothing to scan: " + empty, empty + ": no file of a kind pgbaseline reads"},
		{"empty directory, quiet", []string{empty}, true, 2, "nothing to scan", "no file of a kind pgbaseline reads"},
		{"no PostgreSQL resource", []string{storage}, false, 0, "", "no PostgreSQL resource in the inputs"},
		{"no PostgreSQL resource, quiet", []string{storage}, true, 0, "", "no PostgreSQL resource in the inputs"},
		{"a PostgreSQL server", []string{"../../examples/exports/hardened-server.json"}, false, 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"scan", "--format", "json", "--output", out, "--fail-on", "never"}, c.args...)
			if c.quiet {
				args = append(args, "--quiet")
			}
			var code int
			stderr := captureStderr(t, func() { code = run(args) })
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("no report (exit %d): %v", code, err)
			}
			rep := decodeReport(t, data)
			if code != c.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.wantCode, stderr)
			}
			switch {
			case c.wantError == "" && len(rep.Errors) > 0:
				t.Errorf("errors: %+v", rep.Errors)
			case c.wantError != "" && (len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, c.wantError)):
				t.Errorf("errors %+v, want one with %q", rep.Errors, c.wantError)
			}
			if c.wantNote == "" {
				if len(rep.Notes) > 0 || strings.Contains(string(data), `"notes"`) {
					t.Errorf("notes %q in a report that needs none", rep.Notes)
				}
				return
			}
			if !strings.Contains(strings.Join(rep.Notes, "\n"), c.wantNote) {
				t.Errorf("notes %q, want %q", rep.Notes, c.wantNote)
			}
			if onStderr := strings.Contains(stderr, "pgbaseline: note: ") && strings.Contains(stderr, c.wantNote); onStderr == c.quiet {
				t.Errorf("quiet %v, stderr:\n%s", c.quiet, stderr)
			}
		})
	}
}
