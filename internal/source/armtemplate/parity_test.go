package armtemplate_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/report"
)

// ruleVerdicts returns "rule resource-type resource-name" -> status,
// skipping the source-text rules that only templates have.
func ruleVerdicts(rep *report.Report) map[string]report.Status {
	out := map[string]report.Status{}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.RuleID, "PGB-IM8") {
			continue
		}
		out[r.RuleID+" "+r.ResourceType+" "+r.ResourceName] = r.Status
	}
	return out
}

// TestTemplateCasesMatchExports expands example templates in the style of
// the Azure quickstarts and Azure Verified Modules, scans them, and scans
// the exports of what they deploy (written by hand from Azure's GET
// responses: Azure's defaults filled in, configurations with their
// source, the embedded private endpoint connections, diagnostic settings
// on the server). Every rule must reach the same verdict on every
// resource, and every control the same status.
//
// The cases the issue lists, and where each is:
//   - configurations as nested children and as top-level resources (a copy
//     loop): quickstart, hardened-server;
//   - firewall rules (a copy loop over a parameter): quickstart;
//   - an Entra administrator: quickstart, hardened-server;
//   - a private endpoint (and the connection it makes on the server):
//     quickstart;
//   - a diagnostic setting (scope on the server): quickstart,
//     hardened-server;
//   - a customer-managed key with a user-assigned identity: quickstart,
//     hardened-server;
//   - a copy loop of servers: server-fleet;
//   - a condition that removes a resource (shared_preload_libraries,
//     which Azure then keeps at its default): quickstart;
//   - a nested deployment (inner scope, a copy loop of databases):
//     quickstart.
func TestTemplateCasesMatchExports(t *testing.T) {
	const sub = "6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90"
	root := filepath.Join("..", "..", "..", "examples")
	cases := []struct {
		name, template, export string
		opts                   armtemplate.Options
		// mustHave are verdict keys that show the case is covered.
		mustHave map[string]report.Status
	}{
		{
			name:     "quickstart",
			template: filepath.Join(root, "arm-templates", "postgres-flexible-server", "azuredeploy.json"),
			// Not in examples/exports: its server shares its name with
			// hardened-server.json's, which tests of the whole directory
			// single out.
			export: filepath.Join("testdata", "postgres-flexible-server-export.json"),
			opts:   armtemplate.Options{Subscription: sub, ResourceGroup: "rg-orders-prod", Location: "westeurope"},
			mustHave: map[string]report.Status{
				// The nested child configuration.
				"AZP-c29c38cb Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.Compliant,
				// The top-level configurations of the copy loop.
				"AZP-70be9e12 Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.Compliant,
				// The condition removed pgaudit from shared_preload_libraries.
				"AZP-dd626066 Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.NonCompliant,
				// The firewall rules of the copy loop: judged, and not
				// applicable because public network access is disabled.
				"PGB-NS2-01 Microsoft.DBforPostgreSQL/flexibleServers/firewallRules office":       report.NotApplicable,
				"PGB-NS2-01 Microsoft.DBforPostgreSQL/flexibleServers/firewallRules build-agents": report.NotApplicable,
				// The private endpoint.
				"AZP-5375a5bb Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.Compliant,
				// Entra authentication (and its administrator).
				"AZP-fa498b91 Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.Compliant,
				// The diagnostic setting.
				"PGB-LT4-01 Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.Compliant,
				// The customer-managed key and its user-assigned identity.
				"AZP-12c74c95 Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod": report.Compliant,
				"PGB-IM3-01 Microsoft.DBforPostgreSQL/flexibleServers psql-orders-prod":   report.Compliant,
			},
		},
		{
			name:     "server fleet",
			template: filepath.Join(root, "arm-templates", "server-fleet", "main.json"),
			export:   filepath.Join(root, "exports", "server-fleet.json"),
			opts:     armtemplate.Options{Subscription: sub, ResourceGroup: "rg-fleet", Location: "northeurope"},
			mustHave: map[string]report.Status{
				"AZP-5e1de0e3 Microsoft.DBforPostgreSQL/flexibleServers psql-fleet-001": report.Compliant,
				"AZP-5e1de0e3 Microsoft.DBforPostgreSQL/flexibleServers psql-fleet-002": report.NonCompliant,
				"AZP-5e1de0e3 Microsoft.DBforPostgreSQL/flexibleServers psql-fleet-003": report.Compliant,
				// Azure's defaults for what the template leaves out.
				"PGB-BR1-02 Microsoft.DBforPostgreSQL/flexibleServers psql-fleet-001":   report.NonCompliant,
				"AZP-12c74c95 Microsoft.DBforPostgreSQL/flexibleServers psql-fleet-002": report.NonCompliant,
			},
		},
		{
			// The Azure documentation's quickstart sets only what it must:
			// Azure's defaults decide public access, authentication and
			// encryption, and the template must be judged by them.
			name:     "docs quickstart",
			template: filepath.Join(root, "arm-templates", "docs-quickstart", "azuredeploy.json"),
			export:   filepath.Join(root, "exports", "docs-quickstart.json"),
			opts:     armtemplate.Options{Subscription: sub, ResourceGroup: "rg-quickstart", Location: "westeurope"},
			mustHave: map[string]report.Status{
				"AZP-5e1de0e3 Microsoft.DBforPostgreSQL/flexibleServers psql-quickstart": report.NonCompliant,
				"PGB-IM1-01 Microsoft.DBforPostgreSQL/flexibleServers psql-quickstart":   report.NonCompliant,
				"PGB-PA1-01 Microsoft.DBforPostgreSQL/flexibleServers psql-quickstart":   report.NonCompliant,
				"AZP-12c74c95 Microsoft.DBforPostgreSQL/flexibleServers psql-quickstart": report.NonCompliant,
			},
		},
		{
			name:     "hardened server",
			template: filepath.Join(root, "arm-templates", "hardened-server", "main.json"),
			export:   filepath.Join(root, "exports", "hardened-server.json"),
			opts:     armtemplate.Options{Subscription: sub, ResourceGroup: "rg-orders-prod", Location: "westeurope"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(c.template)
			if err != nil {
				t.Fatal(err)
			}
			tmpl := armtemplate.Expand(c.template, data, c.opts)
			tRep := runScan(t, tmpl)
			eRep := runScan(t, scan.LoadPaths([]string{c.export})...)
			if len(tRep.Errors) > 0 || len(eRep.Errors) > 0 {
				t.Fatalf("errors: %+v %+v", tRep.Errors, eRep.Errors)
			}
			tv, ev := ruleVerdicts(tRep), ruleVerdicts(eRep)
			var keys []string
			for k := range ev {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if got, ok := tv[k]; !ok || got != ev[k] {
					t.Errorf("%s: template %q, export %q", k, got, ev[k])
				}
			}
			for k, s := range tv {
				if _, ok := ev[k]; !ok {
					t.Errorf("%s: only the template has a verdict (%s)", k, s)
				}
			}
			for k, want := range c.mustHave {
				if got := ev[k]; got != want {
					t.Errorf("case not covered: %s is %q in the export scan, want %s", k, got, want)
				}
			}
			// Per control. IM-8 differs only by the source-text rule
			// (PGB-IM8-02), which reads templates and parameter files.
			ec := map[string]report.Status{}
			for _, ctl := range eRep.Controls {
				ec[ctl.ID] = ctl.Status
			}
			if len(tRep.Controls) != len(eRep.Controls) {
				t.Errorf("%d controls in the template scan, %d in the export scan", len(tRep.Controls), len(eRep.Controls))
			}
			for _, ctl := range tRep.Controls {
				if ctl.ID == "IM-8" {
					continue
				}
				if want, ok := ec[ctl.ID]; !ok || want != ctl.Status {
					t.Errorf("control %s: template %s, export %s", ctl.ID, ctl.Status, want)
				}
			}
			for _, r := range tRep.Results {
				if r.RuleID == "PGB-IM8-02" && r.Status != report.Compliant {
					t.Errorf("PGB-IM8-02 on %s: %s; the examples keep no literal secret", r.ResourceName, r.Status)
				}
			}
			t.Logf("%d rule verdicts and %d controls compared", len(keys), len(ec))
		})
	}
}
