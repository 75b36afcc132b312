package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/report"
)

// A database target and a file target in one scan: the database's results
// join the report, a failing second target is an error (exit 2) that loses
// nothing, and the password appears nowhere.
func TestScanPostgresTargets(t *testing.T) {
	if _, err := pgtest.BinDir(); err != nil {
		t.Skipf("PostgreSQL is not installed (bash .ci/run installs it): %v", err)
	}
	c := pgtest.Start(t, pgtest.Config{})
	dsn := c.SuperDSN("postgres")
	bad := "postgres://scanner:hunter2-not-real@127.0.0.1:1/postgres?connect_timeout=2"
	out := filepath.Join(t.TempDir(), "r.json")
	code := run([]string{"scan", "--quiet", "--format", "json", "--output", out,
		"--postgres", dsn, "--postgres", bad, "../../examples/exports/hardened-server.json"})
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if code != 2 {
		t.Errorf("exit %d, want 2 for the unreachable target", code)
	}
	for _, secret := range []string{c.Password, "hunter2-not-real"} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("the report contains a password")
		}
	}
	rep := decodeReport(t, data)
	var db, file int
	for _, r := range rep.Results {
		switch {
		case strings.HasPrefix(r.RuleID, "PGB-DB-"):
			db++
			if r.ResourceType != "PostgreSQL" || r.ControlID == "" || r.Feature == "" {
				t.Errorf("database result %s: type %q control %q feature %q", r.RuleID, r.ResourceType, r.ControlID, r.Feature)
			}
		case r.ResourceName == "psql-orders-prod":
			file++
		}
	}
	if db < 20 || file < 30 {
		t.Errorf("database results %d, file results %d", db, file)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "127.0.0.1:1") {
		t.Errorf("errors %+v", rep.Errors)
	}
	kinds := map[string]int{}
	for _, tg := range rep.Targets {
		kinds[tg.Kind]++
	}
	if kinds["postgres"] != 2 || kinds["arm-export"] != 1 {
		t.Errorf("targets %+v", rep.Targets)
	}
	var sawDP3 bool
	for _, cs := range rep.Controls {
		if cs.ID == "DP-3" && cs.Counts[report.NonCompliant] > 0 {
			sawDP3 = true // the throwaway cluster runs without TLS
		}
	}
	if !sawDP3 {
		t.Error("DP-3 does not fail for a server without TLS")
	}
}
