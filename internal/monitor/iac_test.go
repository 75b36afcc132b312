package monitor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
)

// TestPathTargetReadsEveryKind checks that a path target is read as
// `pgbaseline scan` reads it: Terraform modules and ARM templates, not
// only exports, with the target's Terraform variables.
func TestPathTargetReadsEveryKind(t *testing.T) {
	tf, err := filepath.Abs("../../examples/terraform/hardened")
	if err != nil {
		t.Fatal(err)
	}
	arm, err := filepath.Abs("../../examples/arm-templates/hardened-server")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustParse(t, `
targets:
  - name: iac
    paths: [`+tf+`, `+arm+`]
    vars: {workload: billing}
`)
	st := openStore(t, sqliteURL(t))
	m := testMonitor(t, cfg, st)
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	sc, err := m.Trigger(bg, "iac", "api:test")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, st, sc.ID, store.ScanDone, 60*time.Second)
	rep, err := st.Report(bg, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, tg := range rep.Targets {
		kinds[tg.Kind] = true
	}
	if !kinds["terraform"] || !kinds["arm-template"] {
		t.Fatalf("targets read: %+v; want terraform and arm-template", rep.Targets)
	}
	var fromVar bool
	for _, r := range rep.Results {
		if r.ResourceName == "psql-billing-prod-api" {
			fromVar = true
		}
	}
	if !fromVar {
		t.Errorf("no result names the server from the target's vars")
	}
	if len(rep.Errors) > 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
}
