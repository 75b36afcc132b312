package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

// runScan runs the CLI and decodes the JSON report it writes.
func runScanJSON(t *testing.T, args ...string) (*report.Report, int, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	code := run(append([]string{"scan", "--format", "json", "--output", out, "--quiet"}, args...))
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report written (exit %d): %v", code, err)
	}
	rep := decodeReport(t, data)
	return rep, code, ""
}

func decodeReport(t *testing.T, data []byte) *report.Report {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	return &rep
}

// statuses maps control id -> set of statuses seen for resource name.
func controlStatuses(rep *report.Report, resource string) map[string]map[report.Status]bool {
	out := map[string]map[report.Status]bool{}
	for _, r := range rep.Results {
		if r.ResourceName != resource {
			continue
		}
		if out[r.ControlID] == nil {
			out[r.ControlID] = map[report.Status]bool{}
		}
		out[r.ControlID][r.Status] = true
	}
	return out
}

func TestScanFleetExport(t *testing.T) {
	rep, code, _ := runScanJSON(t, "../../examples/exports")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a server fails)", code)
	}
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	hardened := controlStatuses(rep, "psql-orders-prod")
	for control, st := range hardened {
		if st[report.NonCompliant] || st[report.Error] {
			t.Errorf("hardened server fails %s", control)
		}
	}
	for _, c := range []string{"NS-1", "NS-2", "IM-1", "IM-3", "PA-1", "DP-3", "DP-5", "DP-6", "LT-1", "LT-4", "BR-1"} {
		if !hardened[c][report.Compliant] {
			t.Errorf("hardened server has no Compliant result under %s: %v", c, hardened[c])
		}
	}
	public := controlStatuses(rep, "psql-crm-dev")
	for _, c := range []string{"NS-1", "NS-2", "IM-1", "PA-1", "DP-3", "DP-5", "LT-1", "LT-4", "BR-1"} {
		if !public[c][report.NonCompliant] {
			t.Errorf("public server: no NonCompliant result under %s: %v", c, public[c])
		}
	}
	// The firewall rules, read from a separate az CLI file, link to their server.
	var wholeInternet bool
	for _, r := range rep.Results {
		if r.RuleID == "PGB-NS2-01" && strings.HasPrefix(r.ResourceName, "AllowAll_") && r.Status == report.NonCompliant {
			wholeInternet = true
			if r.Location == nil || r.Location.StartLine == 0 || !strings.HasSuffix(r.Location.File, "public-server-firewall-rules.json") {
				t.Errorf("firewall result location %+v", r.Location)
			}
		}
	}
	if !wholeInternet {
		t.Error("the 0.0.0.0-255.255.255.255 firewall rule is not reported")
	}
	// A configuration the export left out is judged by Azure's default.
	for _, r := range rep.Results {
		if r.RuleID == "AZP-1d14b021" && r.ResourceName == "psql-crm-dev" {
			if r.Status != report.NonCompliant || !strings.Contains(toJSON(r.Evidence), "Azure default for PostgreSQL 13") {
				t.Errorf("log_disconnections default: %s %v", r.Status, r.Evidence)
			}
		}
	}
	// Every control has a summary, and NonCompliant controls are marked.
	if len(rep.Controls) != 20 {
		t.Errorf("%d control summaries, want 20", len(rep.Controls))
	}
}

func TestHardenedServerExitsZero(t *testing.T) {
	rep, code, _ := runScanJSON(t, "../../examples/exports/hardened-server.json")
	if code != 0 {
		for _, r := range rep.Results {
			if r.Status == report.NonCompliant {
				t.Logf("%s %s: %s", r.RuleID, r.ResourceName, r.Message)
			}
		}
		t.Fatalf("exit %d, want 0", code)
	}
	for _, r := range rep.Results {
		if r.RuleID == "AZP-5375a5bb" && r.Status != report.Exempt {
			t.Errorf("private endpoint rule on a VNet-integrated server: %s, want Exempt (mitigated)", r.Status)
		}
	}
}

// The REST examples get the verdicts a reader of the rules expects
// (language doc, table B.6, plus the rules the examples exercise).
func TestRESTExampleVerdicts(t *testing.T) {
	tests := []struct {
		file  string
		rules map[string]report.Status
	}{
		{"2025-08-01_ServersGet.json", map[string]report.Status{"AZP-5e1de0e3": report.NonCompliant, "AZP-12c74c95": report.NonCompliant,
			"AZP-cee2f9fd": report.Compliant, "AZP-fa498b91": report.NonCompliant, "AZP-493c215d": report.NonCompliant,
			"PGB-IM1-01": report.NonCompliant, "PGB-NS1-01": report.NonCompliant, "AZP-c29c38cb": report.Compliant, "AZP-a43d5475": report.Compliant,
			"AZP-5375a5bb": report.NonCompliant, "PGB-DP4-01": report.Compliant}},
		{"2024-08-01_ServerGetWithVnet.json", map[string]report.Status{"AZP-5e1de0e3": report.Compliant, "AZP-12c74c95": report.NonCompliant,
			"AZP-cee2f9fd": report.Compliant, "AZP-fa498b91": report.NonCompliant, "AZP-493c215d": report.Compliant, "PGB-NS1-01": report.Compliant,
			"AZP-5375a5bb": report.Exempt}},
		{"2024-08-01_ServerGetWithPrivateEndpoints.json", map[string]report.Status{"AZP-5e1de0e3": report.NonCompliant, "AZP-12c74c95": report.NonCompliant,
			"AZP-cee2f9fd": report.NonCompliant, "AZP-fa498b91": report.NonCompliant, "AZP-493c215d": report.NonCompliant, "AZP-5375a5bb": report.Compliant}},
		{"2024-08-01_FirewallRuleGet.json", map[string]report.Status{"PGB-NS2-01": report.NonCompliant, "PGB-NS2-02": report.Compliant}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rep, _, _ := runScanJSON(t, filepath.Join("../../testdata/arm-examples", tc.file))
			got := map[string]report.Status{}
			for _, r := range rep.Results {
				got[r.RuleID] = r.Status
			}
			for rule, want := range tc.rules {
				if got[rule] != want {
					t.Errorf("%s: %s, want %s", rule, got[rule], want)
				}
			}
		})
	}
}

func TestBadInputKeepsOtherResults(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "../../examples/exports/hardened-server.json"
	cases := []struct{ name, path, want string }{
		{"truncated", write("truncated.json", "{\n  \"value\": [\n    {\"id\": \"/subscriptions/x"), "truncated.json:3:"},
		{"binary", write("binary.json", "\x00\x01\x02PK"), "binary.json:1:1"},
		{"no resource", write("empty.json", `{"hello": "world"}`), "no ARM resources found"},
		{"deep", write("deep.json", strings.Repeat("[", 100000)), "nesting deeper than"},
		{"missing", filepath.Join(dir, "missing.json"), "missing.json: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, code, _ := runScanJSON(t, good, tc.path)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, tc.want) {
				t.Fatalf("errors %+v, want one containing %q", rep.Errors, tc.want)
			}
			if len(rep.Results) < 30 {
				t.Errorf("the good file's results were lost: %d results", len(rep.Results))
			}
		})
	}
}

func TestScanUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"scan"}, {"scan", "x", "--fail-on", "bogus"}, {"scan", "x", "--format", "pdf"}, {"scan", "--nope"}} {
		if code := run(args); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func toJSON(v any) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return b.String()
}

// An attestation in the config file turns a manual rule Compliant until it
// expires; an expired one is named; rule parameters change verdicts.
func TestScanConfigAttestationsAndParameters(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "pgbaseline.yaml")
	err := os.WriteFile(cfg, []byte(`
rules:
  PGB-BR1-01:
    parameters: {minRetentionDays: 40}
attestations:
  - rule: PGB-IM7-01
    by: alice@contoso.com
    date: 2026-01-10
    expires: 2999-01-01
    evidence: Conditional Access policy CA-014
  - rule: PGB-DP7-01
    by: bob@contoso.com
    date: 2024-01-10
    expires: 2025-01-10
    evidence: rotation runbook
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	rep, _, _ := runScanJSON(t, "--config", cfg, "../../examples/exports/hardened-server.json")
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.RuleID] = true
		switch r.RuleID {
		case "PGB-IM7-01":
			if r.Status != report.Compliant || r.Evidence["attestedBy"] != "alice@contoso.com" {
				t.Errorf("attested rule: %s %v", r.Status, r.Evidence)
			}
		case "PGB-DP7-01":
			if r.Status != report.Unknown || !strings.Contains(r.Message, "expired on 2025-01-10") {
				t.Errorf("expired attestation: %s %q", r.Status, r.Message)
			}
		case "PGB-BR1-01":
			if r.Status != report.NonCompliant {
				t.Errorf("retention 35 days against a 40-day minimum: %s", r.Status)
			}
		}
	}
	for _, id := range []string{"PGB-IM7-01", "PGB-DP7-01", "PGB-BR1-01"} {
		if !seen[id] {
			t.Errorf("no result for %s", id)
		}
	}
	if code := run([]string{"scan", "--config", filepath.Join(t.TempDir(), "nope.yaml"), "x"}); code != 2 {
		t.Errorf("missing config file: exit %d", code)
	}
}
