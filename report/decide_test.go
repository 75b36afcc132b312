package report

import (
	"strings"
	"testing"
)

type fakeUnknown struct {
	Reason  string
	NotNull bool
}

func TestWhatDecides(t *testing.T) {
	results := []Result{
		{RuleID: "PGB-IM7-01", Status: Unknown, Effect: "Manual", Message: "Not assessable from configuration: ..."},
		{RuleID: "PGB-IM7-01", Status: Unknown, Effect: "Manual"},
		{RuleID: "AZP-1", Status: Unknown, Message: "The rule's conditions depend on values not known before deployment.",
			Evidence: map[string]any{"properties.network.publicNetworkAccess": fakeUnknown{Reason: `variable "public_access" has no value in the configuration`}}},
		{RuleID: "AZP-2", Status: Unknown, Evidence: map[string]any{"x": map[string]any{"Reason": `variable "tls" has no value in the configuration`}}},
		{RuleID: "PGB-DB-1", Status: Unknown, Message: "Not assessable", Evidence: map[string]any{"privilegeMissing": "pg_monitor"}},
		{RuleID: "AZP-3", Status: Unknown, Message: "No related resource among the inputs matches the effect details, but the inputs may create ..."},
		{RuleID: "AZP-4", Status: Error, Evidence: map[string]any{"unreadable": "Microsoft.Insights/diagnosticSettings"}},
		{RuleID: "AZP-5", Status: NonCompliant, Effect: "Manual"},
	}
	want := []string{DecideAttestation, DecideAttestation, DecideVariable, DecideVariable, DecidePermission, DecideDeployment, DecidePermission, ""}
	for i, w := range want {
		d := WhatDecides(&results[i])
		if d.Kind != w {
			t.Errorf("result %d (%s): %q, want %q", i, results[i].RuleID, d.Kind, w)
		}
		if w != "" && d.Hint == "" {
			t.Errorf("result %d: no hint", i)
		}
	}
	if d := WhatDecides(&results[2]); !strings.Contains(d.Hint, "--var public_access=VALUE") {
		t.Errorf("variable hint %q does not name the variable", d.Hint)
	}
	lines := UnknownSummary(results)
	if len(lines) == 0 || lines[0] != "6 Unknown: 2 need an attestation (see --config), 2 need a Terraform variable's value (--var), 1 needs a permission the scan lacked, 1 depends on values known only at deployment" {
		t.Errorf("summary %q", lines)
	}
	all := strings.Join(lines, "\n")
	for _, s := range []string{"PGB-IM7-01", "public_access, tls", "pg_monitor"} {
		if !strings.Contains(all, s) {
			t.Errorf("summary does not name %s:\n%s", s, all)
		}
	}
	if UnknownSummary(results[7:]) != nil {
		t.Error("a summary without Unknown results")
	}
}
