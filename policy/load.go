package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Initiative is a policy set definition: member definitions with
// parameters mapped from the initiative's own.
type Initiative struct {
	ID, Name, DisplayName, Description, Version, PolicyType, Category string
	Parameters                                                        map[string]*Parameter
	Members                                                           []Member
	Metadata                                                          map[string]any
}

// Member is one definition of an initiative.
type Member struct {
	DefinitionID      string
	ReferenceID       string
	DefinitionVersion string
	// Parameters are the member's parameter values as written: literals
	// or expressions such as "[parameters('effect')]" over the
	// initiative's parameters.
	Parameters map[string]any
	GroupNames []string
}

// Assignment is a policy assignment of a definition or an initiative.
type Assignment struct {
	ID, Name, DisplayName string
	// Scope is the assignment's scope (a management group, subscription,
	// resource group or resource id); "" applies everywhere.
	Scope              string
	PolicyDefinitionID string
	DefinitionVersion  string
	Parameters         map[string]any // plain values
	NotScopes          []string
	EnforcementMode    string // Default or DoNotEnforce
	Overrides          []Override
	ResourceSelectors  []ResourceSelector
}

// Override replaces the effect of (some) members: kind policyEffect.
type Override struct {
	Kind      string
	Value     string
	Selectors []Selector
}

// ResourceSelector narrows an assignment (or exemption) to resources
// matching all its selectors.
type ResourceSelector struct {
	Name      string
	Selectors []Selector
}

// Selector is {kind, in | notIn}: resourceLocation, resourceType,
// resourceWithoutLocation, or (in overrides) policyDefinitionReferenceId.
type Selector struct {
	Kind  string
	In    []string
	NotIn []string
}

// Exemption exempts resources under its scope from an assignment (or some
// members of an initiative assignment) until it expires.
type Exemption struct {
	ID, Name, DisplayName string
	// Scope is the exempted scope: the id the exemption is a child of.
	Scope                        string
	PolicyAssignmentID           string
	PolicyDefinitionReferenceIDs []string
	Category                     string // Waiver or Mitigated
	ExpiresOn                    time.Time
	ResourceSelectors            []ResourceSelector
}

// Collection holds what LoadFiles read.
type Collection struct {
	Definitions []*Definition
	Initiatives []*Initiative
	Assignments []*Assignment
	Exemptions  []*Exemption
}

// LoadFiles reads policy definitions, initiatives (policy set
// definitions), assignments and exemptions from files and directories
// (searched recursively for .json files), detecting each kind by content.
// A file may hold one object, an array of them, or {"value": [...]} as az
// and the REST API print. Each problem is returned as an error naming the
// file and JSON path; reading goes on past it.
func LoadFiles(paths []string) (*Collection, []error) {
	c := &Collection{}
	var errs []error
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, de os.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if de.IsDir() {
				switch de.Name() {
				case ".git", "node_modules", ".terraform":
					if path != p {
						return filepath.SkipDir
					}
				}
				return nil
			}
			if path != p && !strings.EqualFold(filepath.Ext(path), ".json") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			for _, e := range c.Add(data) {
				errs = append(errs, &FileError{File: path, Err: e})
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return c, errs
}

// FileError is a problem in one file.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// Add parses one document (an object, an array, or {"value": [...]}) and
// adds what it holds.
func (c *Collection) Add(data []byte) []error {
	doc, _, err := jsonpos.Decode(data)
	if err != nil {
		return []error{&ParseError{Msg: "invalid JSON: " + err.Error()}}
	}
	var items []any
	var paths []string
	switch v := doc.(type) {
	case []any:
		items = v
		for i := range v {
			paths = append(paths, fmt.Sprintf("[%d]", i))
		}
	case map[string]any:
		if val, ok := lookup(v, "value").([]any); ok && len(v) <= 2 {
			items = val
			for i := range val {
				paths = append(paths, fmt.Sprintf("value[%d]", i))
			}
		} else {
			items, paths = []any{v}, []string{""}
		}
	default:
		return []error{&ParseError{Msg: "expected a JSON object or an array of objects"}}
	}
	var errs []error
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			errs = append(errs, &ParseError{Path: paths[i], Msg: "must be an object"})
			continue
		}
		if err := c.addObject(m, paths[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// AddObject adds one decoded definition, initiative, assignment or
// exemption, such as an ARM resource of one of those types read by a
// source. path prefixes the JSON paths of its errors.
func (c *Collection) AddObject(m map[string]any, path string) error { return c.addObject(m, path) }

// Covers reports whether the evaluation's assignment applies to r: r is
// under the assignment's scope, under none of its notScopes, and matches
// its resource selectors. An evaluation without an assignment covers every
// resource.
func (e *Evaluation) Covers(r *arm.Resource) bool {
	a := e.Assignment
	if a == nil {
		return true
	}
	if a.Scope != "" && !underScope(r.ID, a.Scope) {
		return false
	}
	for _, ns := range a.NotScopes {
		if underScope(r.ID, ns) {
			return false
		}
	}
	return len(a.ResourceSelectors) == 0 || matchResourceSelectors(a.ResourceSelectors, r)
}

func (c *Collection) addObject(m map[string]any, path string) error {
	props := m
	if p, ok := lookup(m, "properties").(map[string]any); ok {
		props = p
	}
	typ, _ := lookup(m, "type").(string)
	lt := strings.ToLower(typ)
	switch {
	case strings.HasSuffix(lt, "/policysetdefinitions") || lookup(props, "policyDefinitions") != nil:
		in, err := parseInitiative(m, path)
		if err != nil {
			return err
		}
		c.Initiatives = append(c.Initiatives, in)
	case strings.HasSuffix(lt, "/policyexemptions") || lookup(props, "policyAssignmentId") != nil:
		ex, err := parseExemption(m, path)
		if err != nil {
			return err
		}
		c.Exemptions = append(c.Exemptions, ex)
	case strings.HasSuffix(lt, "/policyassignments") || lookup(props, "policyDefinitionId") != nil:
		a, err := parseAssignment(m, path)
		if err != nil {
			return err
		}
		c.Assignments = append(c.Assignments, a)
	default:
		d, err := fromObject(m, path)
		if err != nil {
			return err
		}
		c.Definitions = append(c.Definitions, d)
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func envelope(m map[string]any, path string) (map[string]any, string, string, string) {
	id, _ := lookup(m, "id").(string)
	name, _ := lookup(m, "name").(string)
	if k, p, ok := lookupEntry(m, "properties"); ok {
		if pm, ok := p.(map[string]any); ok {
			return pm, join(path, k), id, name
		}
	}
	return m, path, id, name
}

func parseInitiative(m map[string]any, path string) (*Initiative, error) {
	props, ppath, id, name := envelope(m, path)
	in := &Initiative{ID: id, Name: name}
	in.DisplayName, _ = lookup(props, "displayName").(string)
	in.Description, _ = lookup(props, "description").(string)
	in.Version, _ = lookup(props, "version").(string)
	in.PolicyType, _ = lookup(props, "policyType").(string)
	if md, ok := lookup(props, "metadata").(map[string]any); ok {
		in.Metadata = md
		in.Category, _ = lookup(md, "category").(string)
	}
	if in.Name == "" && in.ID != "" {
		in.Name = in.ID[strings.LastIndexByte(in.ID, '/')+1:]
	}
	tmp := &Definition{}
	if k, pv, ok := lookupEntry(props, "parameters"); ok {
		if err := tmp.parseParameters(pv, join(ppath, k)); err != nil {
			return nil, err
		}
	}
	in.Parameters = tmp.Parameters
	k, list, _ := lookupEntry(props, "policyDefinitions")
	arr, ok := list.([]any)
	if !ok {
		return nil, &ParseError{Path: join(ppath, "policyDefinitions"), Msg: "must be an array"}
	}
	for i, e := range arr {
		mp := fmt.Sprintf("%s[%d]", join(ppath, k), i)
		em, ok := e.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: mp, Msg: "must be an object"}
		}
		mem := Member{}
		mem.DefinitionID, _ = lookup(em, "policyDefinitionId").(string)
		if mem.DefinitionID == "" {
			return nil, &ParseError{Path: mp + ".policyDefinitionId", Msg: "missing"}
		}
		mem.ReferenceID, _ = lookup(em, "policyDefinitionReferenceId").(string)
		if mem.ReferenceID == "" {
			mem.ReferenceID = lastSegment(mem.DefinitionID)
		}
		mem.DefinitionVersion, _ = lookup(em, "definitionVersion").(string)
		if pv, ok := lookup(em, "parameters").(map[string]any); ok {
			mem.Parameters = unwrapParams(pv)
			// Validate the expressions now, naming their path.
			c := newCompiler()
			for pn, v := range mem.Parameters {
				if _, err := c.operand(v, mp+".parameters."+pn+".value"); err != nil {
					return nil, err
				}
			}
		}
		if gs, ok := lookup(em, "groupNames").([]any); ok {
			for _, g := range gs {
				if s, ok := g.(string); ok {
					mem.GroupNames = append(mem.GroupNames, s)
				}
			}
		}
		in.Members = append(in.Members, mem)
	}
	return in, nil
}

func parseAssignment(m map[string]any, path string) (*Assignment, error) {
	props, ppath, id, name := envelope(m, path)
	a := &Assignment{ID: id, Name: name}
	a.DisplayName, _ = lookup(props, "displayName").(string)
	a.Scope, _ = lookup(props, "scope").(string)
	if a.Scope == "" && id != "" {
		a.Scope = scopeOf(id, "/providers/microsoft.authorization/policyassignments/")
	}
	a.PolicyDefinitionID, _ = lookup(props, "policyDefinitionId").(string)
	if a.PolicyDefinitionID == "" {
		return nil, &ParseError{Path: join(ppath, "policyDefinitionId"), Msg: "missing"}
	}
	a.DefinitionVersion, _ = lookup(props, "definitionVersion").(string)
	a.EnforcementMode, _ = lookup(props, "enforcementMode").(string)
	if pv, ok := lookup(props, "parameters").(map[string]any); ok {
		a.Parameters = unwrapParams(pv)
	}
	if ns, ok := lookup(props, "notScopes").([]any); ok {
		for _, n := range ns {
			if s, ok := n.(string); ok {
				a.NotScopes = append(a.NotScopes, s)
			}
		}
	}
	if k, ov, ok := lookupEntry(props, "overrides"); ok {
		list, ok := ov.([]any)
		if !ok {
			return nil, &ParseError{Path: join(ppath, k), Msg: "must be an array"}
		}
		for i, o := range list {
			op := fmt.Sprintf("%s[%d]", join(ppath, k), i)
			om, ok := o.(map[string]any)
			if !ok {
				return nil, &ParseError{Path: op, Msg: "must be an object"}
			}
			ovr := Override{}
			ovr.Kind, _ = lookup(om, "kind").(string)
			ovr.Value, _ = lookup(om, "value").(string)
			if !strings.EqualFold(ovr.Kind, "policyEffect") {
				return nil, &ParseError{Path: op + ".kind", Msg: fmt.Sprintf("unsupported override kind %q (policyEffect)", ovr.Kind)}
			}
			if !knownEffect(ovr.Value) {
				return nil, &ParseError{Path: op + ".value", Msg: fmt.Sprintf("unknown effect %q", ovr.Value)}
			}
			sels, err := parseSelectors(lookup(om, "selectors"), op+".selectors")
			if err != nil {
				return nil, err
			}
			ovr.Selectors = sels
			a.Overrides = append(a.Overrides, ovr)
		}
	}
	rs, err := parseResourceSelectors(props, ppath)
	if err != nil {
		return nil, err
	}
	a.ResourceSelectors = rs
	return a, nil
}

func parseResourceSelectors(props map[string]any, ppath string) ([]ResourceSelector, error) {
	k, rv, ok := lookupEntry(props, "resourceSelectors")
	if !ok {
		return nil, nil
	}
	list, ok := rv.([]any)
	if !ok {
		return nil, &ParseError{Path: join(ppath, k), Msg: "must be an array"}
	}
	var out []ResourceSelector
	for i, r := range list {
		rp := fmt.Sprintf("%s[%d]", join(ppath, k), i)
		rm, ok := r.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: rp, Msg: "must be an object"}
		}
		rs := ResourceSelector{}
		rs.Name, _ = lookup(rm, "name").(string)
		sels, err := parseSelectors(lookup(rm, "selectors"), rp+".selectors")
		if err != nil {
			return nil, err
		}
		for j, s := range sels {
			switch strings.ToLower(s.Kind) {
			case "resourcelocation", "resourcetype", "resourcewithoutlocation":
			default:
				return nil, &ParseError{Path: fmt.Sprintf("%s.selectors[%d].kind", rp, j), Msg: fmt.Sprintf("unknown selector kind %q (resourceLocation, resourceType, resourceWithoutLocation)", s.Kind)}
			}
		}
		rs.Selectors = sels
		out = append(out, rs)
	}
	return out, nil
}

func parseSelectors(v any, path string) ([]Selector, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &ParseError{Path: path, Msg: "must be an array"}
	}
	var out []Selector
	for i, s := range list {
		sp := fmt.Sprintf("%s[%d]", path, i)
		sm, ok := s.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: sp, Msg: "must be an object"}
		}
		sel := Selector{}
		sel.Kind, _ = lookup(sm, "kind").(string)
		if sel.Kind == "" {
			return nil, &ParseError{Path: sp + ".kind", Msg: "missing"}
		}
		in, hasIn := lookup(sm, "in").([]any)
		notIn, hasNotIn := lookup(sm, "notIn").([]any)
		if hasIn == hasNotIn {
			return nil, &ParseError{Path: sp, Msg: "a selector takes exactly one of in and notIn (an array)"}
		}
		for _, x := range in {
			sel.In = append(sel.In, fmt.Sprint(x))
		}
		for _, x := range notIn {
			sel.NotIn = append(sel.NotIn, fmt.Sprint(x))
		}
		out = append(out, sel)
	}
	return out, nil
}

func parseExemption(m map[string]any, path string) (*Exemption, error) {
	props, ppath, id, name := envelope(m, path)
	ex := &Exemption{ID: id, Name: name}
	ex.DisplayName, _ = lookup(props, "displayName").(string)
	ex.PolicyAssignmentID, _ = lookup(props, "policyAssignmentId").(string)
	if ex.PolicyAssignmentID == "" {
		return nil, &ParseError{Path: join(ppath, "policyAssignmentId"), Msg: "missing"}
	}
	ex.Scope, _ = lookup(props, "scope").(string)
	if ex.Scope == "" && id != "" {
		ex.Scope = scopeOf(id, "/providers/microsoft.authorization/policyexemptions/")
	}
	ex.Category, _ = lookup(props, "exemptionCategory").(string)
	switch strings.ToLower(ex.Category) {
	case "waiver", "mitigated":
	default:
		return nil, &ParseError{Path: join(ppath, "exemptionCategory"), Msg: fmt.Sprintf("must be Waiver or Mitigated, not %q", ex.Category)}
	}
	if refs, ok := lookup(props, "policyDefinitionReferenceIds").([]any); ok {
		for _, r := range refs {
			if s, ok := r.(string); ok {
				ex.PolicyDefinitionReferenceIDs = append(ex.PolicyDefinitionReferenceIDs, s)
			}
		}
	}
	if e, ok := lookup(props, "expiresOn").(string); ok && e != "" {
		t, err := expr.ParseTime(e)
		if err != nil {
			return nil, &ParseError{Path: join(ppath, "expiresOn"), Msg: fmt.Sprintf("not an ISO 8601 time: %q", e)}
		}
		ex.ExpiresOn = t
	}
	rs, err := parseResourceSelectors(props, ppath)
	if err != nil {
		return nil, err
	}
	ex.ResourceSelectors = rs
	return ex, nil
}

// scopeOf returns the part of an id before marker (the scope a policy
// assignment or exemption is a child of).
func scopeOf(id, marker string) string {
	i := strings.Index(strings.ToLower(id), marker)
	if i < 0 {
		return ""
	}
	return id[:i]
}

func lastSegment(id string) string { return id[strings.LastIndexByte(id, '/')+1:] }

// Evaluation is one definition to evaluate with resolved parameters: a
// definition on its own (default parameters), a definition assignment, or
// one member of an initiative assignment.
type Evaluation struct {
	Definition *Definition
	// Params are the resolved parameter values.
	Params map[string]any
	// ReferenceID is the member's policyDefinitionReferenceId within an
	// initiative, or "".
	ReferenceID string
	Initiative  *Initiative
	Assignment  *Assignment
	// GroupNames are the member's initiative groups.
	GroupNames []string
	// EffectOverride is the assignment's effect override for this member.
	EffectOverride string
	Exemptions     []*Exemption
}

// ControlID returns the MCSB control the definition's metadata names
// (metadata.mcsbControl), or "".
func (e *Evaluation) ControlID() string {
	s, _ := lookup(e.Definition.Metadata, "mcsbControl").(string)
	return s
}

// Evaluate evaluates the definition on r with the evaluation's parameters,
// applying the assignment's scope, notScopes, resource selectors and
// effect override, and its exemptions.
func (e *Evaluation) Evaluate(r *arm.Resource, env *Env) *Result {
	local := Env{}
	if env != nil {
		local = *env
	}
	local.Params = e.Params
	if a := e.Assignment; a != nil {
		if a.Scope != "" && !underScope(r.ID, a.Scope) {
			return &Result{State: NotApplicable, Reason: "The resource is outside the assignment's scope " + a.Scope + "."}
		}
		for _, ns := range a.NotScopes {
			if underScope(r.ID, ns) {
				return &Result{State: NotApplicable, Reason: "The assignment excludes " + ns + " (notScopes)."}
			}
		}
		if len(a.ResourceSelectors) > 0 && !matchResourceSelectors(a.ResourceSelectors, r) {
			return &Result{State: NotApplicable, Reason: "The resource does not match the assignment's resource selectors."}
		}
	}
	opts := &evalOpts{effectOverride: e.EffectOverride, referenceID: e.ReferenceID}
	if e.Assignment != nil {
		opts.assignmentID = e.Assignment.ID
	}
	if e.Initiative != nil {
		opts.setDefinitionID = e.Initiative.ID
	}
	res := e.Definition.evaluate(r, &local, opts)
	if e.Assignment != nil && strings.EqualFold(e.Assignment.EnforcementMode, "DoNotEnforce") {
		if res.Details == nil {
			res.Details = map[string]any{}
		}
		res.Details["enforcementMode"] = "DoNotEnforce"
	}
	if ex := e.exemptionFor(r, local.Now); ex != nil && res.State != NotApplicable {
		if res.Details == nil {
			res.Details = map[string]any{}
		}
		res.Details["exemption"] = map[string]any{"id": ex.ID, "name": ex.Name, "category": ex.Category, "evaluatedState": string(res.State)}
		res.State = Exempt
		res.Reason = "Exempt (" + ex.Category + ") by " + firstNonEmpty(ex.DisplayName, ex.Name, ex.ID) + "."
	}
	return res
}

// exemptionFor returns an exemption in force for r, or nil.
func (e *Evaluation) exemptionFor(r *arm.Resource, now time.Time) *Exemption {
	return findExemption(e.Exemptions, e.ReferenceID, r, now)
}

// ExemptionFor returns the exemption in force at now that exempts r from
// the assignment assignmentID (and, for an initiative, its member
// referenceID), or nil. Expired exemptions are not honoured.
func (c *Collection) ExemptionFor(assignmentID, referenceID string, r *arm.Resource, now time.Time) *Exemption {
	var list []*Exemption
	for _, ex := range c.Exemptions {
		if strings.EqualFold(ex.PolicyAssignmentID, assignmentID) {
			list = append(list, ex)
		}
	}
	return findExemption(list, referenceID, r, now)
}

func findExemption(list []*Exemption, refID string, r *arm.Resource, now time.Time) *Exemption {
	if now.IsZero() {
		now = time.Now()
	}
	for _, ex := range list {
		if !ex.ExpiresOn.IsZero() && !now.Before(ex.ExpiresOn) {
			continue // expired: no longer honoured
		}
		if ex.Scope != "" && !underScope(r.ID, ex.Scope) {
			continue
		}
		if len(ex.PolicyDefinitionReferenceIDs) > 0 && !containsFoldString(ex.PolicyDefinitionReferenceIDs, refID) {
			continue
		}
		if len(ex.ResourceSelectors) > 0 && !matchResourceSelectors(ex.ResourceSelectors, r) {
			continue
		}
		return ex
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// underScope reports whether id is scope or lies under it. A management
// group scope covers everything (resources carry no management group).
func underScope(id, scope string) bool {
	scope = strings.TrimSuffix(scope, "/")
	if scope == "" || strings.HasPrefix(strings.ToLower(scope), "/providers/microsoft.management/managementgroups/") {
		return true
	}
	if len(id) < len(scope) || !strings.EqualFold(id[:len(scope)], scope) {
		return false
	}
	return len(id) == len(scope) || id[len(scope)] == '/'
}

func containsFoldString(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// matchResourceSelectors: the resource matches when it matches every
// selector of at least one resource selector.
func matchResourceSelectors(rs []ResourceSelector, r *arm.Resource) bool {
	for _, s := range rs {
		ok := true
		for _, sel := range s.Selectors {
			if !matchSelector(sel, r, "") {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func matchSelector(sel Selector, r *arm.Resource, refID string) bool {
	var value string
	eq := strings.EqualFold
	switch strings.ToLower(sel.Kind) {
	case "resourcelocation":
		value = normLocation(r.Location())
		eq = func(a, b string) bool { return normLocation(a) == normLocation(b) }
	case "resourcetype":
		value = r.Type
	case "resourcewithoutlocation":
		loc := normLocation(r.Location())
		value = fmt.Sprint(loc == "" || loc == "global")
	case "policydefinitionreferenceid":
		value = refID
	default:
		return false
	}
	if len(sel.In) > 0 {
		for _, x := range sel.In {
			if eq(x, value) {
				return true
			}
		}
		return false
	}
	for _, x := range sel.NotIn {
		if eq(x, value) {
			return false
		}
	}
	return true
}

// Evaluations expands the collection into evaluations. Each assignment
// gives one evaluation per definition it assigns (each member of an
// initiative, with the initiative's parameters mapped onto the member's);
// definitions and initiatives no assignment names are evaluated on their
// own with default parameters. lookup finds definitions the collection
// does not hold (such as embedded built-ins) by id or name; it may be nil.
func (c *Collection) Evaluations(lookup func(id string) *Definition) ([]*Evaluation, error) {
	find := func(id string) *Definition {
		for _, d := range c.Definitions {
			if (d.ID != "" && strings.EqualFold(d.ID, id)) || strings.EqualFold(d.Name, lastSegment(id)) {
				return d
			}
		}
		if lookup != nil {
			return lookup(id)
		}
		return nil
	}
	findSet := func(id string) *Initiative {
		for _, in := range c.Initiatives {
			if (in.ID != "" && strings.EqualFold(in.ID, id)) || strings.EqualFold(in.Name, lastSegment(id)) {
				return in
			}
		}
		return nil
	}
	var out []*Evaluation
	var errs []error
	usedDefs := map[*Definition]bool{}
	usedSets := map[*Initiative]bool{}
	for _, a := range c.Assignments {
		label := "assignment " + firstNonEmpty(a.Name, a.ID, a.DisplayName)
		if in := findSet(a.PolicyDefinitionID); in != nil || strings.Contains(strings.ToLower(a.PolicyDefinitionID), "/policysetdefinitions/") {
			if in == nil {
				errs = append(errs, fmt.Errorf("%s: initiative %s is not loaded", label, a.PolicyDefinitionID))
				continue
			}
			usedSets[in] = true
			evs, err := c.expandInitiative(in, a.Parameters, a, find, usedDefs)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", label, err))
				continue
			}
			out = append(out, evs...)
			continue
		}
		d := find(a.PolicyDefinitionID)
		if d == nil {
			errs = append(errs, fmt.Errorf("%s: definition %s is not loaded or built in", label, a.PolicyDefinitionID))
			continue
		}
		usedDefs[d] = true
		if err := checkVersion(d, a.DefinitionVersion); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
			continue
		}
		if err := d.CheckParams(a.Parameters); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, paramPath(err, "properties.parameters.", ".value")))
			continue
		}
		ev := &Evaluation{Definition: d, Params: a.Parameters, Assignment: a}
		ev.EffectOverride = overrideFor(a, "")
		out = append(out, ev)
	}
	for _, in := range c.Initiatives {
		if usedSets[in] {
			continue
		}
		evs, err := c.expandInitiative(in, nil, nil, find, usedDefs)
		if err != nil {
			errs = append(errs, fmt.Errorf("initiative %s: %w", firstNonEmpty(in.Name, in.DisplayName), err))
			continue
		}
		out = append(out, evs...)
	}
	for _, d := range c.Definitions {
		if usedDefs[d] {
			continue
		}
		if missing := d.MissingParameters(nil); len(missing) > 0 {
			errs = append(errs, fmt.Errorf("definition %s needs values for parameters %s: assign it with an assignment file",
				firstNonEmpty(d.Name, d.DisplayName), strings.Join(missing, ", ")))
			continue
		}
		out = append(out, &Evaluation{Definition: d})
	}
	// Attach exemptions to the evaluations of their assignment. An
	// exemption of an assignment that is not loaded stays in c.Exemptions
	// for callers that evaluate by other means (ExemptionFor).
	for _, ex := range c.Exemptions {
		for _, ev := range out {
			if ev.Assignment != nil && strings.EqualFold(ev.Assignment.ID, ex.PolicyAssignmentID) {
				ev.Exemptions = append(ev.Exemptions, ex)
			}
		}
	}
	return out, errors.Join(errs...)
}

func overrideFor(a *Assignment, refID string) string {
	if a == nil {
		return ""
	}
	for _, o := range a.Overrides {
		ok := true
		for _, s := range o.Selectors {
			if strings.EqualFold(s.Kind, "policyDefinitionReferenceId") && !matchSelector(s, &arm.Resource{}, refID) {
				ok = false
			}
		}
		if ok {
			return o.Value
		}
	}
	return ""
}

// expandInitiative resolves the initiative's parameters (values over
// defaults) and maps them onto each member's parameters.
func (c *Collection) expandInitiative(in *Initiative, values map[string]any, a *Assignment, find func(string) *Definition, used map[*Definition]bool) ([]*Evaluation, error) {
	setDef := &Definition{Parameters: in.Parameters}
	if err := setDef.CheckParams(values); err != nil {
		return nil, paramPath(err, "properties.parameters.", ".value")
	}
	var out []*Evaluation
	for _, m := range in.Members {
		d := find(m.DefinitionID)
		if d == nil {
			return nil, fmt.Errorf("member %s: definition %s is not loaded or built in", m.ReferenceID, m.DefinitionID)
		}
		used[d] = true
		if err := checkVersion(d, m.DefinitionVersion); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.ReferenceID, err)
		}
		params := map[string]any{}
		ctx := &evalCtx{def: setDef, params: values}
		ctx.ectx = expr.Context{Funcs: library(), Host: ctx}
		for name, v := range m.Parameters {
			s, ok := v.(string)
			if !ok || !expr.IsExpression(s) {
				if ok {
					v = expr.Unescape(s)
				}
				params[name] = v
				continue
			}
			n, err := expr.ParseString(s)
			if err != nil {
				return nil, fmt.Errorf("member %s: parameter %s: %w", m.ReferenceID, name, err)
			}
			val, err := n.Eval(&ctx.ectx)
			if err != nil {
				return nil, fmt.Errorf("member %s: parameter %s: %w", m.ReferenceID, name, err)
			}
			params[name] = val
		}
		if err := d.CheckParams(params); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.ReferenceID, paramPath(err, "properties.policyDefinitions[].parameters.", ".value"))
		}
		ev := &Evaluation{Definition: d, Params: params, ReferenceID: m.ReferenceID, Initiative: in, Assignment: a, GroupNames: m.GroupNames}
		ev.EffectOverride = overrideFor(a, m.ReferenceID)
		out = append(out, ev)
	}
	return out, nil
}

// paramPath puts a parameter error's name into a document path.
func paramPath(err error, prefix, suffix string) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Path != "" {
		return &ParseError{Path: prefix + pe.Path + suffix, Msg: pe.Msg}
	}
	return err
}

// checkVersion checks a definitionVersion pin ("1.*.*", "1.1.*", "1.1.0")
// against the definition's version.
func checkVersion(d *Definition, pin string) error {
	if pin == "" || d.Version == "" {
		return nil
	}
	want := strings.Split(strings.SplitN(pin, "-", 2)[0], ".")
	have := strings.Split(strings.SplitN(d.Version, "-", 2)[0], ".")
	for i, w := range want {
		if w == "*" {
			continue
		}
		if i >= len(have) || w != have[i] {
			avail := d.Versions
			if len(avail) == 0 {
				avail = []string{d.Version}
			}
			sort.Strings(avail)
			return fmt.Errorf("definition %s is pinned to version %s, but version %s is loaded (versions: %s)",
				firstNonEmpty(d.Name, d.DisplayName), pin, d.Version, strings.Join(avail, ", "))
		}
	}
	return nil
}
