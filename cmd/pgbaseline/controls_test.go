package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// runCatalogCmd runs the CLI with args and returns its stdout, stderr and
// exit code.
func runCatalogCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("COLUMNS", "")
	oldOut, oldErr := os.Stdout, os.Stderr
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout, os.Stderr = outW, errW
	var outBuf, errBuf bytes.Buffer
	done := make(chan struct{}, 2)
	go func() { io.Copy(&outBuf, outR); done <- struct{}{} }()
	go func() { io.Copy(&errBuf, errR); done <- struct{}{} }()
	code = run(args)
	outW.Close()
	errW.Close()
	<-done
	<-done
	os.Stdout, os.Stderr = oldOut, oldErr
	return outBuf.String(), errBuf.String(), code
}

type controlsJSON struct {
	Benchmark struct {
		ID, Version, Baseline string
	} `json:"benchmark"`
	Controls []struct {
		ID       string `json:"id"`
		Title    string `json:"title"`
		Domain   string `json:"domain"`
		Features []struct {
			Name             string   `json:"name"`
			Description      string   `json:"description"`
			Supported        *bool    `json:"supported"`
			EnabledByDefault *bool    `json:"enabledByDefault"`
			Responsibility   string   `json:"responsibility"`
			Guidance         string   `json:"guidance"`
			Notes            *string  `json:"notes"`
			Reference        *string  `json:"reference"`
			Rules            []string `json:"rules"`
			Policies         []struct {
				ID          string   `json:"id"`
				DisplayName string   `json:"displayName"`
				Effects     []string `json:"effects"`
				Version     string   `json:"version"`
			} `json:"policies"`
		} `json:"features"`
	} `json:"controls"`
}

// TestControlsJSONMustShow is the must-show: `controls --format json` lists
// all 25 features with the seed's attributes, and the seed's four policies
// with their versions and effects under NS-2, DP-3, DP-5 and BR-1.
func TestControlsJSONMustShow(t *testing.T) {
	out, stderr, code := runCatalogCmd(t, "controls", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var doc controlsJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Benchmark.ID != "MCSB" || doc.Benchmark.Version != "1.0" || doc.Benchmark.Baseline != "Azure Database for PostgreSQL - Flexible Server" {
		t.Errorf("benchmark = %+v", doc.Benchmark)
	}
	type attrs struct {
		supported bool
		def       string // True, False, null
		resp      string
	}
	// The seed's attributes of all 25 features.
	want := map[string]attrs{
		"NS-1/Virtual Network Integration":                                                       {true, "False", "Customer"},
		"NS-1/Network Security Group Support":                                                    {true, "False", "Customer"},
		"NS-2/Azure Private Link":                                                                {false, "null", "Not Applicable"},
		"NS-2/Disable Public Network Access":                                                     {true, "False", "Customer"},
		"IM-1/Azure AD Authentication Required for Data Plane Access":                            {false, "null", "Not Applicable"},
		"IM-1/Local Authentication Methods for Data Plane Access":                                {true, "True", "Microsoft"},
		"IM-3/Managed Identities":                                                                {true, "False", "Customer"},
		"IM-3/Service Principals":                                                                {true, "False", "Customer"},
		"IM-7/Conditional Access for Data Plane":                                                 {true, "False", "Customer"},
		"IM-8/Service Credential and Secrets Support Integration and Storage in Azure Key Vault": {true, "False", "Customer"},
		"PA-1/Local Admin Accounts":                                                              {true, "True", "Microsoft"},
		"PA-7/Azure RBAC for Data Plane":                                                         {false, "null", "Not Applicable"},
		"PA-8/Customer Lockbox":                                                                  {false, "null", "Not Applicable"},
		"DP-1/Sensitive Data Discovery and Classification":                                       {false, "null", "Not Applicable"},
		"DP-2/Data Leakage/Loss Prevention":                                                      {false, "null", "Not Applicable"},
		"DP-3/Data in Transit Encryption":                                                        {true, "True", "Microsoft"},
		"DP-4/Data at Rest Encryption Using Platform Keys":                                       {true, "True", "Microsoft"},
		"DP-5/Data at Rest Encryption Using CMK":                                                 {true, "False", "Customer"},
		"DP-6/Key Management in Azure Key Vault":                                                 {true, "False", "Customer"},
		"DP-7/Certificate Management in Azure Key Vault":                                         {true, "False", "Customer"},
		"AM-2/Azure Policy Support":                                                              {true, "True", "Microsoft"},
		"LT-1/Microsoft Defender for Service / Product Offering":                                 {false, "null", "Not Applicable"},
		"LT-4/Azure Resource Logs":                                                               {true, "True", "Microsoft"},
		"BR-1/Azure Backup":                                                                      {false, "null", "Not Applicable"},
		"BR-1/Service Native Backup Capability":                                                  {true, "True", "Microsoft"},
	}
	type pol struct{ feature, guid, effects, version string }
	wantPolicies := map[string]pol{
		"NS-2": {"Disable Public Network Access", "0564d078-92f5-4f97-8398-b9f58a51f70b", "AuditIfNotExists,Disabled", "1.0.2"},
		"DP-3": {"Data in Transit Encryption", "d158790f-bfb0-486c-8631-2dc6b4e8e6af", "Audit,Disabled", "1.0.1"},
		"DP-5": {"Data at Rest Encryption Using CMK", "18adea5e-f416-4d0f-8aa8-d24321e3e274", "AuditIfNotExists,Disabled", "1.0.4"},
		"BR-1": {"Service Native Backup Capability", "48af4db5-9b8b-401c-8e74-076be876a430", "Audit,Disabled", "1.0.1"},
	}
	seen := 0
	policies := 0
	for _, ctl := range doc.Controls {
		if ctl.Title == "" || ctl.Domain == "" {
			t.Errorf("%s: missing title or domain", ctl.ID)
		}
		for _, f := range ctl.Features {
			key := ctl.ID + "/" + f.Name
			w, ok := want[key]
			if !ok {
				t.Errorf("unexpected feature %s", key)
				continue
			}
			seen++
			def := "null"
			if f.EnabledByDefault != nil {
				def = map[bool]string{true: "True", false: "False"}[*f.EnabledByDefault]
			}
			if f.Supported == nil || *f.Supported != w.supported || def != w.def || f.Responsibility != w.resp {
				t.Errorf("%s: supported %v, enabledByDefault %s, responsibility %q; want %v %s %q",
					key, f.Supported != nil && *f.Supported, def, f.Responsibility, w.supported, w.def, w.resp)
			}
			if f.Description == "" || f.Guidance == "" || f.Notes == nil || f.Reference == nil || len(f.Rules) == 0 || f.Policies == nil {
				t.Errorf("%s: description, guidance, notes, reference, rules and policies must all be present", key)
			}
			for _, p := range f.Policies {
				policies++
				wp, ok := wantPolicies[ctl.ID]
				if !ok || wp.feature != f.Name {
					t.Errorf("unexpected policy %s under %s", p.ID, key)
					continue
				}
				if p.ID != "/providers/Microsoft.Authorization/policyDefinitions/"+wp.guid ||
					strings.Join(p.Effects, ",") != wp.effects || p.Version != wp.version || p.DisplayName == "" {
					t.Errorf("%s policy = %+v, want %+v", ctl.ID, p, wp)
				}
			}
		}
	}
	if seen != 25 {
		t.Errorf("features listed = %d, want 25", seen)
	}
	if policies != 4 {
		t.Errorf("seed policies listed = %d, want 4", policies)
	}
}

func TestControlsCommand(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		contains  []string
		errorText string
	}{
		{"table lists every control", []string{"controls"}, 0,
			[]string{"MCSB v1.0: Azure Database for PostgreSQL - Flexible Server", "NS-1", "BR-1", "Service Native Backup Capability"}, ""},
		{"one control in full", []string{"controls", "dp-3"}, 0,
			[]string{"DP-3: Encrypt sensitive data in transit", "Data in Transit Encryption",
				"Configuration guidance:", "No additional configurations are required",
				"Enforce SSL connection should be enabled for PostgreSQL database servers", "effects: Audit, Disabled   version: 1.0.1",
				"AZP-c29c38cb"}, ""},
		{"markdown", []string{"controls", "--format", "markdown", "IM-1"}, 0,
			[]string{"### IM-1: Use centralized identity and authentication system", "> **Update 2026-11-28:**", "| PGB-IM1-01 |"}, ""},
		{"unknown control exits 2", []string{"controls", "DP-3", "XX-9"}, 2, nil, `unknown control "XX-9"`},
		{"unknown format exits 2", []string{"controls", "--format", "yaml"}, 2, nil, `unknown format "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runCatalogCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(out, c) {
					t.Errorf("output lacks %q:\n%s", c, out)
				}
			}
			if tt.errorText != "" && !strings.Contains(stderr, tt.errorText) {
				t.Errorf("stderr %q lacks %q", stderr, tt.errorText)
			}
		})
	}
}

func TestControlsCSVMappingFile(t *testing.T) {
	out, stderr, code := runCatalogCmd(t, "controls", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 26 {
		t.Fatalf("rows = %d, want a header and 25 features", len(rows))
	}
	if got := strings.Join(rows[0], ","); got != "Control ID,Control Title,Domain,Feature,Supported,Enabled By Default,Responsibility,Guidance,Notes,Reference,Rules,Policies" {
		t.Errorf("header = %s", got)
	}
	for _, row := range rows[1:] {
		if row[0] == "NS-2" && row[3] == "Disable Public Network Access" {
			if row[4] != "True" || row[5] != "False" || row[6] != "Customer" ||
				row[10] != "AZP-5e1de0e3;PGB-NS2-01;PGB-NS2-02" ||
				row[11] != "/providers/Microsoft.Authorization/policyDefinitions/0564d078-92f5-4f97-8398-b9f58a51f70b" {
				t.Errorf("NS-2 row = %q", row)
			}
			return
		}
	}
	t.Error("no NS-2 Disable Public Network Access row")
}

func TestRulesCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"table", []string{"rules"}, 0, []string{"ID", "ENABLED", "AZP-dacf07fa", "v1.1.0 Disabled deprecated", "v1.0.0-preview Audit preview", "PGB-NS2-01"}},
		{"one rule in full", []string{"rules", "pgb-ns2-01"}, 0, []string{"PGB-NS2-01: ", "Parameters:  {\"maxPrefix\":16}", "az postgres flexible-server firewall-rule delete"}},
		{"a control's rules", []string{"rules", "DP-3"}, 0, []string{"AZP-a43d5475", "AZP-c29c38cb", "AZP-d158790f"}},
		{"unknown rule exits 2", []string{"rules", "PGB-NOPE-1"}, 2, nil},
		{"csv is not a rules format", []string{"rules", "--format", "csv"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runCatalogCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			for _, c := range tt.contains {
				if !strings.Contains(out, c) {
					t.Errorf("output lacks %q:\n%s", c, out)
				}
			}
		})
	}
}

func TestRulesJSON(t *testing.T) {
	out, stderr, code := runCatalogCmd(t, "rules", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Rules []struct {
			ID                 string `json:"id"`
			Kind               string `json:"kind"`
			Enabled            bool   `json:"enabled"`
			PolicyDefinitionID string `json:"policyDefinitionId"`
			PolicyMeta         *struct {
				Version       string `json:"version"`
				DefaultEffect string `json:"defaultEffect"`
				Deprecated    bool   `json:"deprecated"`
			} `json:"policyMeta"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range doc.Rules {
		kinds[r.Kind]++
	}
	if kinds["builtin"] != 32 || kinds["custom"] != 10 || kinds["go"] != 2 {
		t.Errorf("rules by kind = %v, want 32 builtin, 10 custom, 2 go", kinds)
	}
	for _, r := range doc.Rules {
		if r.ID == "AZP-12c74c95" {
			if r.PolicyMeta == nil || r.PolicyMeta.Version != "1.1.0" || r.PolicyMeta.DefaultEffect != "Audit" || !r.Enabled ||
				r.PolicyDefinitionID != "/providers/Microsoft.Authorization/policyDefinitions/12c74c95-0efd-48da-b8d9-2a7d68470c92" {
				t.Errorf("AZP-12c74c95 = %+v", r)
			}
			return
		}
	}
	t.Error("AZP-12c74c95 missing")
}
