package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

func server(name string) *arm.Resource {
	r := arm.New(map[string]any{
		"id":   "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name,
		"type": "Microsoft.DBforPostgreSQL/flexibleServers", "name": name,
		"properties": map[string]any{"authConfig": map[string]any{"passwordAuth": "Enabled"}},
	}, arm.Origin{File: "main.tf", Line: 10})
	r.Address = "azurerm_postgresql_flexible_server." + name
	return r
}

func TestFindingsAndSuppressions(t *testing.T) {
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	leaky, clean, suppressed, expired := server("leaky"), server("clean"), server("quiet"), server("stale")
	suppressed.Suppressions = []arm.Suppression{{RuleID: "PGB-IM1-01", Reason: "migration to Entra in Q1",
		Expires: now.AddDate(0, 1, 0), Origin: arm.Origin{File: "main.tf", Line: 9}}}
	expired.Suppressions = []arm.Suppression{{RuleID: "pgb-im1-01", Reason: "old", Expires: now.AddDate(0, -1, 0), Origin: arm.Origin{File: "main.tf", Line: 30}}}
	in := &source.Input{Kind: source.KindTerraform, Location: "infra", Resources: []*arm.Resource{leaky, clean, suppressed, expired},
		Findings: []source.Finding{{RuleID: "PGB-IM8-01", Resource: leaky, File: "main.tf", Line: 14, Status: "NonCompliant",
			Message: "administrator_password is a literal string.", Evidence: map[string]any{"attribute": "administrator_password"}}}}
	rep, err := e.Run(context.Background(), Options{Inputs: []*source.Input{in}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.Result{}
	for _, r := range rep.Results {
		got[r.RuleID+" "+r.ResourceName] = r
	}
	if r := got["PGB-IM8-01 leaky"]; r.Status != report.NonCompliant || r.ControlID != "IM-8" || r.Location == nil || r.Location.StartLine != 14 ||
		r.ResourceID != "azurerm_postgresql_flexible_server.leaky" || r.Remediation == nil {
		t.Errorf("finding result: %+v", r)
	}
	if r := got["PGB-IM8-01 clean"]; r.Status != report.Compliant {
		t.Errorf("clean server: %s", r.Status)
	}
	if r := got["PGB-IM1-01 quiet"]; r.Status != report.Exempt || !strings.Contains(r.Message, "main.tf:9: migration to Entra in Q1") {
		t.Errorf("suppressed: %s %q", r.Status, r.Message)
	}
	if r := got["PGB-IM1-01 stale"]; r.Status != report.NonCompliant || !strings.Contains(r.Message, "expired on 2026-10-28") {
		t.Errorf("expired suppression: %s %q", r.Status, r.Message)
	}
	if r := got["PGB-IM1-01 leaky"]; r.Status != report.NonCompliant {
		t.Errorf("unsuppressed: %s", r.Status)
	}
	// Source rules give no result on resources from inputs they do not read.
	for k := range got {
		if strings.HasPrefix(k, "PGB-IM8-02") {
			t.Errorf("template rule on a Terraform resource: %s", k)
		}
	}
}
