package terraform

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// IsPlan reports whether a decoded JSON document is a Terraform plan as
// `terraform show -json` prints it.
func IsPlan(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m["format_version"].(string); !ok {
		return false
	}
	_, pv := m["planned_values"].(map[string]any)
	_, rc := m["resource_changes"].([]any)
	return pv || rc
}

// planResource is one resource instance of a plan.
type planResource struct {
	address, moduleAddr, typ, name string
	index                          any
	values                         map[string]any
	inst                           *instance
	state                          int
}

type planReader struct {
	name    string
	byAddr  map[string]*planResource
	byDecl  map[string][]*planResource // module address + "|" + type.name
	config  map[string]map[string]any  // config module path + "|" + type.name -> expressions
	decls   map[string]*resourceDecl
	ordered []*planResource
}

// ReadPlan reads a decoded plan document read from the file name. ok is
// false when the document is not a plan.
func ReadPlan(name string, doc any) (in *source.Input, ok bool) {
	if !IsPlan(doc) {
		return nil, false
	}
	in = &source.Input{Kind: source.KindTerraformPlan, Location: name}
	defer func() {
		if p := recover(); p != nil {
			in.Errors = append(in.Errors, &source.Error{File: name, Msg: "internal error while reading the plan; please report it"})
		}
	}()
	m := doc.(map[string]any)
	pr := &planReader{name: name, byAddr: map[string]*planResource{}, byDecl: map[string][]*planResource{},
		config: map[string]map[string]any{}, decls: map[string]*resourceDecl{}}
	unknowns := map[string]any{}
	if rcs, ok := m["resource_changes"].([]any); ok {
		for _, e := range rcs {
			rc, _ := e.(map[string]any)
			addr, _ := rc["address"].(string)
			ch, _ := rc["change"].(map[string]any)
			if addr != "" && ch != nil {
				unknowns[addr] = ch["after_unknown"]
			}
		}
	}
	if pv, ok := m["planned_values"].(map[string]any); ok {
		if root, ok := pv["root_module"].(map[string]any); ok {
			pr.collect(root, "", unknowns, 0)
		}
	} else if rcs, ok := m["resource_changes"].([]any); ok {
		// A plan without planned_values: read the changes' after values.
		for _, e := range rcs {
			rc, _ := e.(map[string]any)
			ch, _ := rc["change"].(map[string]any)
			after, _ := ch["after"].(map[string]any)
			if after == nil {
				continue
			}
			rc["values"] = after
			pr.add(rc, stringField(rc, "module_address"), unknowns)
		}
	}
	azurerm := 0
	if cfg, ok := m["configuration"].(map[string]any); ok {
		if pc, ok := cfg["provider_config"].(map[string]any); ok {
			if az, ok := pc["azurerm"].(map[string]any); ok {
				if vc, ok := az["version_constraint"].(string); ok {
					azurerm = majorOf(vc)
				}
			}
		}
		if root, ok := cfg["root_module"].(map[string]any); ok {
			pr.collectConfig(root, "", 0)
		}
	}
	if len(pr.ordered) > MaxResources {
		in.Errors = append(in.Errors, &source.Error{File: name, Msg: fmt.Sprintf(
			"the plan has %d resource instances: more than the limit of %d; the rest are not read", len(pr.ordered), MaxResources)})
		pr.ordered = pr.ordered[:MaxResources]
	}
	idx := &jsonpos.Index{}
	mp := newMapper(idx, azurerm)
	for _, r := range pr.ordered {
		pr.resolve(r)
	}
	for _, r := range pr.ordered {
		mp.mapInstance(r.inst)
	}
	mp.finish()
	in.Resources = mp.out
	if len(in.Resources) == 0 && len(pr.ordered) == 0 {
		in.Errors = append(in.Errors, &source.Error{File: name, Msg: "the plan holds no planned resources"})
	}
	return in, true
}

func stringField(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func (pr *planReader) collect(mod map[string]any, moduleAddr string, unknowns map[string]any, depth int) {
	if depth > MaxModuleDepth {
		return
	}
	if list, ok := mod["resources"].([]any); ok {
		for _, e := range list {
			if rm, ok := e.(map[string]any); ok {
				pr.add(rm, moduleAddr, unknowns)
			}
		}
	}
	if list, ok := mod["child_modules"].([]any); ok {
		for _, e := range list {
			if cm, ok := e.(map[string]any); ok {
				pr.collect(cm, stringField(cm, "address"), unknowns, depth+1)
			}
		}
	}
}

func (pr *planReader) add(rm map[string]any, moduleAddr string, unknowns map[string]any) {
	if stringField(rm, "mode") == "data" {
		return
	}
	addr := stringField(rm, "address")
	if addr == "" || pr.byAddr[addr] != nil {
		return
	}
	values, _ := rm["values"].(map[string]any)
	if values == nil {
		values = map[string]any{}
	}
	values = mergeUnknown(values, unknowns[addr], 0).(map[string]any)
	r := &planResource{address: addr, moduleAddr: moduleAddr, typ: stringField(rm, "type"), name: stringField(rm, "name"),
		index: rm["index"], values: values}
	pr.byAddr[addr] = r
	k := moduleAddr + "|" + r.typ + "." + r.name
	pr.byDecl[k] = append(pr.byDecl[k], r)
	pr.ordered = append(pr.ordered, r)
}

// mergeUnknown puts arm.Unknown where after_unknown says a value is known
// only after apply.
func mergeUnknown(v any, unk any, depth int) any {
	if depth > maxValueDepth {
		return v
	}
	switch u := unk.(type) {
	case bool:
		if u {
			return arm.Unknown{Reason: "known only after apply"}
		}
	case map[string]any:
		m, ok := v.(map[string]any)
		if !ok {
			if v != nil {
				return v
			}
			m = map[string]any{}
		}
		out := make(map[string]any, len(m)+len(u))
		for k, x := range m {
			out[k] = x
		}
		for k, x := range u {
			out[k] = mergeUnknown(out[k], x, depth+1)
		}
		return out
	case []any:
		l, _ := v.([]any)
		out := append([]any{}, l...)
		for i, x := range u {
			if i < len(out) {
				out[i] = mergeUnknown(out[i], x, depth+1)
			} else if b, ok := x.(bool); ok && b {
				out = append(out, arm.Unknown{Reason: "known only after apply"})
			}
		}
		return out
	}
	return v
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

// configPath strips instance keys from a module address.
func configPath(moduleAddr string) string { return indexRE.ReplaceAllString(moduleAddr, "") }

func (pr *planReader) collectConfig(mod map[string]any, path string, depth int) {
	if depth > MaxModuleDepth {
		return
	}
	if list, ok := mod["resources"].([]any); ok {
		for _, e := range list {
			rm, _ := e.(map[string]any)
			if rm == nil || stringField(rm, "mode") == "data" {
				continue
			}
			exprs, _ := rm["expressions"].(map[string]any)
			pr.config[path+"|"+stringField(rm, "type")+"."+stringField(rm, "name")] = exprs
		}
	}
	if calls, ok := mod["module_calls"].(map[string]any); ok {
		names := make([]string, 0, len(calls))
		for n := range calls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			call, _ := calls[n].(map[string]any)
			child, _ := call["module"].(map[string]any)
			if child == nil {
				continue
			}
			p := "module." + n
			if path != "" {
				p = path + ".module." + n
			}
			pr.collectConfig(child, p, depth+1)
		}
	}
}

// resolve turns a plan resource into an instance with a placeholder id,
// filling unknown references from the plan's configuration.
func (pr *planReader) resolve(r *planResource) *instance {
	switch r.state {
	case stateDone:
		return r.inst
	case stateBusy:
		return nil
	}
	r.state = stateBusy
	defer func() { r.state = stateDone }()
	exprs := pr.config[configPath(r.moduleAddr)+"|"+r.typ+"."+r.name]
	values := pr.fillReferences(r, r.values, exprs, 0).(map[string]any)
	key := r.typ + "." + r.name
	d := pr.decls[r.moduleAddr+"|"+key]
	if d == nil {
		d = &resourceDecl{managed: true, typ: r.typ, name: r.name, file: pr.name, block: &hclsyntax.Block{Body: &hclsyntax.Body{}}}
		pr.decls[r.moduleAddr+"|"+key] = d
	}
	inst := &instance{decl: d, address: r.address, file: pr.name, typ: r.typ, blockValue: planBlock(values, 0)}
	if id, ok := values["id"].(string); ok && id != "" && strings.HasPrefix(id, "/") && r.typ != "azurerm_key_vault_key" {
		inst.id = id
	} else {
		inst.id = placeholderID(inst)
	}
	r.inst = inst
	return inst
}

// planBlock makes a block value of plan values: lists of objects are
// also nested blocks.
func planBlock(values map[string]any, depth int) *blockValue {
	b := &blockValue{attrs: make(map[string]attrValue, len(values))}
	for k, v := range values {
		b.attrs[k] = attrValue{v: fromAny(v, 0)}
		if list, ok := v.([]any); ok && depth < maxValueDepth {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					if b.blocks == nil {
						b.blocks = map[string][]*blockValue{}
					}
					b.blocks[k] = append(b.blocks[k], planBlock(m, depth+1))
				}
			}
		}
	}
	return b
}

// fillReferences replaces unknown values whose configuration expression
// refers to another resource of the plan by what that resource's
// placeholder gives (its id, name, ...).
func (pr *planReader) fillReferences(r *planResource, v any, exprs any, depth int) any {
	if depth > 8 {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		em, _ := exprs.(map[string]any)
		if em == nil {
			return v
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = val
			e := em[k]
			if _, unk := val.(arm.Unknown); unk {
				if sub, _ := e.(map[string]any); sub != nil {
					if nv, ok := pr.reference(r, sub); ok {
						out[k] = nv
					}
				}
				continue
			}
			switch val.(type) {
			case map[string]any, []any:
				out[k] = pr.fillReferences(r, val, e, depth+1)
			}
		}
		return out
	case []any:
		el, _ := exprs.([]any)
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = val
			if i < len(el) {
				out[i] = pr.fillReferences(r, val, el[i], depth+1)
			}
		}
		return out
	}
	return v
}

var refRE = regexp.MustCompile(`^([A-Za-z0-9_\-]+)\.([A-Za-z0-9_\-]+)(\[[^\]]*\])?\.([A-Za-z0-9_\-]+)$`)

// reference resolves the first resource reference of an expression.
func (pr *planReader) reference(r *planResource, expr map[string]any) (any, bool) {
	refs, _ := expr["references"].([]any)
	for _, e := range refs {
		s, _ := e.(string)
		m := refRE.FindStringSubmatch(s)
		if m == nil || m[1] == "var" || m[1] == "local" || m[1] == "module" || m[1] == "data" || m[1] == "each" || m[1] == "count" {
			continue
		}
		cands := pr.byDecl[r.moduleAddr+"|"+m[1]+"."+m[2]]
		var target *planResource
		switch {
		case m[3] != "":
			target = pr.byAddr[prefixed(r.moduleAddr, m[1]+"."+m[2]+m[3])]
		case len(cands) == 1:
			target = cands[0]
		default:
			for _, c := range cands {
				if fmt.Sprint(c.index) == fmt.Sprint(r.index) && c.index != nil {
					target = c
				}
			}
		}
		if target == nil {
			continue
		}
		ti := pr.resolve(target)
		if ti == nil {
			continue
		}
		if cv, ok := computedAttrs(ti)[m[4]]; ok {
			return toAny(cv), true
		}
		if a, ok := ti.attrs[m[4]]; ok {
			return toAny(a.v), true
		}
	}
	return nil, false
}

func prefixed(moduleAddr, rest string) string {
	if moduleAddr == "" {
		return rest
	}
	return moduleAddr + "." + rest
}
