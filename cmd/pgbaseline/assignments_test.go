package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

// The server in examples/exports/public-server.json, and the scopes above it.
const (
	crmSub    = "/subscriptions/6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90"
	crmRG     = crmSub + "/resourceGroups/rg-legacy-crm"
	crmServer = crmRG + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-crm-dev"
	// publicAccessDef is "Public network access should be disabled for
	// PostgreSQL flexible servers", rule AZP-5e1de0e3.
	publicAccessDef = "/providers/Microsoft.Authorization/policyDefinitions/5e1de0e3-42cb-4ebc-a86d-61d0c619ca48"
	mcsbInitiative  = "/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8"
)

func assignment(name, scope, def string, params map[string]any, notScopes ...string) map[string]any {
	p := map[string]any{"policyDefinitionId": def, "scope": scope, "displayName": name}
	if params != nil {
		wrapped := map[string]any{}
		for k, v := range params {
			wrapped[k] = map[string]any{"value": v}
		}
		p["parameters"] = wrapped
	}
	if len(notScopes) > 0 {
		p["notScopes"] = notScopes
	}
	return map[string]any{
		"id":         scope + "/providers/Microsoft.Authorization/policyAssignments/" + name,
		"name":       name,
		"type":       "Microsoft.Authorization/policyAssignments",
		"properties": p,
	}
}

func exemption(name, scope, assignmentID, expires string) map[string]any {
	p := map[string]any{"policyAssignmentId": assignmentID, "exemptionCategory": "Waiver", "displayName": name}
	if expires != "" {
		p["expiresOn"] = expires
	}
	return map[string]any{
		"id":         scope + "/providers/Microsoft.Authorization/policyExemptions/" + name,
		"name":       name,
		"type":       "Microsoft.Authorization/policyExemptions",
		"properties": p,
	}
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func resultFor(t *testing.T, rep *report.Report, ruleID, resourceID string) report.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.RuleID == ruleID && r.ResourceID == resourceID {
			return r
		}
	}
	t.Fatalf("no %s result for %s", ruleID, resourceID)
	return report.Result{}
}

// TestScanPolicyAssignments checks that assignments and exemptions, given
// with --policy or found among the scanned resources (as live Azure reads
// them), decide the built-in rules' effects and exemptions.
func TestScanPolicyAssignments(t *testing.T) {
	audit := assignment("public-audit", crmSub, publicAccessDef, map[string]any{"effect": "Audit"})
	auditID := audit["id"].(string)
	mcsb := assignment("mcsb", crmSub, mcsbInitiative, nil)
	// An initiative in the shape `az policy set-definition show` prints,
	// mapping its own parameter onto the member's effect, as the
	// benchmark initiative does.
	initiative := map[string]any{
		"id":   "/providers/Microsoft.Authorization/policySetDefinitions/pg-initiative",
		"name": "pg-initiative",
		"type": "Microsoft.Authorization/policySetDefinitions",
		"properties": map[string]any{
			"displayName": "PostgreSQL posture",
			"parameters": map[string]any{"publicAccessEffect": map[string]any{"type": "String", "defaultValue": "Audit",
				"allowedValues": []any{"Audit", "Deny", "Disabled"}}},
			"policyDefinitions": []any{map[string]any{
				"policyDefinitionId":          publicAccessDef,
				"policyDefinitionReferenceId": "publicNetworkAccess",
				"parameters":                  map[string]any{"effect": map[string]any{"value": "[parameters('publicAccessEffect')]"}},
			}},
		},
	}
	viaInitiative := assignment("pg-posture", crmSub, "/providers/Microsoft.Authorization/policySetDefinitions/pg-initiative",
		map[string]any{"publicAccessEffect": "Disabled"})
	cases := []struct {
		name       string
		objects    []map[string]any
		wantStatus report.Status
		wantEffect string
		// builtinsExempt: every built-in rule on the server is Exempt.
		builtinsExempt bool
	}{
		{name: "no assignment: the catalog decides", wantStatus: report.NonCompliant, wantEffect: "Audit"},
		{name: "assignment with effect Disabled",
			objects:    []map[string]any{assignment("public-off", crmSub, publicAccessDef, map[string]any{"effect": "Disabled"})},
			wantStatus: report.NotApplicable, wantEffect: "Disabled"},
		{name: "assignment with effect Deny",
			objects:    []map[string]any{assignment("public-deny", crmSub, publicAccessDef, map[string]any{"effect": "Deny"})},
			wantStatus: report.NonCompliant, wantEffect: "Deny"},
		{name: "notScopes leave the server to the catalog",
			objects:    []map[string]any{assignment("public-off", crmSub, publicAccessDef, map[string]any{"effect": "Disabled"}, crmRG)},
			wantStatus: report.NonCompliant, wantEffect: "Audit"},
		{name: "waiver in force",
			objects:    []map[string]any{audit, exemption("crm-waiver", crmServer, auditID, "2099-01-01T00:00:00Z")},
			wantStatus: report.Exempt},
		{name: "expired waiver is not honoured",
			objects:    []map[string]any{audit, exemption("crm-waiver", crmServer, auditID, "2020-01-01T00:00:00Z")},
			wantStatus: report.NonCompliant, wantEffect: "Audit"},
		{name: "initiative parameter mapped onto the member's effect",
			objects:    []map[string]any{initiative, viaInitiative},
			wantStatus: report.NotApplicable, wantEffect: "Disabled"},
		{name: "exemption of one initiative member",
			objects: []map[string]any{initiative, assignment("pg-audit", crmSub, "/providers/Microsoft.Authorization/policySetDefinitions/pg-initiative", nil),
				func() map[string]any {
					ex := exemption("crm-public", crmServer, crmSub+"/providers/Microsoft.Authorization/policyAssignments/pg-audit", "")
					ex["properties"].(map[string]any)["policyDefinitionReferenceIds"] = []any{"publicNetworkAccess"}
					return ex
				}()},
			wantStatus: report.Exempt},
		{name: "exemption from the benchmark initiative's assignment",
			objects:    []map[string]any{mcsb, exemption("crm-mcsb", crmRG, mcsb["id"].(string), "")},
			wantStatus: report.Exempt, builtinsExempt: true},
	}
	export, err := os.ReadFile("../../examples/exports/public-server.json")
	if err != nil {
		t.Fatal(err)
	}
	var server map[string]any
	if err := json.Unmarshal(export, &server); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		for _, via := range []string{"--policy", "export"} {
			t.Run(c.name+" via "+via, func(t *testing.T) {
				dir := t.TempDir()
				args := []string{}
				if via == "--policy" {
					args = append(args, writeJSON(t, filepath.Join(dir, "server.json"), server))
					if len(c.objects) > 0 {
						args = append(args, "--policy", writeJSON(t, filepath.Join(dir, "assignments.json"), c.objects))
					}
				} else {
					all := []any{server}
					for _, o := range c.objects {
						all = append(all, o)
					}
					args = append(args, writeJSON(t, filepath.Join(dir, "export.json"), all))
				}
				rep, code, _ := runScanJSON(t, args...)
				if code == 2 {
					t.Fatalf("exit 2: %+v", rep.Errors)
				}
				got := resultFor(t, rep, "AZP-5e1de0e3", crmServer)
				if got.Status != c.wantStatus || (c.wantEffect != "" && got.Effect != c.wantEffect) {
					t.Fatalf("AZP-5e1de0e3: %s effect %q (%s); want %s effect %q", got.Status, got.Effect, got.Message, c.wantStatus, c.wantEffect)
				}
				if len(c.objects) > 0 && c.wantStatus != report.NonCompliant || c.wantEffect == "Deny" {
					if got.Evidence["policyAssignment"] == nil && got.Evidence["policyExemption"] == nil {
						t.Errorf("evidence names no assignment or exemption: %v", got.Evidence)
					}
				}
				if c.builtinsExempt {
					var builtins int
					for _, r := range rep.Results {
						if r.ResourceID != crmServer {
							continue
						}
						isBuiltin := r.PolicyDefinitionID != "" && len(r.RuleID) > 4 && r.RuleID[:4] == "AZP-"
						if isBuiltin && r.Status != report.Exempt && r.Status != report.NotApplicable {
							t.Errorf("%s: %s, want Exempt through the initiative's exemption", r.RuleID, r.Status)
						}
						if isBuiltin {
							builtins++
						}
						if !isBuiltin && r.Status == report.Exempt && r.RuleID == "PGB-NS2-01" {
							t.Errorf("%s is a pgbaseline rule, not in the initiative, but is Exempt", r.RuleID)
						}
					}
					if builtins < 5 {
						t.Errorf("only %d built-in results on the server", builtins)
					}
				}
			})
		}
	}
}
