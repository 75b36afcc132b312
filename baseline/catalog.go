// Package baseline is the Microsoft cloud security benchmark v1.0 baseline
// for Azure Database for PostgreSQL - Flexible Server as data: its controls
// and features, verbatim from the published baseline, and the rules that
// assess each feature (Azure Policy built-ins, pgbaseline's own custom policy
// definitions, Go rules, and platform, unsupported and manual features).
//
// The catalog is embedded in the binary (data/catalog.yaml, data/rules/*.yaml,
// data/policies/*.json) and validated when it is loaded.
package baseline

import (
	"embed"
	"encoding/json"
	"io/fs"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/verdict"
)

//go:embed data
var embedded embed.FS

// Benchmark names the benchmark and baseline the catalog implements.
type Benchmark = report.Benchmark

// Kind says how a rule is assessed.
type Kind string

// The rule kinds.
const (
	// KindBuiltin is an Azure Policy built-in definition, evaluated by the
	// offline policy engine.
	KindBuiltin Kind = "builtin"
	// KindCustom is a pgbaseline custom Azure Policy definition
	// (data/policies), evaluated by the policy engine and deployable to Azure.
	KindCustom Kind = "custom"
	// KindGo is a rule implemented in Go by the scan engine.
	KindGo Kind = "go"
	// KindPlatform is a feature the platform provides: reported Compliant.
	KindPlatform Kind = "platform"
	// KindUnsupported is a feature the baseline marks unsupported: reported
	// NotApplicable.
	KindUnsupported Kind = "unsupported"
	// KindManual is a feature no input can show: reported Unknown unless the
	// user attests it.
	KindManual Kind = "manual"
	// KindDataplane is an in-database check run over a PostgreSQL connection
	// (package dataplane; data/rules/dataplane.yaml).
	KindDataplane Kind = "dataplane"
	// KindSource is a rule a source applies to the text of its input (a
	// literal secret in a Terraform file or template); results come from
	// the sources' findings.
	KindSource Kind = "source"
)

// Kinds lists every rule kind.
var Kinds = []Kind{KindBuiltin, KindCustom, KindGo, KindPlatform, KindUnsupported, KindManual, KindDataplane, KindSource}

// Status is the fixed status a platform, unsupported or manual rule reports,
// and "" for the kinds that evaluate inputs.
func (k Kind) Status() report.Status {
	switch k {
	case KindPlatform:
		return report.Compliant
	case KindUnsupported:
		return report.NotApplicable
	case KindManual:
		return report.Unknown
	}
	return ""
}

// Domains lists the security domains of the baseline in order.
var Domains = []string{
	"Network security",
	"Identity management",
	"Privileged access",
	"Data protection",
	"Asset management",
	"Logging and threat detection",
	"Backup and recovery",
}

// Responsibilities lists the values of Feature.Responsibility.
var Responsibilities = []string{"Customer", "Microsoft", "Shared", "Not Applicable"}

// PolicyDefinitionPrefix is the resource id prefix of built-in policy definitions.
const PolicyDefinitionPrefix = "/providers/Microsoft.Authorization/policyDefinitions/"

// Catalog is the whole baseline: benchmark, controls with their features, and rules.
type Catalog struct {
	Benchmark       Benchmark          `json:"benchmark"`
	SecurityProfile []ProfileAttribute `json:"securityProfile,omitempty"`
	Controls        []*Control         `json:"controls"`
	Rules           []*Rule            `json:"-"`

	controls map[string]*Control
	rules    map[string]*Rule
}

// ProfileAttribute is one row of the baseline's security profile.
type ProfileAttribute struct {
	Attribute string `yaml:"attribute" json:"attribute"`
	Value     string `yaml:"value" json:"value"`
}

// Control is one MCSB control, such as DP-3.
type Control struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Domain   string     `json:"domain"`
	Features []*Feature `json:"features"`
}

// Feature is one feature of a control, with the seed's attributes.
type Feature struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Supported   bool   `json:"supported"`
	// EnabledByDefault is nil where the seed says Not Applicable.
	EnabledByDefault *bool `json:"enabledByDefault"`
	// Responsibility is Customer, Microsoft, Shared or Not Applicable.
	Responsibility string `json:"responsibility"`
	// Guidance is the seed's Configuration Guidance.
	Guidance string `json:"guidance"`
	// Notes is the seed's Feature notes.
	Notes     string `json:"notes"`
	Reference string `json:"reference"`
	// Rules are the ids of the rules that assess the feature, computed from
	// the rules' control and feature.
	Rules []string `json:"rules"`
	// Policies are the Azure Policy definitions the seed lists under the feature.
	Policies []PolicyRef `json:"policies"`
	// Updates record where the service has changed since the seed.
	Updates []Update `json:"updates,omitempty"`

	control *Control
}

// Control returns the control the feature belongs to.
func (f *Feature) Control() *Control { return f.control }

// PolicyRef is an Azure Policy definition the seed baseline lists.
type PolicyRef struct {
	ID          string   `yaml:"id" json:"id"`
	DisplayName string   `yaml:"displayName" json:"displayName"`
	Description string   `yaml:"description" json:"description,omitempty"`
	Effects     []string `yaml:"effects" json:"effects"`
	Version     string   `yaml:"version" json:"version"`
}

// Update is a dated note on how the service changed since the seed.
type Update struct {
	Date string `yaml:"date" json:"date"`
	Note string `yaml:"note" json:"note"`
}

// Rule is one assessment of one feature.
type Rule struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Control  string          `json:"control"`
	Feature  string          `json:"feature"`
	Severity report.Severity `json:"severity"`
	Kind     Kind            `json:"kind"`
	// Enabled is false for rules that do not run unless configured
	// (deprecated built-ins, built-ins with a parameter without default).
	Enabled bool `json:"enabled"`
	// Policy is the GUID of a built-in definition (kind builtin).
	Policy string `json:"policy,omitempty"`
	// Builtin is the pinned built-in's metadata (kind builtin), or the
	// custom definition's (kind custom).
	Builtin *PolicyMeta `json:"policyMeta,omitempty"`
	// DefinitionFile is the custom definition's file in data/policies (kind custom).
	DefinitionFile string `json:"definitionFile,omitempty"`
	// Definition is the custom definition's JSON (kind custom).
	Definition json.RawMessage `json:"-"`
	// Parameters are the default parameter values pgbaseline chooses.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Targets are the resource types the rule gives a result on.
	Targets   []string `json:"targets"`
	Rationale string   `json:"rationale"`
	// Message is the sentence a platform, unsupported or manual result carries.
	Message string `json:"message,omitempty"`
	// CIS is the CIS PostgreSQL Benchmark recommendation a data-plane rule
	// implements, if any.
	CIS string `json:"cis,omitempty"`
	// Privilege is the database privilege a data-plane rule needs.
	Privilege   string      `json:"privilege,omitempty"`
	Remediation Remediation `json:"remediation"`

	// Mitigation, when set, names a condition under which the rule's intent
	// is met by other means; resources that meet it are Exempt (Azure's
	// Mitigated exemption category) instead of NonCompliant.
	Mitigation *Mitigation `json:"mitigation,omitempty"`
	// Inputs are the target kinds (terraform, arm-template, ...) a source
	// rule reads; its targeted resources from other inputs get no result.
	Inputs []string `json:"inputs,omitempty"`
	// Needs are the types of the related resources the rule's verdict on
	// a resource reads (its server parameters, diagnostic settings, its
	// subnet, ...). When a source could not read them (Azure refused the
	// read), the verdict would be reached on missing data, so the result
	// is Error instead.
	Needs []string `json:"needs,omitempty"`

	// Source is the data file and line the rule was read from.
	Source string `json:"-"`
}

// Mitigation is a built-in exemption of category Mitigated: when Condition
// (an Azure Policy condition, as in a rule's "if") holds for a resource, the
// rule's intent is met another way and the result is Exempt with Reason.
type Mitigation struct {
	Condition map[string]any `yaml:"condition" json:"condition"`
	Reason    string         `yaml:"reason" json:"reason"`
}

// PolicyMeta is what the rules listing shows about a policy definition.
type PolicyMeta struct {
	DisplayName   string   `yaml:"displayName" json:"displayName"`
	Version       string   `yaml:"version" json:"version"`
	DefaultEffect string   `yaml:"defaultEffect" json:"defaultEffect"`
	Effects       []string `yaml:"effects" json:"effects"`
	Deprecated    bool     `yaml:"deprecated" json:"deprecated"`
	Preview       bool     `yaml:"preview" json:"preview"`
	// File is the verbatim definition's file name (built-ins).
	File string `yaml:"file" json:"file,omitempty"`
	// RequiredParameters are parameters without a default value.
	RequiredParameters []string `yaml:"requiredParameters" json:"requiredParameters,omitempty"`
}

// Remediation says how to fix a failing rule (the vocabulary's type).
type Remediation = verdict.Remediation

// RuleDocURL is where docs/rules.md describes the rules; a rule's anchor
// is its id in lower case.
const RuleDocURL = "https://github.com/pgbaseline/pgbaseline/blob/main/docs/rules.md"

// RuleInfo returns the metadata the report writers show of every rule, by
// id: the one conversion of catalog rules to verdict.Rule.
func (c *Catalog) RuleInfo() map[string]verdict.Rule {
	out := make(map[string]verdict.Rule, len(c.Rules))
	for _, r := range c.Rules {
		info := verdict.Rule{ID: r.ID, Title: r.Title, Description: r.Rationale, Rationale: r.Rationale,
			ControlID: r.Control, Feature: r.Feature, Severity: r.Severity,
			Remediation: new(r.Remediation), PolicyDefinitionID: r.PolicyDefinitionID(),
			HelpURI: RuleDocURL + "#" + strings.ToLower(r.ID)}
		if ctl := c.Control(r.Control); ctl != nil {
			info.ControlTitle = ctl.Title
		}
		out[r.ID] = info
	}
	return out
}

// PolicyDefinitionID is the built-in definition's resource id, or "" for
// rules that are not built-ins.
func (r *Rule) PolicyDefinitionID() string {
	if r.Kind != KindBuiltin || r.Policy == "" {
		return ""
	}
	return PolicyDefinitionPrefix + r.Policy
}

// TargetsType reports whether the rule gives results on resources of type t
// (compared case-insensitively).
func (r *Rule) TargetsType(t string) bool {
	for _, x := range r.Targets {
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

var loadOnce = sync.OnceValues(func() (*Catalog, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return loadFS(sub, false) // strictly checked by the tests
})

// Load returns the embedded catalog, loaded and validated once.
// The returned catalog is shared: callers must not modify it.
func Load() (*Catalog, error) { return loadOnce() }

// Control returns the control with the id, compared case-insensitively, or nil.
func (c *Catalog) Control(id string) *Control {
	return c.controls[strings.ToUpper(strings.TrimSpace(id))]
}

// Rule returns the rule with the id, compared case-insensitively, or nil.
func (c *Catalog) Rule(id string) *Rule {
	return c.rules[strings.ToUpper(strings.TrimSpace(id))]
}

// Feature returns the named feature of a control (both compared
// case-insensitively), or nil.
func (c *Catalog) Feature(control, name string) *Feature {
	ctl := c.Control(control)
	if ctl == nil {
		return nil
	}
	return ctl.Feature(name)
}

// Feature returns the control's feature with the name, compared
// case-insensitively, or nil.
func (c *Control) Feature(name string) *Feature {
	for _, f := range c.Features {
		if strings.EqualFold(f.Name, strings.TrimSpace(name)) {
			return f
		}
	}
	return nil
}

// Features returns every feature of every control, in catalog order.
func (c *Catalog) Features() []*Feature {
	var out []*Feature
	for _, ctl := range c.Controls {
		out = append(out, ctl.Features...)
	}
	return out
}

// RulesFor returns the rules of one feature, in catalog order.
func (c *Catalog) RulesFor(f *Feature) []*Rule {
	out := make([]*Rule, 0, len(f.Rules))
	for _, id := range f.Rules {
		out = append(out, c.rules[strings.ToUpper(id)])
	}
	return out
}
