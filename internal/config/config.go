// Package config reads the scan configuration file (pgbaseline.yaml): rule
// settings, thresholds, and attestations for controls that no input can
// show.
//
//	rules:
//	  PGB-BR1-01:
//	    parameters: {minRetentionDays: 14}
//	  AZP-dacf07fa:
//	    enabled: true
//	attestations:
//	  - rule: PGB-IM7-01
//	    resource: "*"                 # or an ARM id, compared case-insensitively
//	    by: alice@contoso.com
//	    date: 2026-10-01
//	    expires: 2027-04-01
//	    evidence: Conditional Access policy CA-014 requires compliant devices
//
// An attestation turns the rule's Unknown result Compliant until it expires.
// The `serve` section of the same file is read by the server.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the parsed configuration file.
type Config struct {
	// Rules holds per-rule settings, keyed by rule id.
	Rules map[string]RuleConfig `yaml:"rules"`
	// Attestations record manual evidence for rules no input can show.
	Attestations []Attestation `yaml:"attestations"`

	// Rest holds the keys this package does not read (serve settings).
	Rest map[string]any `yaml:",inline"`
}

// RuleConfig adjusts one rule.
type RuleConfig struct {
	// Enabled turns a rule on or off; nil keeps the catalog's choice.
	Enabled *bool `yaml:"enabled"`
	// Parameters override the rule's parameter values.
	Parameters map[string]any `yaml:"parameters"`
	// Severity overrides the rule's severity.
	Severity string `yaml:"severity"`
}

// Attestation is a person's statement that a manual control is met.
type Attestation struct {
	Rule     string `yaml:"rule"`
	Resource string `yaml:"resource"`
	By       string `yaml:"by"`
	Date     Date   `yaml:"date"`
	Expires  Date   `yaml:"expires"`
	Evidence string `yaml:"evidence"`
}

// Date is a calendar day (YYYY-MM-DD) or an RFC 3339 time.
type Date struct{ time.Time }

// UnmarshalYAML parses a date.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			d.Time = t
			return nil
		}
	}
	return fmt.Errorf("line %d: %q is not a date (YYYY-MM-DD)", n.Line, s)
}

// Load reads a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %v", path, pe.Err)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

// Parse parses configuration YAML and checks it.
func Parse(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i, a := range c.Attestations {
		switch {
		case a.Rule == "":
			return nil, fmt.Errorf("attestations[%d]: rule is required", i)
		case a.By == "":
			return nil, fmt.Errorf("attestations[%d] (%s): by is required: say who attests", i, a.Rule)
		case a.Evidence == "":
			return nil, fmt.Errorf("attestations[%d] (%s): evidence is required", i, a.Rule)
		case a.Expires.IsZero():
			return nil, fmt.Errorf("attestations[%d] (%s): expires is required: attestations must be renewed", i, a.Rule)
		}
	}
	return &c, nil
}

// Attestation returns the attestation in force for rule on resource id at
// time now, or nil.
func (c *Config) Attestation(rule, resourceID string, now time.Time) *Attestation {
	if c == nil {
		return nil
	}
	for i := range c.Attestations {
		a := &c.Attestations[i]
		if !strings.EqualFold(a.Rule, rule) {
			continue
		}
		if a.Resource != "" && a.Resource != "*" && !strings.EqualFold(a.Resource, resourceID) {
			continue
		}
		if !now.Before(a.Expires.Time) {
			continue
		}
		return a
	}
	return nil
}

// Rule returns the settings for rule id (matched case-insensitively).
func (c *Config) Rule(id string) RuleConfig {
	if c == nil {
		return RuleConfig{}
	}
	if r, ok := c.Rules[id]; ok {
		return r
	}
	for k, r := range c.Rules {
		if strings.EqualFold(k, id) {
			return r
		}
	}
	return RuleConfig{}
}
