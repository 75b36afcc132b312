package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPolicyEval(t *testing.T) {
	const dir = "testdata/policy/"
	cases := []struct {
		name       string
		args       []string
		code       int
		state      string
		effect     any // string, or nil for JSON null
		applicable bool
		reason     string // substring of reason (exit 0) or stderr (exit 2)
	}{
		{"audit fires", []string{"--definition", dir + "pna.json", "--resource", dir + "server.json"},
			0, "NonCompliant", "Audit", true, "Current value must"},
		{"spec example file as the resource", []string{"--definition", dir + "pna.json", "--resource", dir + "server-example.json"},
			0, "NonCompliant", "Audit", true, ""},
		{"parameters the definition lacks", []string{"--definition", dir + "ssl.json", "--resource", dir + "server.json", "--params", dir + "params.json"},
			2, "", nil, false, "no such parameter"},
		{"effect parameter Disabled", []string{"--definition", dir + "ssl.json", "--resource", dir + "server.json", "--params", dir + "params-disabled.json"},
			0, "NotApplicable", nil, false, "Disabled"},
		{"AINE without related resources", []string{"--definition", dir + "ssl.json", "--resource", dir + "server.json"},
			0, "NonCompliant", "AuditIfNotExists", true, "No related resources match the effect details in the policy definition."},
		{"AINE satisfied by a related resource", []string{"--definition", dir + "ssl.json", "--resource", dir + "server.json", "--related", dir + "related-on.json"},
			0, "Compliant", "AuditIfNotExists", true, "existence condition"},
		{"AINE with a failing related resource", []string{"--definition", dir + "ssl.json", "--resource", dir + "server.json", "--related", dir + "related-off.json"},
			0, "NonCompliant", "AuditIfNotExists", true, "Current value must be equal to the target value."},
		{"DINE with assignment-shaped params", []string{"--definition", dir + "configvalue.json", "--resource", dir + "server.json", "--related", dir + "related-on.json", "--params", dir + "params.json"},
			0, "Compliant", "DeployIfNotExists", true, ""},
		{"not applicable to another type", []string{"--definition", dir + "pna.json", "--resource", dir + "related-on.json"},
			2, "", nil, false, "expected one resource object, found 2"},
		{"custom alias from a catalog", []string{"--definition", dir + "custom-alias.json", "--resource", dir + "server.json", "--aliases", dir + "aliases.json"},
			0, "NonCompliant", "deny", true, ""},
		{"api version flag accepted", []string{"--definition", dir + "custom-alias.json", "--resource", dir + "server.json", "--aliases", dir + "aliases.json", "--api-version", "2025-08-01"},
			0, "NonCompliant", "deny", true, ""},
		{"missing required parameters", []string{"--definition", dir + "configvalue.json", "--resource", dir + "server.json"},
			2, "", nil, false, "configurationName"},
		{"parameter outside allowed values", []string{"--definition", dir + "configvalue.json", "--resource", dir + "server.json", "--params", dir + "params-bad.json"},
			2, "", nil, false, "Block"},
		{"invalid definition names the JSON path", []string{"--definition", dir + "bad-operator.json", "--resource", dir + "server.json"},
			2, "", nil, false, "bad-operator.json: if.allOf[1].equalz: unknown operator"},
		{"broken JSON", []string{"--definition", dir + "broken.json", "--resource", dir + "server.json"},
			2, "", nil, false, "broken.json"},
		{"missing definition flag", []string{"--resource", dir + "server.json"}, 2, "", nil, false, "--definition FILE is required"},
		{"missing resource flag", []string{"--definition", dir + "pna.json"}, 2, "", nil, false, "--resource FILE is required"},
		{"unreadable related file", []string{"--definition", dir + "ssl.json", "--resource", dir + "server.json", "--related", dir + "nope.json"},
			2, "", nil, false, "--related"},
		{"unknown flag", []string{"--definition", dir + "pna.json", "--resource", dir + "server.json", "--bogus"}, 2, "", nil, false, "bogus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCatalogCmd(t, append([]string{"policy", "eval"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, c.code, stdout, stderr)
			}
			if code == 2 {
				if !strings.Contains(stderr, c.reason) {
					t.Errorf("stderr %q does not contain %q", stderr, c.reason)
				}
				if stdout != "" {
					t.Errorf("stdout on exit 2: %q", stdout)
				}
				return
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			for _, k := range []string{"applicable", "effect", "complianceState", "reason", "details"} {
				if _, ok := out[k]; !ok {
					t.Errorf("output lacks %q: %s", k, stdout)
				}
			}
			if out["complianceState"] != c.state {
				t.Errorf("complianceState %v, want %s", out["complianceState"], c.state)
			}
			if out["effect"] != c.effect {
				t.Errorf("effect %v, want %v", out["effect"], c.effect)
			}
			if out["applicable"] != c.applicable {
				t.Errorf("applicable %v, want %v", out["applicable"], c.applicable)
			}
			if r, _ := out["reason"].(string); !strings.Contains(r, c.reason) {
				t.Errorf("reason %q does not contain %q", r, c.reason)
			}
		})
	}
}

func TestPolicyEvalDisabledIsNull(t *testing.T) {
	stdout, stderr, code := runCatalogCmd(t, "policy", "eval", "--definition", "testdata/policy/custom-alias.json",
		"--resource", "testdata/policy/server.json")
	// Without the catalog the alias falls back to properties.pna, which the
	// server lacks: the rule does not fire.
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"effect": null`) || !strings.Contains(stdout, `"complianceState": "Compliant"`) {
		t.Errorf("stdout %s", stdout)
	}
}

func TestPolicyWithoutSubcommand(t *testing.T) {
	_, stderr, code := runCatalogCmd(t, "policy")
	if code != 2 || !strings.Contains(stderr, "subcommand") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
}
