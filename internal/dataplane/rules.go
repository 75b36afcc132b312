package dataplane

import (
	"bytes"

	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/verdict"
	"gopkg.in/yaml.v3"
)

// The seed's feature names, exactly as the baseline spells them.
const (
	featureDP3 = "Data in Transit Encryption"
	featureIM1 = "Local Authentication Methods for Data Plane Access"
	featurePA1 = "Local Admin Accounts"
	featurePA7 = "Azure RBAC for Data Plane"
	featureLT4 = "Azure Resource Logs"
)

// The resource types a database target is reported as.
const (
	TypeSelfHosted = "PostgreSQL"
	TypeAzure      = "Microsoft.DBforPostgreSQL/flexibleServers"
)

// Rule is the metadata of one data-plane rule, as it appears in
// baseline/data/rules/dataplane.yaml.
type Rule struct {
	ID          string          `yaml:"id"`
	Title       string          `yaml:"title"`
	Control     string          `yaml:"control"`
	Feature     string          `yaml:"feature"`
	Severity    report.Severity `yaml:"severity"`
	Kind        string          `yaml:"kind"`
	CIS         string          `yaml:"cis"`
	Privilege   Privilege       `yaml:"privilege"`
	Targets     []string        `yaml:"targets"`
	Rationale   string          `yaml:"rationale"`
	Remediation Remediation     `yaml:"remediation"`
}

// Remediation says how to fix a failing data-plane rule (the vocabulary's type).
type Remediation = verdict.Remediation

// Rules returns the metadata of every data-plane rule, in report order.
func Rules() []Rule {
	out := make([]Rule, len(checks))
	for i, c := range checks {
		out[i] = c.rule
		out[i].Kind = "dataplane"
		out[i].Targets = []string{"PostgreSQL"}
	}
	return out
}

// RulesYAML renders Rules as the YAML list baseline/data/rules/dataplane.yaml holds.
func RulesYAML() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Data-plane (in-database) rules for PostgreSQL. Generated from package dataplane:\n")
	b.WriteString("# edit dataplane/checks.go and run `go test ./dataplane -run TestRulesYAML -update`.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(Rules()); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func azParam(name, value string) string {
	return "az postgres flexible-server parameter set --resource-group <rg> --server-name <server> --name " + name + " --value " + value
}
