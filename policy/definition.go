// Package policy is an offline Azure Policy engine: it parses policy
// definitions, compiles each rule once, and evaluates it against ARM
// resources (package arm) with Azure's semantics, including
// AuditIfNotExists and DeployIfNotExists existence checks over child,
// extension, resource-group and subscription resources.
//
// The semantics follow the Azure Policy definition structure documentation:
// case-insensitive string comparison, notEquals true on a missing field,
// [*] aliases as an implicit allOf (vacuously true on an empty array, false
// on a missing one), field and value counts, and template functions shared
// with ARM templates (package arm/expr). A value not known before deployment
// (arm.Unknown) makes a condition unknown, and a rule whose outcome depends
// on it gives the state Unknown rather than a false NonCompliant.
package policy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// ParseError is an invalid definition, naming the JSON path of the fault.
type ParseError struct {
	Path string // e.g. properties.policyRule.if.allOf[1]
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Definition is a parsed and compiled policy definition.
type Definition struct {
	ID, Name, DisplayName, Description, Mode, Version, PolicyType, Category string
	Preview, Deprecated                                                     bool
	// Parameters are keyed as written; look them up with Parameter.
	Parameters map[string]*Parameter
	Metadata   map[string]any

	cond    node
	effect  expr.Node // the effect, a literal or an expression
	details *details
	targets []string
}

// Parameter is a definition parameter.
type Parameter struct {
	Name, Type               string
	DefaultValue             any
	HasDefault               bool
	AllowedValues            []any
	DisplayName, Description string
}

type details struct {
	typ               string
	name              expr.Node
	existence         node
	existenceScope    string
	resourceGroupName expr.Node
	defaultState      string
	raw               map[string]any
}

// Limits from the Azure Policy documentation.
const (
	maxNesting = 64
	maxIfConds = 4096
)

// ParseDefinition parses a definition in any of the shapes Azure and its
// tools print: {"properties": {...}} as the REST API returns it, the bare
// properties object, or a bare {"if": ..., "then": ...} rule.
func ParseDefinition(data []byte) (*Definition, error) {
	doc, _, err := jsonpos.Decode(data)
	if err != nil {
		return nil, &ParseError{Msg: "invalid JSON: " + err.Error()}
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, &ParseError{Msg: "a policy definition must be a JSON object"}
	}
	return FromObject(root)
}

// FromObject parses an already decoded definition.
func FromObject(root map[string]any) (*Definition, error) {
	d := &Definition{}
	props, prefix := root, ""
	if p, ok := lookup(root, "properties").(map[string]any); ok {
		props, prefix = p, "properties."
		d.ID, _ = lookup(root, "id").(string)
		d.Name, _ = lookup(root, "name").(string)
	}
	rule, ok := lookup(props, "policyRule").(map[string]any)
	rulePath := prefix + "policyRule"
	if !ok {
		if _, isRule := lookup(props, "if").(map[string]any); isRule && prefix == "" {
			rule, rulePath = props, ""
		} else {
			return nil, &ParseError{Path: prefix + "policyRule", Msg: "missing: a definition needs a policyRule with \"if\" and \"then\""}
		}
	} else {
		d.DisplayName, _ = lookup(props, "displayName").(string)
		d.Description, _ = lookup(props, "description").(string)
		d.Mode, _ = lookup(props, "mode").(string)
		d.Version, _ = lookup(props, "version").(string)
		d.PolicyType, _ = lookup(props, "policyType").(string)
		if d.Name == "" {
			d.Name, _ = lookup(root, "name").(string)
		}
		if m, ok := lookup(props, "metadata").(map[string]any); ok {
			d.Metadata = m
			d.Category, _ = lookup(m, "category").(string)
			if d.Version == "" {
				d.Version, _ = lookup(m, "version").(string)
			}
			d.Preview = truthy(lookup(m, "preview"))
			d.Deprecated = truthy(lookup(m, "deprecated"))
		}
		if strings.HasSuffix(strings.ToLower(d.Version), "-preview") {
			d.Preview = true
		}
		if strings.HasSuffix(strings.ToLower(d.Version), "-deprecated") {
			d.Deprecated = true
		}
		if err := d.parseParameters(lookup(props, "parameters"), prefix+"parameters"); err != nil {
			return nil, err
		}
	}
	if d.Parameters == nil {
		d.Parameters = map[string]*Parameter{}
	}
	join := func(p string) string {
		if rulePath == "" {
			return p
		}
		return rulePath + "." + p
	}
	c := &compiler{lib: library(), counts: new(int)}
	ifv, ok := lookup(rule, "if").(map[string]any)
	if !ok {
		return nil, &ParseError{Path: join("if"), Msg: "missing or not an object"}
	}
	cond, err := c.condition(ifv, join("if"), 0)
	if err != nil {
		return nil, err
	}
	if *c.counts > maxIfConds {
		return nil, &ParseError{Path: join("if"), Msg: fmt.Sprintf("more than %d condition expressions", maxIfConds)}
	}
	d.cond = cond
	then, ok := lookup(rule, "then").(map[string]any)
	if !ok {
		return nil, &ParseError{Path: join("then"), Msg: "missing or not an object"}
	}
	eff, ok := lookup(then, "effect").(string)
	if !ok || eff == "" {
		return nil, &ParseError{Path: join("then.effect"), Msg: "missing or not a string"}
	}
	if d.effect, err = c.expression(eff, join("then.effect")); err != nil {
		return nil, err
	}
	if lit, ok := d.effect.(expr.Literal); ok {
		if s, _ := lit.Value.(string); !knownEffect(s) {
			return nil, &ParseError{Path: join("then.effect"), Msg: fmt.Sprintf("unknown effect %q", s)}
		}
	}
	if det, ok := lookup(then, "details").(map[string]any); ok {
		if d.details, err = c.details(det, join("then.details")); err != nil {
			return nil, err
		}
	}
	d.targets = targetTypes(d.cond)
	return d, nil
}

func (d *Definition) parseParameters(v any, path string) error {
	d.Parameters = map[string]*Parameter{}
	m, ok := v.(map[string]any)
	if v != nil && !ok {
		return &ParseError{Path: path, Msg: "must be an object"}
	}
	for name, raw := range m {
		pm, ok := raw.(map[string]any)
		if !ok {
			return &ParseError{Path: path + "." + name, Msg: "must be an object"}
		}
		p := &Parameter{Name: name}
		p.Type, _ = lookup(pm, "type").(string)
		if p.Type == "" {
			return &ParseError{Path: path + "." + name + ".type", Msg: "missing"}
		}
		if dv, ok := lookupOK(pm, "defaultValue"); ok {
			p.DefaultValue, p.HasDefault = dv, true
		}
		if av, ok := lookup(pm, "allowedValues").([]any); ok {
			p.AllowedValues = av
		}
		if md, ok := lookup(pm, "metadata").(map[string]any); ok {
			p.DisplayName, _ = lookup(md, "displayName").(string)
			p.Description, _ = lookup(md, "description").(string)
		}
		d.Parameters[name] = p
	}
	return nil
}

// Parameter returns the parameter called name, matched case-insensitively.
func (d *Definition) Parameter(name string) *Parameter {
	if p, ok := d.Parameters[name]; ok {
		return p
	}
	for k, p := range d.Parameters {
		if strings.EqualFold(k, name) {
			return p
		}
	}
	return nil
}

// TargetTypes returns the resource types that the rule's "if" requires
// through a "type" field condition (equals, in or like) at its top level or
// in a top-level allOf; nil means any type.
func (d *Definition) TargetTypes() []string { return d.targets }

// DefaultEffect is the effect with default parameter values, or "" when
// the effect needs a parameter that has no default.
func (d *Definition) DefaultEffect() string {
	if len(d.MissingParameters(nil)) > 0 {
		if lit, ok := d.effect.(expr.Literal); ok {
			s, _ := lit.Value.(string)
			return s
		}
		return ""
	}
	params, err := d.resolveParams(nil)
	if err != nil {
		return ""
	}
	ctx := &evalCtx{def: d, params: params}
	v, err := d.effect.Eval(ctx.exprContext())
	if err != nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

// MissingParameters lists the parameters that have neither a default nor a
// value in params, sorted.
func (d *Definition) MissingParameters(params map[string]any) []string {
	var out []string
	for name, p := range d.Parameters {
		if p.HasDefault {
			continue
		}
		if _, ok := lookupOK(params, name); ok {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// resolveParams merges values over defaults and checks allowed values.
func (d *Definition) resolveParams(values map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(d.Parameters))
	for name, p := range d.Parameters {
		v, ok := lookupOK(values, name)
		if !ok {
			if !p.HasDefault {
				return nil, fmt.Errorf("parameter %q has no value and no default", name)
			}
			v = p.DefaultValue
		} else if len(p.AllowedValues) > 0 && !allowed(p.AllowedValues, v) {
			return nil, fmt.Errorf("parameter %q: value %s is not one of the allowed values %s", name, compact(v), compact(p.AllowedValues))
		}
		out[strings.ToLower(name)] = v
	}
	return out, nil
}

func allowed(list []any, v any) bool {
	for _, a := range list {
		if expr.Equal(expr.Normalize(a), expr.Normalize(v)) {
			return true
		}
		if av, ok := a.([]any); ok {
			_ = av
		}
	}
	// An array parameter's value is allowed when each element is.
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		for _, e := range arr {
			if !allowed(list, e) {
				return false
			}
		}
		return true
	}
	return false
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ParseParams reads parameter values: {"name": value} or the assignment
// shape {"name": {"value": value}}.
func ParseParams(data []byte) (map[string]any, error) {
	doc, _, err := jsonpos.Decode(data)
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parameters must be a JSON object")
	}
	if p, ok := lookup(m, "parameters").(map[string]any); ok && len(m) <= 3 {
		m = p
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if w, ok := v.(map[string]any); ok && len(w) == 1 {
			if inner, ok := lookupOK(w, "value"); ok {
				v = inner
			}
		}
		out[k] = v
	}
	return out, nil
}

var effects = []string{"disabled", "audit", "deny", "auditifnotexists", "deployifnotexists", "append", "modify", "manual", "denyaction", "mutate", "addtonetworkgroup"}

func knownEffect(s string) bool {
	for _, e := range effects {
		if strings.EqualFold(s, e) {
			return true
		}
	}
	return false
}

func truthy(v any) bool {
	b, ok := expr.Truthy(v)
	return ok && b
}

func lookup(m map[string]any, key string) any {
	v, _ := lookupOK(m, key)
	return v
}

func lookupOK(m map[string]any, key string) (any, bool) {
	if m == nil {
		return nil, false
	}
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
