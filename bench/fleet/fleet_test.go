package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/report"
)

// kinds are the generators, with the file each writes into a fleet
// directory.
var kinds = []struct {
	name  string
	file  string
	write func(io.Writer, int) error
}{
	{"export", "fleet.json", WriteExport},
	{"terraform", "main.tf", WriteTerraform},
	{"armtemplate", "template.json", WriteARMTemplate},
}

// writeFleet writes a fleet of n servers of one kind into a new directory
// and returns the path to scan.
func writeFleet(tb testing.TB, kind int, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, kinds[kind].file)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := kinds[kind].write(f, n); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if kinds[kind].name == "terraform" {
		return dir
	}
	return path
}

func newEngine(tb testing.TB) *scan.Engine {
	tb.Helper()
	cat, err := baseline.Load()
	if err != nil {
		tb.Fatal(err)
	}
	e, err := scan.NewEngine(cat, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func scanPath(tb testing.TB, e *scan.Engine, path string) *report.Report {
	tb.Helper()
	rep, err := e.Run(context.Background(), scan.Options{Paths: []string{path}, Loader: detect.Loader(detect.Options{}), Now: scanTime})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// scanTime is the evaluation time of the tests' scans.
var scanTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

const serverType = "Microsoft.DBforPostgreSQL/flexibleServers"

// verdicts maps rule id -> server name -> status, for the results on
// servers.
func verdicts(rep *report.Report) map[string]map[string]report.Status {
	out := map[string]map[string]report.Status{}
	for _, r := range rep.Results {
		if r.ResourceType != serverType {
			continue
		}
		if out[r.RuleID] == nil {
			out[r.RuleID] = map[string]report.Status{}
		}
		out[r.RuleID][r.ResourceName] = r.Status
	}
	return out
}

// TestFleetsScanConsistently scans each generator's fleet at 2 and at 50
// servers and checks what a user of the benchmark relies on: the scan reads
// every server without an error, each server rule gives exactly one result
// per server, server i gets the same verdicts whatever the fleet's size,
// hardened and weak servers differ, and the counts add up.
func TestFleetsScanConsistently(t *testing.T) {
	e := newEngine(t)
	for k, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			small := scanPath(t, e, writeFleet(t, k, 2))
			path50 := writeFleet(t, k, 50)
			big := scanPath(t, e, path50)
			for _, rep := range []*report.Report{small, big} {
				if len(rep.Errors) > 0 {
					t.Fatalf("scan errors: %+v", rep.Errors)
				}
				if rep.Summary.Total != len(rep.Results) {
					t.Errorf("summary total %d, %d results", rep.Summary.Total, len(rep.Results))
				}
			}
			servers := 0
			for _, r := range big.Resources {
				if r.Type == serverType {
					servers++
				}
			}
			if servers != 50 {
				t.Fatalf("%d servers read, want 50", servers)
			}
			sv, bv := verdicts(small), verdicts(big)
			if len(bv) == 0 || len(sv) != len(bv) {
				t.Fatalf("%d server rules at 2 servers, %d at 50", len(sv), len(bv))
			}
			differ := 0
			for rule, byServer := range bv {
				if len(byServer) != 50 {
					t.Errorf("rule %s: results on %d servers, want 50", rule, len(byServer))
				}
				for i := 0; i < 50; i++ {
					got, want := byServer[fmt.Sprintf("psql-%06d", i)], sv[rule][fmt.Sprintf("psql-%06d", i%2)]
					if got != want {
						t.Errorf("rule %s: psql-%06d is %s in a fleet of 50, psql-%06d is %s in a fleet of 2", rule, i, got, i%2, want)
					}
				}
				if byServer["psql-000000"] != byServer["psql-000001"] {
					differ++
				}
			}
			if differ < 5 {
				t.Errorf("only %d rules tell the hardened server from the weak one", differ)
			}
			if big.Summary.NonCompliant == 0 || big.Summary.Compliant == 0 {
				t.Errorf("summary %+v: want both compliant and non-compliant results", big.Summary)
			}
			// The streaming report of the same fleet (written by several
			// workers at this size, and an export read one server at a
			// time) holds the same results in the same order.
			var buf bytes.Buffer
			loader := detect.Loader(detect.Options{})
			loader.LazyMin = 1
			o := scan.Options{Paths: []string{path50}, Loader: loader, Now: scanTime}
			srep, code, err := e.RunJSON(context.Background(), o, &buf, "high")
			if err != nil {
				t.Fatal(err)
			}
			if srep.Summary != big.Summary || code != scan.ExitCode(big, "high") {
				t.Errorf("RunJSON: summary %+v exit %d, Run: %+v exit %d", srep.Summary, code, big.Summary, scan.ExitCode(big, "high"))
			}
			var streamed struct{ Results []report.Result }
			if err := json.Unmarshal(buf.Bytes(), &streamed); err != nil {
				t.Fatal(err)
			}
			if len(streamed.Results) != len(big.Results) {
				t.Fatalf("RunJSON wrote %d results, Run has %d", len(streamed.Results), len(big.Results))
			}
			for i, r := range streamed.Results {
				w := big.Results[i]
				if r.RuleID != w.RuleID || r.ResourceID != w.ResourceID || r.Status != w.Status || r.Message != w.Message {
					t.Fatalf("result %d: RunJSON %s %s %s, Run %s %s %s", i, r.RuleID, r.ResourceID, r.Status, w.RuleID, w.ResourceID, w.Status)
				}
			}
		})
	}
}
