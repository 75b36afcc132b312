package dataplane

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite baseline/data/rules/dataplane.yaml")

const rulesFile = "../../baseline/data/rules/dataplane.yaml"

// TestRulesYAML keeps baseline/data/rules/dataplane.yaml identical to the
// rules compiled into this package.
func TestRulesYAML(t *testing.T) {
	want, err := RulesYAML()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(rulesFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatalf("%v (run go test ./dataplane -run TestRulesYAML -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./dataplane -run TestRulesYAML -update", rulesFile)
	}
	var back []Rule
	if err := yaml.Unmarshal(got, &back); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(back) != len(checks) {
		t.Errorf("%s has %d rules, want %d", rulesFile, len(back), len(checks))
	}
}

// seedFeatures are the control/feature pairs of the seed baseline
// (testdata copy of the relevant lines of /work/shared/seed).
var seedFeatures = map[string]string{
	"DP-3": "Data in Transit Encryption",
	"IM-1": "Local Authentication Methods for Data Plane Access",
	"PA-1": "Local Admin Accounts",
	"PA-7": "Azure RBAC for Data Plane",
	"LT-4": "Azure Resource Logs",
}

func TestRulesMetadata(t *testing.T) {
	idRE := regexp.MustCompile(`^PGB-DB-([A-Z]{2}-\d+)-\d{2}$`)
	seen := map[string]bool{}
	for _, r := range Rules() {
		m := idRE.FindStringSubmatch(r.ID)
		switch {
		case m == nil:
			t.Errorf("%s: id does not match PGB-DB-<control>-<nn>", r.ID)
		case m[1] != r.Control:
			t.Errorf("%s: control %s does not match the id", r.ID, r.Control)
		}
		if seen[r.ID] {
			t.Errorf("%s: duplicate id", r.ID)
		}
		seen[r.ID] = true
		if seedFeatures[r.Control] != r.Feature {
			t.Errorf("%s: feature %q is not the seed's feature of %s", r.ID, r.Feature, r.Control)
		}
		if r.Title == "" || r.CIS == "" || r.Privilege == "" || r.Rationale == "" || r.Remediation.Summary == "" || r.Severity.Rank() == 0 {
			t.Errorf("%s: incomplete metadata %+v", r.ID, r)
		}
		if r.Kind != "dataplane" || len(r.Targets) != 1 || r.Targets[0] != "PostgreSQL" {
			t.Errorf("%s: kind %q targets %v", r.ID, r.Kind, r.Targets)
		}
	}
}
