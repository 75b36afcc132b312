package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseAndAttestation(t *testing.T) {
	c, err := Parse([]byte(`
rules:
  PGB-BR1-01:
    parameters: {minRetentionDays: 14}
  azp-dacf07fa: {enabled: true}
attestations:
  - rule: PGB-IM7-01
    resource: "*"
    by: alice@contoso.com
    date: 2026-10-01
    expires: 2027-04-01
    evidence: CA-014 requires compliant devices
  - rule: PGB-DP7-01
    resource: /subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a
    by: bob
    date: 2025-01-01
    expires: 2026-01-01
    evidence: certificate rotation runbook
serve:
  listen: 127.0.0.1:8080
`))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Rule("PGB-BR1-01").Parameters["minRetentionDays"]; v != 14 {
		t.Errorf("parameter %v", v)
	}
	if e := c.Rule("AZP-DACF07FA").Enabled; e == nil || !*e {
		t.Error("rule ids are matched case-insensitively")
	}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if a := c.Attestation("pgb-im7-01", "/any/id", now); a == nil || a.By != "alice@contoso.com" {
		t.Errorf("wildcard attestation: %+v", a)
	}
	if a := c.Attestation("PGB-IM7-01", "/any", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)); a != nil {
		t.Error("an attestation is not in force on its expiry day")
	}
	if a := c.Attestation("PGB-DP7-01", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a", now); a != nil {
		t.Error("expired attestation honoured")
	}
	if _, ok := c.Rest["serve"]; !ok {
		t.Error("the serve section is not kept for the server")
	}
	var nilCfg *Config
	if nilCfg.Attestation("x", "y", now) != nil || nilCfg.Rule("x").Enabled != nil {
		t.Error("a nil config must answer empty")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"attestations:\n  - rule: X\n    by: a\n    evidence: e\n", "expires is required"},
		{"attestations:\n  - rule: X\n    expires: 2027-01-01\n    evidence: e\n", "by is required"},
		{"attestations:\n  - by: a\n", "rule is required"},
		{"attestations:\n  - rule: X\n    by: a\n    evidence: e\n    expires: next week\n", "line 5"},
		{"rules: [1, 2", "invalid YAML"},
	}
	for _, tc := range tests {
		if _, err := Parse([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	if c, err := Parse(nil); err != nil || c == nil {
		t.Errorf("an empty file is an empty config: %v", err)
	}
}
