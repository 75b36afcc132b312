package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/policy"
	"github.com/pgbaseline/pgbaseline/report"
)

// userPolicy is a user's definition, evaluated beside the catalog.
const userPolicy = `{"properties": {"displayName": "No public network access", "mode": "Indexed",
  "policyRule": {"if": {"allOf": [
    {"field": "type", "equals": "Microsoft.DBforPostgreSQL/flexibleServers"},
    {"field": "Microsoft.DBforPostgreSQL/flexibleServers/network.publicNetworkAccess", "equals": "Enabled"}]},
  "then": {"effect": "audit"}}}, "name": "no-public-access"}`

// TestRunJSONMatchesRun checks that the streaming JSON report holds what
// Run's report, written by report.Write, holds: the same results in the same
// order, the same resources, controls, errors and summary, and that RunJSON
// gives the same exit code, on every kind of example input, source findings
// and a user's policy included.
func TestRunJSONMatchesRun(t *testing.T) {
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	polPath := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(polPath, []byte(userPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	coll, errs := policy.LoadFiles([]string{polPath})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// lazyMin 1 reads every export file one server group at a time (the
	// fleet path) where that gives the same report; fleet says that it
	// must.
	cases := []struct {
		name     string
		paths    []string
		policies bool
		lazyMin  int
		fleet    bool
	}{
		{"examples", []string{"../../examples"}, false, 0, false},
		{"examples with a user policy", []string{"../../examples"}, true, 0, false},
		{"examples, exports read lazily", []string{"../../examples"}, false, 1, false},
		{"one export", []string{"../../examples/exports/public-server.json"}, false, 0, false},
		{"one export, lazily", []string{"../../examples/exports/hardened-server.json"}, false, 1, true},
		{"mixed fleet", []string{"testdata/fleet-mixed.json"}, false, 1, true},
		{"mixed fleet with a user policy", []string{"testdata/fleet-mixed.json"}, true, 1, true},
		{"mixed fleet and templates", []string{"testdata/fleet-mixed.json", "../../examples/arm-templates", "../../examples/terraform"}, false, 1, false},
		{"mixed fleet and other exports", []string{"testdata/fleet-mixed.json", "../../examples/exports/server-fleet.json"}, false, 1, false},
		{"missing file", []string{filepath.Join(dir, "missing.json")}, false, 0, false},
		{"nothing", nil, false, 0, false},
		{"an empty directory (a note and an error)", []string{t.TempDir()}, false, 0, false},
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := scan.NewEngine(cat, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.policies {
				if err := e.UsePolicies(coll); err != nil {
					t.Fatal(err)
				}
			}
			loader := detect.Loader(detect.Options{})
			loader.LazyMin = c.lazyMin
			o := scan.Options{Paths: c.paths, Loader: loader, Now: now}
			if c.fleet {
				if ok, err := scan.FleetPlanned(e, o); err != nil || !ok {
					t.Fatalf("the fleet path was not taken (%v)", err)
				}
			}
			rep, err := e.Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := report.Write(&want, rep, report.FormatJSON, report.Options{}); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			srep, code, err := e.RunJSON(context.Background(), o, &got, "medium")
			if err != nil {
				t.Fatal(err)
			}
			if wantCode := scan.ExitCode(rep, "medium"); code != wantCode {
				t.Errorf("exit code %d, Run's report gives %d", code, wantCode)
			}
			if len(srep.Results) != 0 || srep.Summary != rep.Summary || !reflect.DeepEqual(srep.Controls, rep.Controls) {
				t.Errorf("returned report: %d results, summary %+v, want none and %+v", len(srep.Results), srep.Summary, rep.Summary)
			}
			var g, w map[string]any
			if err := json.Unmarshal(got.Bytes(), &g); err != nil {
				t.Fatalf("streamed report is not JSON: %v\n%s", err, got.String())
			}
			if err := json.Unmarshal(want.Bytes(), &w); err != nil {
				t.Fatal(err)
			}
			for _, m := range []map[string]any{g, w} {
				delete(m, "startedAt")
				delete(m, "finishedAt")
			}
			for k := range w {
				if !reflect.DeepEqual(g[k], w[k]) {
					gs, _ := json.MarshalIndent(g[k], "", " ")
					ws, _ := json.MarshalIndent(w[k], "", " ")
					t.Errorf("%s differs:\n%.2000s\nwant\n%.2000s", k, gs, ws)
				}
			}
			if len(g) != len(w) {
				t.Errorf("members %d, want %d", len(g), len(w))
			}
			if n := len(w["results"].([]any)); c.name == "examples" && n < 100 {
				t.Errorf("only %d results on the examples", n)
			}
		})
	}
}
