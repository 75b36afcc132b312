package terraform_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/terraform"
	"github.com/pgbaseline/pgbaseline/report"
)

func runScan(t *testing.T, inputs ...*source.Input) *report.Report {
	t.Helper()
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := scan.NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Run(context.Background(), scan.Options{Inputs: inputs, Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// verdicts returns "rule server-name" -> status for the results on
// resources, skipping source-text rules (which only the code has).
func verdicts(rep *report.Report) map[string]report.Status {
	out := map[string]report.Status{}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.RuleID, "PGB-IM8") {
			continue
		}
		out[r.RuleID+" "+r.ResourceType+" "+r.ResourceName] = r.Status
	}
	return out
}

// TestScanMatchesExport scans the insecure example as Terraform and the
// export of the same deployment (testdata/insecure-export.json, as
// `az resource show` prints it) and compares the verdicts.
func TestScanMatchesExport(t *testing.T) {
	tf := terraform.ReadModule(filepath.Join("..", "..", "..", "examples", "terraform", "insecure"), nil, terraform.Options{})
	data, err := os.ReadFile("testdata/insecure-export.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	_ = doc
	export := scan.LoadPaths([]string{"testdata/insecure-export.json"})
	tfRep := runScan(t, tf)
	exRep := runScan(t, export...)
	if len(exRep.Errors) > 0 || len(tfRep.Errors) > 0 {
		t.Fatalf("errors: %+v %+v", exRep.Errors, tfRep.Errors)
	}
	tv, ev := verdicts(tfRep), verdicts(exRep)
	var keys []string
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := ev[k]
		got, ok := tv[k]
		if k == "AZP-c29c38cb Microsoft.DBforPostgreSQL/flexibleServers psql-legacy" {
			want = report.Exempt // suppressed inline in the code
		}
		if !ok {
			t.Errorf("%s: no Terraform result (export: %s)", k, want)
			continue
		}
		if got != want {
			t.Errorf("%s: Terraform %s, export %s", k, got, want)
		}
	}
	for k := range tv {
		if _, ok := ev[k]; !ok {
			t.Errorf("%s: only in the Terraform scan (%s)", k, tv[k])
		}
	}
	// Per control: the same rollup, apart from IM-8 (literal secrets are
	// only visible in code).
	ec := map[string]report.Status{}
	for _, c := range exRep.Controls {
		ec[c.ID] = c.Status
	}
	for _, c := range tfRep.Controls {
		if c.ID == "IM-8" {
			if c.Status != report.NonCompliant {
				t.Errorf("IM-8 on the insecure code: %s", c.Status)
			}
			continue
		}
		want := ec[c.ID]
		if c.ID == "DP-3" {
			// The only DP-3 failure, require_secure_transport=off, is
			// suppressed inline in the code until 2027-06-30.
			want = report.Compliant
		}
		if want != c.Status {
			t.Errorf("control %s: Terraform %s, export %s", c.ID, c.Status, ec[c.ID])
		}
	}
	// Results point at the code.
	for _, r := range tfRep.Results {
		if r.RuleID == "AZP-5e1de0e3" && r.ResourceName == "psql-legacy" {
			if r.ResourceID != "azurerm_postgresql_flexible_server.legacy" || r.Location == nil || !strings.HasSuffix(r.Location.File, "main.tf") || r.Location.StartLine != 34 {
				t.Errorf("public access result location: %+v %+v", r.ResourceID, r.Location)
			}
		}
	}
}
