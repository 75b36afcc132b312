package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// catalogTable runs `pgbaseline <args>` with $COLUMNS set to columns ("" for
// a pipe) and returns what it prints.
func catalogTable(t *testing.T, columns string, args ...string) string {
	t.Helper()
	t.Setenv("COLUMNS", columns)
	var buf bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&buf)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkFits fails for a line wider than width or a cell cut with "…".
func checkFits(t *testing.T, out string, width int) {
	t.Helper()
	for i, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			t.Errorf("line %d is %d columns, wider than %d: %q", i+1, n, width, l)
		}
		if strings.Contains(l, "…") {
			t.Errorf("line %d is cut: %q", i+1, l)
		}
	}
}

// TestCatalogTablesGolden compares `controls` and `rules` at 100 and 160
// columns with testdata/golden: every line fits, nothing is cut, and
// every rule title and feature name is there in full. Run with -update to
// accept a change, and review the diff.
func TestCatalogTablesGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"controls", []string{"controls"}},
		{"rules", []string{"rules"}},
		{"controls-dp-3", []string{"controls", "DP-3"}},
		{"rules-pgb-ns2-01", []string{"rules", "PGB-NS2-01"}},
	} {
		for _, width := range []string{"100", "160"} {
			t.Run(c.name+"."+width, func(t *testing.T) {
				got := catalogTable(t, width, c.args...)
				w := map[string]int{"100": 100, "160": 160}[width]
				if c.name == "controls" || c.name == "rules" {
					checkFits(t, got, w)
				}
				path := filepath.Join("testdata", "golden", c.name+"."+width+".txt")
				if *updateGolden {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/pgbaseline -run TestCatalogTablesGolden -update)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from %s: run go test ./cmd/pgbaseline -run TestCatalogTablesGolden -update and review the diff\n%s",
						strings.Join(c.args, " "), path, firstDiff(want, []byte(got)))
				}
			})
		}
	}
}

// The titles and names wrap onto the next lines: joined back, each is whole.
func TestCatalogTablesWrapWithoutLosingText(t *testing.T) {
	out := strings.Join(strings.Fields(catalogTable(t, "100", "rules")), " ")
	for _, title := range []string{
		"The delegated subnet of a PostgreSQL flexible server should have a network security group that does not open PostgreSQL to the internet",
		"[Deprecated]: Azure PostgreSQL flexible server should have Azure Active Directory Only Authentication enabled",
	} {
		if !strings.Contains(out, title) {
			t.Errorf("rules at 100 columns lacks the whole title %q", title)
		}
	}
	// The feature name wraps inside its column: its rest is on the next line.
	lines := strings.Split(catalogTable(t, "100", "controls"), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, "  Azure AD Authentication Required for Data Plane ") && i+1 < len(lines) {
			found = strings.TrimSpace(lines[i+1]) == "Access"
		}
	}
	if !found {
		t.Error("controls at 100 columns does not show the whole feature name \"Azure AD Authentication Required for Data Plane Access\"")
	}
}

// A table written to a pipe is fitted to 120 columns.
func TestCatalogTablesPipedWidth(t *testing.T) {
	for _, cmd := range []string{"controls", "rules"} {
		out := catalogTable(t, "", cmd)
		checkFits(t, out, 120)
		widest := 0
		for _, l := range strings.Split(out, "\n") {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		if widest < 100 {
			t.Errorf("piped %s is at most %d columns wide, want it fitted to 120", cmd, widest)
		}
	}
}
