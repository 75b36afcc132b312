package policy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// ParseError is an invalid definition (or initiative, assignment,
// exemption), naming the JSON path of the fault.
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
	// Parameters are keyed as written; Parameter looks them up
	// case-insensitively.
	Parameters map[string]*Parameter
	Metadata   map[string]any
	// Versions lists the versions the definition says exist.
	Versions []string

	cond        node
	effect      operand
	details     *details
	targets     []string
	hasTypeCond bool
	conditions  int                  // condition expressions in if and existenceCondition
	fields      map[string]*fieldRef // field('x') literals, by lower-case name
	dynFields   sync.Map             // field names computed at evaluation time
}

// Parameter is a definition parameter.
type Parameter struct {
	Name, Type               string
	DefaultValue             any
	HasDefault               bool
	AllowedValues            []any
	DisplayName, Description string
}

// ParseDefinition parses a definition in any of the shapes Azure and its
// tools print: {"properties": {...}} as the REST API returns it, the bare
// properties object, or a bare {"if": ..., "then": ...} rule. It compiles
// the rule once and returns a *ParseError naming the JSON path of the
// first fault.
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

// FromObject parses an already decoded definition (any shape
// ParseDefinition accepts).
func FromObject(root map[string]any) (*Definition, error) {
	return fromObject(root, "")
}

func fromObject(root map[string]any, base string) (*Definition, error) {
	d := &Definition{}
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "." + b
	}
	props, prefix := root, base
	if pk, p, ok := lookupEntry(root, "properties"); ok {
		pm, isMap := p.(map[string]any)
		if !isMap {
			return nil, &ParseError{Path: join(base, pk), Msg: "must be an object"}
		}
		props, prefix = pm, join(base, pk)
		d.ID, _ = lookup(root, "id").(string)
		d.Name, _ = lookup(root, "name").(string)
	}
	rk, rv, hasRule := lookupEntry(props, "policyRule")
	var rule map[string]any
	rulePath := join(prefix, rk)
	switch {
	case hasRule:
		m, ok := rv.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: rulePath, Msg: "must be an object with if and then"}
		}
		rule = m
	case prefix == base:
		if _, _, isRule := lookupEntry(props, "if"); isRule {
			rule, rulePath = props, base
		}
	}
	if rule == nil {
		return nil, &ParseError{Path: join(prefix, "policyRule"), Msg: "missing: a definition needs a policyRule with \"if\" and \"then\""}
	}
	if hasRule {
		d.DisplayName, _ = lookup(props, "displayName").(string)
		d.Description, _ = lookup(props, "description").(string)
		d.Mode, _ = lookup(props, "mode").(string)
		d.Version, _ = lookup(props, "version").(string)
		d.PolicyType, _ = lookup(props, "policyType").(string)
		if d.Name == "" {
			d.Name, _ = lookup(root, "name").(string)
		}
		if d.ID == "" {
			d.ID, _ = lookup(props, "id").(string)
		}
		if vs, ok := lookup(props, "versions").([]any); ok {
			for _, v := range vs {
				if s, ok := v.(string); ok {
					d.Versions = append(d.Versions, s)
				}
			}
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
		lv := strings.ToLower(d.Version)
		d.Preview = d.Preview || strings.HasSuffix(lv, "-preview")
		d.Deprecated = d.Deprecated || strings.HasSuffix(lv, "-deprecated")
		if pk, pv, ok := lookupEntry(props, "parameters"); ok {
			if err := d.parseParameters(pv, join(prefix, pk)); err != nil {
				return nil, err
			}
		}
	}
	if d.Parameters == nil {
		d.Parameters = map[string]*Parameter{}
	}
	if d.Name == "" && d.ID != "" {
		d.Name = d.ID[strings.LastIndexByte(d.ID, '/')+1:]
	}
	c := newCompiler()
	if hasRule {
		c.params = func(name string) bool { return d.Parameter(name) != nil }
	}
	ik, ifv, ok := lookupEntry(rule, "if")
	if !ok {
		return nil, &ParseError{Path: join(rulePath, "if"), Msg: "missing"}
	}
	cond, err := c.condition(ifv, join(rulePath, ik), 0)
	if err != nil {
		return nil, err
	}
	if c.conds > maxIfConds {
		return nil, &ParseError{Path: join(rulePath, ik), Msg: fmt.Sprintf("more than %d condition expressions", maxIfConds)}
	}
	d.cond = cond
	tk, tv, ok := lookupEntry(rule, "then")
	if !ok {
		return nil, &ParseError{Path: join(rulePath, "then"), Msg: "missing"}
	}
	then, ok := tv.(map[string]any)
	if !ok {
		return nil, &ParseError{Path: join(rulePath, tk), Msg: "must be an object with effect"}
	}
	thenPath := join(rulePath, tk)
	for k := range rule {
		if !strings.EqualFold(k, "if") && !strings.EqualFold(k, "then") && rulePath != base {
			return nil, &ParseError{Path: join(rulePath, k), Msg: "unknown key in policyRule (if, then)"}
		}
	}
	ek, ev, ok := lookupEntry(then, "effect")
	eff, isStr := ev.(string)
	if !ok || !isStr || eff == "" {
		return nil, &ParseError{Path: join(thenPath, "effect"), Msg: "missing or not a string"}
	}
	effPath := join(thenPath, ek)
	if d.effect, err = c.operand(eff, effPath); err != nil {
		return nil, err
	}
	switch d.effect.kind {
	case oLiteral:
		if s, _ := d.effect.lit.(string); !knownEffect(s) {
			return nil, &ParseError{Path: effPath, Msg: fmt.Sprintf("unknown effect %q", s)}
		}
	case oParam:
		p := d.Parameter(d.effect.name)
		if p == nil {
			return nil, &ParseError{Path: effPath, Msg: fmt.Sprintf("the effect names parameter %q, which the definition does not declare", d.effect.name)}
		}
		for _, a := range p.AllowedValues {
			if s, ok := a.(string); !ok || !knownEffect(s) {
				return nil, &ParseError{Path: prefix + ".parameters." + p.Name + ".allowedValues", Msg: fmt.Sprintf("%s is not an effect", compact(a))}
			}
		}
	}
	if dk, dv, ok := lookupEntry(then, "details"); ok {
		dpath := join(thenPath, dk)
		if dm, isMap := dv.(map[string]any); isMap {
			if d.details, err = c.details(dm, dpath, eff); err != nil {
				return nil, err
			}
		} else if d.details, err = c.appendDetails(dv, dpath); err != nil {
			return nil, err
		}
	}
	if err := d.checkEffectDetails(c, join(thenPath, "details")); err != nil {
		return nil, err
	}
	d.fields = c.fields
	d.conditions = countConditions(d.cond)
	if d.details != nil && d.details.existence != nil {
		d.conditions += countConditions(d.details.existence)
	}
	d.targets = targetTypes(d.cond)
	d.hasTypeCond = hasTypeLeaf(d.cond)
	return d, nil
}

// checkEffectDetails requires the details the literal effect needs.
func (d *Definition) checkEffectDetails(c *compiler, path string) error {
	if d.effect.kind != oLiteral {
		return nil
	}
	e := strings.ToLower(d.effect.lit.(string))
	switch e {
	case "auditifnotexists", "deployifnotexists":
		if d.details == nil || d.details.typ == "" {
			return &ParseError{Path: path + ".type", Msg: d.effect.lit.(string) + " needs details.type"}
		}
	case "modify":
		if d.details == nil || len(d.details.operations) == 0 {
			return &ParseError{Path: path + ".operations", Msg: "Modify needs details.operations"}
		}
	case "append":
		if d.details == nil || len(d.details.appends) == 0 {
			return &ParseError{Path: path, Msg: "Append needs details: an array of {field, value}"}
		}
	case "denyaction":
		if d.details == nil || len(d.details.actionNames) == 0 {
			return &ParseError{Path: path + ".actionNames", Msg: "DenyAction needs details.actionNames"}
		}
	}
	return nil
}

func walkNodes(n node, fn func(*leaf)) {
	switch v := n.(type) {
	case allOf:
		for _, x := range v {
			walkNodes(x, fn)
		}
	case anyOf:
		for _, x := range v {
			walkNodes(x, fn)
		}
	case notNode:
		walkNodes(v.n, fn)
	case *leaf:
		fn(v)
		if v.count != nil && v.count.where != nil {
			walkNodes(v.count.where, fn)
		}
	}
}

// ConditionCount returns the number of condition expressions (leaves) in
// the rule's if and existence condition.
func (d *Definition) ConditionCount() int { return d.conditions }

func countConditions(n node) int {
	k := 0
	walkNodes(n, func(*leaf) { k++ })
	return k
}

func hasTypeLeaf(n node) bool {
	found := false
	walkNodes(n, func(l *leaf) {
		if l.side == sideField && l.field != nil && l.field.kind == fType {
			found = true
		}
	})
	return found
}

var paramTypes = map[string]bool{"string": true, "array": true, "object": true, "boolean": true, "integer": true, "float": true, "datetime": true}

func (d *Definition) parseParameters(v any, path string) error {
	d.Parameters = map[string]*Parameter{}
	m, ok := v.(map[string]any)
	if v != nil && !ok {
		return &ParseError{Path: path, Msg: "must be an object"}
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pm, ok := m[name].(map[string]any)
		ppath := path + "." + name
		if !ok {
			return &ParseError{Path: ppath, Msg: "must be an object"}
		}
		p := &Parameter{Name: name}
		p.Type, _ = lookup(pm, "type").(string)
		if !paramTypes[strings.ToLower(p.Type)] {
			return &ParseError{Path: ppath + ".type", Msg: fmt.Sprintf("must be one of string, array, object, boolean, integer, float, dateTime, not %q", p.Type)}
		}
		if av, ok := lookupOK(pm, "allowedValues"); ok {
			list, ok := av.([]any)
			if !ok {
				return &ParseError{Path: ppath + ".allowedValues", Msg: "must be an array"}
			}
			p.AllowedValues = deepNormalize(list).([]any)
		}
		if dv, ok := lookupOK(pm, "defaultValue"); ok {
			p.DefaultValue, p.HasDefault = deepNormalize(dv), true
			if err := p.check(p.DefaultValue); err != nil {
				return &ParseError{Path: ppath + ".defaultValue", Msg: err.Error()}
			}
		}
		if md, ok := lookup(pm, "metadata").(map[string]any); ok {
			p.DisplayName, _ = lookup(md, "displayName").(string)
			p.Description, _ = lookup(md, "description").(string)
		}
		d.Parameters[name] = p
	}
	return nil
}

// check validates a value against the parameter's type and allowed values
// (compared case-sensitively, as Azure does at assignment).
func (p *Parameter) check(v any) error {
	v = expr.Normalize(v)
	ok := true
	switch strings.ToLower(p.Type) {
	case "string", "datetime":
		_, ok = v.(string)
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	case "boolean":
		_, ok = v.(bool)
	case "integer":
		_, ok = expr.AsInt(v)
	case "float":
		ok = expr.IsNumber(v)
	}
	if !ok && v != nil {
		return fmt.Errorf("parameter %q is of type %s, not %s", p.Name, p.Type, expr.TypeName(v))
	}
	if len(p.AllowedValues) > 0 && !allowed(p.AllowedValues, v) {
		return fmt.Errorf("parameter %q: value %s is not one of the allowed values %s", p.Name, compact(v), compact(p.AllowedValues))
	}
	return nil
}

// allowed: v is one of the allowed values, or (for an array parameter
// whose allowed values are scalars) each of its elements is.
func allowed(list []any, v any) bool {
	for _, a := range list {
		if exactEqual(a, v) {
			return true
		}
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if !allowed(list, expr.Normalize(e)) {
				return false
			}
		}
		return true
	}
	return false
}

func exactEqual(a, b any) bool {
	a, b = expr.Normalize(a), expr.Normalize(b)
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		return ok && as == bs
	}
	return expr.Equal(a, b)
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
// through a "type" field condition (equals, in, or like without a
// wildcard) at its top level or in a top-level allOf; nil means any type.
func (d *Definition) TargetTypes() []string { return d.targets }

// DefaultEffect is the effect with default parameter values, or "" when
// the effect needs a parameter that has no default.
func (d *Definition) DefaultEffect() string {
	switch d.effect.kind {
	case oLiteral:
		s, _ := d.effect.lit.(string)
		return s
	case oParam:
		if p := d.Parameter(d.effect.name); p != nil && p.HasDefault {
			s, _ := p.DefaultValue.(string)
			return s
		}
		return ""
	}
	return ""
}

// Effects lists the effects the definition can have: its effect
// parameter's allowed values, or the literal effect.
func (d *Definition) Effects() []string {
	if d.effect.kind == oParam {
		if p := d.Parameter(d.effect.name); p != nil {
			var out []string
			for _, a := range p.AllowedValues {
				if s, ok := a.(string); ok {
					out = append(out, s)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	if e := d.DefaultEffect(); e != "" {
		return []string{e}
	}
	return nil
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

// CheckParams validates parameter values: every value names a declared
// parameter, fits its type and allowed values, and every parameter
// without a default has a value. A bad value is a *ParseError whose Path
// is the parameter's name.
func (d *Definition) CheckParams(params map[string]any) error {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := d.Parameter(k)
		if p == nil {
			return &ParseError{Path: k, Msg: fmt.Sprintf("parameter %q: the definition has no such parameter", k)}
		}
		if err := p.check(params[k]); err != nil {
			return &ParseError{Path: k, Msg: err.Error()}
		}
	}
	if missing := d.MissingParameters(params); len(missing) > 0 {
		return fmt.Errorf("parameters without a default need a value: %s", strings.Join(missing, ", "))
	}
	return nil
}

// checkParams is the evaluation-time check: allowed values and missing
// values only (unknown names are ignored, as a shared parameter file may
// hold values for other definitions).
func (d *Definition) checkParams(params map[string]any) error {
	for k, v := range params {
		if p := d.Parameter(k); p != nil && (len(p.AllowedValues) > 0 || !strings.EqualFold(p.Type, "string")) {
			if err := p.check(v); err != nil {
				return err
			}
		}
	}
	for name, p := range d.Parameters {
		if p.HasDefault {
			continue
		}
		if _, ok := lookupOK(params, name); !ok {
			return fmt.Errorf("parameter %q has no value and no default", name)
		}
	}
	return nil
}

// fieldRef returns the compiled reference for a field name, compiling
// (and caching) names computed at evaluation time.
func (d *Definition) fieldRef(name string) *fieldRef {
	if f, ok := d.fields[name]; ok {
		return f
	}
	if f, ok := d.dynFields.Load(name); ok {
		return f.(*fieldRef)
	}
	if f, ok := d.fields[strings.ToLower(name)]; ok {
		return f
	}
	f := compileField(name)
	d.dynFields.Store(name, f)
	return f
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ParseParams reads parameter values: {"name": value}, the assignment
// shape {"name": {"value": value}}, or a deployment parameter file
// ({"$schema", "parameters": {...}}).
func ParseParams(data []byte) (map[string]any, error) {
	doc, _, err := jsonpos.Decode(data)
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parameters must be a JSON object")
	}
	if p, ok := lookup(m, "parameters").(map[string]any); ok {
		if _, hasSchema := lookupOK(m, "$schema"); hasSchema || len(m) == 1 {
			m = p
		}
	}
	return unwrapParams(m), nil
}

func unwrapParams(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if w, ok := v.(map[string]any); ok && len(w) == 1 {
			if inner, ok := lookupOK(w, "value"); ok {
				v = inner
			}
		}
		out[k] = deepNormalize(v)
	}
	return out
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
	b, ok := boolish(v)
	return ok && b
}

func lookup(m map[string]any, key string) any {
	v, _ := lookupOK(m, key)
	return v
}

func lookupOK(m map[string]any, key string) (any, bool) {
	_, v, ok := lookupEntry(m, key)
	return v, ok
}

// lookupEntry finds key (ASCII case-insensitively) and returns the key
// as written.
func lookupEntry(m map[string]any, key string) (string, any, bool) {
	if m == nil {
		return "", nil, false
	}
	if v, ok := m[key]; ok {
		return key, v, true
	}
	for k, v := range m {
		if asciiEqualFold(k, key) {
			return k, v, true
		}
	}
	return "", nil, false
}
