package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pgbaseline/pgbaseline/report"
)

// The files LoadFS reads, relative to the root of the file system.
const (
	catalogFile = "catalog.yaml"
	rulesDir    = "rules"
	policiesDir = "policies"
)

var (
	guidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	controlIDRE = regexp.MustCompile(`^[A-Z]{2}-[0-9]+$`)
	ruleIDRE    = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$`)
)

type catalogYAML struct {
	Benchmark       Benchmark          `yaml:"benchmark"`
	SecurityProfile []ProfileAttribute `yaml:"securityProfile"`
	Controls        []controlYAML      `yaml:"controls"`
}

type controlYAML struct {
	ID       string        `yaml:"id"`
	Title    string        `yaml:"title"`
	Domain   string        `yaml:"domain"`
	Features []featureYAML `yaml:"features"`
}

type featureYAML struct {
	Name             string      `yaml:"name"`
	Description      string      `yaml:"description"`
	Supported        *bool       `yaml:"supported"`
	EnabledByDefault *bool       `yaml:"enabledByDefault"`
	Responsibility   string      `yaml:"responsibility"`
	Guidance         string      `yaml:"guidance"`
	Notes            string      `yaml:"notes"`
	Reference        string      `yaml:"reference"`
	Policies         []PolicyRef `yaml:"policies"`
	Updates          []Update    `yaml:"updates"`
}

type rulesYAML struct {
	Rules []ruleYAML `yaml:"rules"`
}

type ruleYAML struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Control     string         `yaml:"control"`
	Feature     string         `yaml:"feature"`
	Severity    string         `yaml:"severity"`
	Kind        string         `yaml:"kind"`
	Policy      string         `yaml:"policy"`
	Builtin     *PolicyMeta    `yaml:"builtin"`
	Definition  string         `yaml:"definition"`
	Enabled     *bool          `yaml:"enabled"`
	Parameters  map[string]any `yaml:"parameters"`
	Targets     []string       `yaml:"targets"`
	Rationale   string         `yaml:"rationale"`
	Message     string         `yaml:"message"`
	CIS         string         `yaml:"cis"`
	Privilege   string         `yaml:"privilege"`
	Remediation Remediation    `yaml:"remediation"`
	Mitigation  *Mitigation    `yaml:"mitigation"`
	Inputs      []string       `yaml:"inputs"`
	Needs       []string       `yaml:"needs"`
}

// problems collects validation errors, each naming a file and line.
type problems struct{ errs []error }

func (p *problems) add(file string, line int, format string, args ...any) {
	loc := file
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", file, line)
	}
	p.errs = append(p.errs, fmt.Errorf("%s: %s", loc, fmt.Sprintf(format, args...)))
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid baseline catalog:\n%w", errors.Join(p.errs...))
}

// decodeStrict decodes YAML into v, rejecting unknown fields, and returns the
// document's node tree for line numbers.
func decodeStrict(data []byte, v any, strict bool) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if !strict {
		// The embedded catalog passes the strict decode in the tests
		// (LoadFS on a copy of it); decoding the parsed tree once halves
		// the start-up cost of every command.
		return &root, root.Decode(v)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &root, nil
}

// stripComments drops the leading comment and blank lines of a YAML file.
func stripComments(data []byte) []byte {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return data
		}
		data = rest
	}
	return data
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// itemLine is the line of the i-th item of a sequence node, or 0.
func itemLine(seq *yaml.Node, i int) int {
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return 0
	}
	return seq.Content[i].Line
}

// LoadFS loads and validates a catalog from a file system holding
// catalog.yaml, rules/*.yaml and policies/*.json. Every problem found is
// reported, each with its file and line.
func LoadFS(fsys fs.FS) (*Catalog, error) { return loadFS(fsys, true) }

// loadFS is LoadFS; strict also rejects unknown keys, which costs a second
// decode of each file.
func loadFS(fsys fs.FS, strict bool) (*Catalog, error) {
	var p problems
	c := &Catalog{controls: map[string]*Control{}, rules: map[string]*Rule{}}

	data, err := fs.ReadFile(fsys, catalogFile)
	if err != nil {
		return nil, fmt.Errorf("reading the baseline catalog: %w", err)
	}
	var cy catalogYAML
	root, err := decodeStrict(data, &cy, strict)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", catalogFile, err)
	}
	c.Benchmark = cy.Benchmark
	c.SecurityProfile = cy.SecurityProfile
	if c.Benchmark.ID == "" || c.Benchmark.Version == "" || c.Benchmark.Baseline == "" {
		line := 0
		if n := mapValue(root, "benchmark"); n != nil {
			line = n.Line
		}
		p.add(catalogFile, line, "benchmark needs id, version and baseline")
	}
	ctlSeq := mapValue(root, "controls")
	featureLines := map[*Feature]int{}
	for i, cyl := range cy.Controls {
		line := itemLine(ctlSeq, i)
		ctl := &Control{ID: cyl.ID, Title: cyl.Title, Domain: cyl.Domain}
		switch {
		case !controlIDRE.MatchString(ctl.ID):
			p.add(catalogFile, line, "control id %q is not of the form XX-1", ctl.ID)
		case c.controls[ctl.ID] != nil:
			p.add(catalogFile, line, "duplicate control %s", ctl.ID)
		}
		if ctl.Title == "" {
			p.add(catalogFile, line, "control %s has no title", ctl.ID)
		}
		if !slices.Contains(Domains, ctl.Domain) {
			p.add(catalogFile, line, "control %s: unknown domain %q (want one of %s)", ctl.ID, ctl.Domain, strings.Join(Domains, ", "))
		}
		if len(cyl.Features) == 0 {
			p.add(catalogFile, line, "control %s has no features", ctl.ID)
		}
		featSeq := mapValue(ctlSeq.Content[i], "features") // ctlSeq holds cy.Controls, so it exists
		for j, fy := range cyl.Features {
			fline := itemLine(featSeq, j)
			f := &Feature{
				Name: fy.Name, Description: fy.Description, EnabledByDefault: fy.EnabledByDefault,
				Responsibility: fy.Responsibility, Guidance: fy.Guidance, Notes: fy.Notes, Reference: fy.Reference,
				Policies: fy.Policies, Updates: fy.Updates, Rules: []string{}, control: ctl,
			}
			if f.Policies == nil {
				f.Policies = []PolicyRef{}
			}
			featureLines[f] = fline
			validateFeature(&p, fline, ctl, f, fy)
			ctl.Features = append(ctl.Features, f)
		}
		c.Controls = append(c.Controls, ctl)
		if ctl.ID != "" && c.controls[ctl.ID] == nil {
			c.controls[ctl.ID] = ctl
		}
	}

	policies, err := readPolicies(fsys)
	if err != nil {
		return nil, err
	}
	usedPolicies := map[string]bool{}

	files, err := fs.Glob(fsys, rulesDir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		// A rules file is {rules: [...]} or a bare list of rules.
		var ry rulesYAML
		var root *yaml.Node
		var seq *yaml.Node
		if bytes.HasPrefix(bytes.TrimSpace(stripComments(data)), []byte("-")) {
			root, err = decodeStrict(data, &ry.Rules, strict)
			if root != nil && len(root.Content) > 0 {
				seq = root.Content[0]
			}
		} else {
			root, err = decodeStrict(data, &ry, strict)
			seq = mapValue(root, "rules")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i, y := range ry.Rules {
			line := itemLine(seq, i)
			r := c.buildRule(&p, name, line, y, policies, usedPolicies)
			if r == nil {
				continue
			}
			key := strings.ToUpper(r.ID)
			if prev := c.rules[key]; prev != nil {
				p.add(name, line, "duplicate rule id %s (first defined at %s)", r.ID, prev.Source)
				continue
			}
			c.rules[key] = r
			c.Rules = append(c.Rules, r)
		}
	}
	for file := range policies {
		if !usedPolicies[file] {
			p.add(path.Join(policiesDir, file), 0, "no rule uses this definition")
		}
	}

	// Order rules by control, feature, id; compute each feature's rule list.
	order := map[*Feature]int{}
	for i, f := range c.Features() {
		order[f] = i
	}
	sort.SliceStable(c.Rules, func(i, j int) bool {
		fi, fj := c.Feature(c.Rules[i].Control, c.Rules[i].Feature), c.Feature(c.Rules[j].Control, c.Rules[j].Feature)
		if order[fi] != order[fj] {
			return order[fi] < order[fj]
		}
		return c.Rules[i].ID < c.Rules[j].ID
	})
	for _, r := range c.Rules {
		if f := c.Feature(r.Control, r.Feature); f != nil { // nil: already reported
			f.Rules = append(f.Rules, r.ID)
		}
	}
	for _, f := range c.Features() {
		if len(f.Rules) == 0 {
			p.add(catalogFile, featureLines[f], "feature %s %q has no rule (every feature needs at least one)", f.control.ID, f.Name)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func validateFeature(p *problems, line int, ctl *Control, f *Feature, fy featureYAML) {
	where := fmt.Sprintf("feature %s %q", ctl.ID, f.Name)
	if f.Name == "" {
		p.add(catalogFile, line, "control %s has a feature without a name", ctl.ID)
	}
	if ctl.Feature(f.Name) != nil {
		p.add(catalogFile, line, "duplicate %s", where)
	}
	if f.Description == "" || f.Guidance == "" {
		p.add(catalogFile, line, "%s needs a description and guidance", where)
	}
	if fy.Supported == nil {
		p.add(catalogFile, line, "%s: supported must be true or false", where)
	} else {
		f.Supported = *fy.Supported
	}
	if !slices.Contains(Responsibilities, f.Responsibility) {
		p.add(catalogFile, line, "%s: unknown responsibility %q (want one of %s)", where, f.Responsibility, strings.Join(Responsibilities, ", "))
	}
	if f.EnabledByDefault == nil && f.Supported {
		p.add(catalogFile, line, "%s: enabledByDefault may be null (Not Applicable) only for an unsupported feature", where)
	}
	for _, pol := range f.Policies {
		guid := strings.TrimPrefix(pol.ID, PolicyDefinitionPrefix)
		if !strings.HasPrefix(pol.ID, PolicyDefinitionPrefix) || !guidRE.MatchString(guid) {
			p.add(catalogFile, line, "%s: policy id %q is not %s<guid>", where, pol.ID, PolicyDefinitionPrefix)
		}
		if pol.DisplayName == "" || pol.Version == "" || len(pol.Effects) == 0 {
			p.add(catalogFile, line, "%s: policy %s needs displayName, effects and version", where, pol.ID)
		}
	}
	for _, u := range f.Updates {
		if len(u.Date) != len("2006-01-02") || u.Note == "" {
			p.add(catalogFile, line, "%s: an update needs a date (YYYY-MM-DD) and a note", where)
		}
	}
}

// policyFile is a parsed custom definition.
type policyFile struct {
	raw  json.RawMessage
	meta *PolicyMeta
	// params maps each parameter to whether it has a default value.
	params map[string]bool
	types  []string // the type conditions of the if
	err    error
}

func readPolicies(fsys fs.FS) (map[string]*policyFile, error) {
	names, err := fs.Glob(fsys, policiesDir+"/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]*policyFile{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		out[path.Base(name)] = parsePolicy(path.Base(name), data)
	}
	return out, nil
}

func parsePolicy(file string, data []byte) *policyFile {
	pf := &policyFile{raw: json.RawMessage(data), params: map[string]bool{}}
	var def struct {
		Name       string `json:"name"`
		Properties struct {
			DisplayName string `json:"displayName"`
			PolicyType  string `json:"policyType"`
			Mode        string `json:"mode"`
			Version     string `json:"version"`
			Metadata    struct {
				Category string `json:"category"`
				Version  string `json:"version"`
			} `json:"metadata"`
			Parameters map[string]struct {
				DefaultValue  any   `json:"defaultValue"`
				AllowedValues []any `json:"allowedValues"`
			} `json:"parameters"`
			PolicyRule *struct {
				If   any `json:"if"`
				Then struct {
					Effect string `json:"effect"`
				} `json:"then"`
			} `json:"policyRule"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &def); err != nil {
		pf.err = fmt.Errorf("not valid JSON: %w", err)
		return pf
	}
	props := def.Properties
	var errs []string
	if want := strings.TrimSuffix(file, ".json"); def.Name != want || !strings.HasPrefix(def.Name, "pgbaseline-") {
		errs = append(errs, fmt.Sprintf("name must be %q (pgbaseline- and the file name)", want))
	}
	if props.DisplayName == "" || props.PolicyType != "Custom" || (props.Mode != "Indexed" && props.Mode != "All") {
		errs = append(errs, "properties need a displayName, policyType Custom and mode Indexed or All")
	}
	if props.Metadata.Category != "PostgreSQL" || props.Metadata.Version == "" {
		errs = append(errs, "metadata needs category PostgreSQL and a version")
	}
	if props.PolicyRule == nil || props.PolicyRule.If == nil {
		errs = append(errs, "properties.policyRule.if is missing")
	} else if props.PolicyRule.Then.Effect != "[parameters('effect')]" {
		errs = append(errs, "policyRule.then.effect must be [parameters('effect')]")
	}
	meta := &PolicyMeta{DisplayName: props.DisplayName, Version: props.Version}
	if meta.Version == "" {
		meta.Version = props.Metadata.Version
	}
	for name, prm := range props.Parameters {
		pf.params[name] = prm.DefaultValue != nil
		if prm.DefaultValue == nil {
			errs = append(errs, fmt.Sprintf("parameter %s has no defaultValue", name))
		}
	}
	if eff, ok := props.Parameters["effect"]; !ok {
		errs = append(errs, "parameter effect is missing")
	} else {
		meta.DefaultEffect, _ = eff.DefaultValue.(string)
		for _, v := range eff.AllowedValues {
			s, _ := v.(string)
			meta.Effects = append(meta.Effects, s)
		}
		if !slices.Contains(meta.Effects, meta.DefaultEffect) {
			errs = append(errs, "the effect's defaultValue is not among its allowedValues")
		}
	}
	if props.PolicyRule != nil {
		pf.types = typeConditions(props.PolicyRule.If)
		if len(pf.types) == 0 {
			errs = append(errs, `policyRule.if has no {"field": "type", "equals": ...} condition`)
		}
	}
	pf.meta = meta
	if len(errs) > 0 {
		pf.err = errors.New(strings.Join(errs, "; "))
	}
	return pf
}

// typeConditions returns the values of every {"field": "type", "equals": X}
// condition in a policy rule's if.
func typeConditions(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if f, _ := x["field"].(string); strings.EqualFold(f, "type") {
			if s, ok := x["equals"].(string); ok {
				out = append(out, s)
			}
		}
		for _, k := range []string{"allOf", "anyOf"} {
			out = append(out, typeConditions(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, typeConditions(e)...)
		}
	}
	return out
}

func sameTypes(a, b []string) bool {
	norm := func(s []string) []string {
		out := make([]string, 0, len(s))
		for _, x := range s {
			out = append(out, strings.ToLower(x))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

func (c *Catalog) buildRule(p *problems, file string, line int, y ruleYAML, policies map[string]*policyFile, used map[string]bool) *Rule {
	r := &Rule{
		ID: y.ID, Title: y.Title, Control: y.Control, Feature: y.Feature,
		Severity: report.Severity(y.Severity), Kind: Kind(y.Kind), Enabled: true,
		Policy: y.Policy, Builtin: y.Builtin, DefinitionFile: y.Definition,
		Parameters: y.Parameters, Targets: y.Targets, Rationale: y.Rationale,
		Message: y.Message, CIS: y.CIS, Privilege: y.Privilege, Remediation: y.Remediation, Mitigation: y.Mitigation, Inputs: y.Inputs, Needs: y.Needs,
		Source: fmt.Sprintf("%s:%d", file, line),
	}
	if y.Enabled != nil {
		r.Enabled = *y.Enabled
	}
	bad := func(format string, args ...any) {
		p.add(file, line, "rule %s: %s", r.ID, fmt.Sprintf(format, args...))
	}
	if !ruleIDRE.MatchString(r.ID) {
		p.add(file, line, "rule id %q is not of the form PREFIX-PART (e.g. PGB-NS1-01)", r.ID)
		return nil
	}
	if r.Title == "" || r.Rationale == "" || r.Remediation.Summary == "" {
		bad("needs a title, a rationale and a remediation summary")
	}
	if r.Severity.Rank() == 0 {
		bad("severity %q is not critical, high, medium or low", y.Severity)
	}
	if ctl := c.Control(r.Control); ctl == nil {
		bad("unknown control %q", r.Control)
	} else if f := ctl.Feature(r.Feature); f == nil {
		bad("control %s has no feature %q", ctl.ID, r.Feature)
	} else {
		// Use the catalog's spelling.
		r.Control, r.Feature = ctl.ID, f.Name
	}
	if len(r.Targets) == 0 {
		bad("needs targets (the resource types it gives results on)")
	}
	for _, t := range r.Targets {
		// Data-plane rules target database connections ("PostgreSQL").
		if r.Kind != KindDataplane && (strings.Count(t, "/") < 1 || !strings.Contains(t, ".")) {
			bad("target %q is not a resource type such as Microsoft.DBforPostgreSQL/flexibleServers", t)
		}
		if strings.TrimSpace(t) == "" {
			bad("a target is empty")
		}
	}
	if (r.CIS != "" || r.Privilege != "") && r.Kind != KindDataplane {
		bad("cis and privilege belong to dataplane rules")
	}
	needSnippets := func() {
		if r.Remediation.AzureCLI == "" || r.Remediation.Terraform == "" || r.Remediation.Bicep == "" {
			bad("remediation needs azureCli, terraform and bicep")
		}
	}
	switch r.Kind {
	case KindBuiltin:
		needSnippets()
		if !guidRE.MatchString(r.Policy) {
			bad("policy %q is not a lowercase GUID", r.Policy)
		} else if want := "AZP-" + r.Policy[:8]; r.ID != want {
			bad("a built-in rule's id must be %s", want)
		}
		if r.DefinitionFile != "" || y.Message != "" {
			bad("a builtin rule has no definition or message")
		}
		m := r.Builtin
		if m == nil || m.DisplayName == "" || m.Version == "" || m.DefaultEffect == "" || !slices.Contains(m.Effects, m.DefaultEffect) {
			bad("builtin: needs displayName, version, defaultEffect and effects (containing the default)")
			break
		}
		if m.Deprecated && r.Enabled {
			bad("the built-in is deprecated: set enabled: false")
		}
		for _, name := range m.RequiredParameters {
			if _, ok := r.Parameters[name]; !ok && r.Enabled {
				bad("parameter %s has no default: set it under parameters or set enabled: false", name)
			}
		}
	case KindCustom:
		needSnippets()
		if r.Policy != "" || r.Builtin != nil || y.Message != "" {
			bad("a custom rule has a definition, not a policy, builtin or message")
		}
		pf := policies[r.DefinitionFile]
		if pf == nil {
			bad("definition %q is not a file in %s/", r.DefinitionFile, policiesDir)
			break
		}
		used[r.DefinitionFile] = true
		if pf.err != nil {
			p.add(path.Join(policiesDir, r.DefinitionFile), 0, "%v", pf.err)
			break
		}
		r.Definition = pf.raw
		r.Builtin = pf.meta
		if !sameTypes(pf.types, r.Targets) {
			bad("targets %v do not agree with the definition's type condition %v", r.Targets, pf.types)
		}
		for name := range r.Parameters {
			if _, ok := pf.params[name]; !ok {
				bad("parameter %s is not a parameter of %s", name, r.DefinitionFile)
			}
		}
	case KindGo:
		needSnippets()
		if r.Policy != "" || r.Builtin != nil || r.DefinitionFile != "" || y.Message != "" {
			bad("a go rule has no policy, builtin, definition or message")
		}
	case KindPlatform, KindUnsupported, KindManual:
		if r.Message == "" {
			bad("a %s rule needs the message its results carry", r.Kind)
		}
		if r.Policy != "" || r.Builtin != nil || r.DefinitionFile != "" || len(r.Parameters) > 0 {
			bad("a %s rule has no policy, builtin, definition or parameters", r.Kind)
		}
	case KindDataplane:
		if r.Policy != "" || r.Builtin != nil || r.DefinitionFile != "" || y.Message != "" {
			bad("a %s rule has no policy, builtin, definition or message", r.Kind)
		}
	case KindSource:
		// A source rule's message, when given, is what its Compliant
		// results (targeted resources without a finding) say.
		if r.Policy != "" || r.Builtin != nil || r.DefinitionFile != "" {
			bad("a %s rule has no policy, builtin or definition", r.Kind)
		}
	default:
		bad("kind %q is not one of builtin, custom, go, platform, unsupported, manual, dataplane, source", y.Kind)
	}
	return r
}
