package armtemplate

import (
	"github.com/pgbaseline/pgbaseline/internal/source/load"

	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source/armexport"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// parentRef is what a nested child resource inherits from its parent.
type parentRef struct {
	typ   string   // the parent's full type
	names []string // the parent's name segments
	scope string   // the scope id of an extension parent, "" otherwise
}

// skippedKeys are the members of a template resource that are template
// syntax rather than part of the ARM resource.
var skippedKeys = map[string]bool{
	"condition": true, "copy": true, "dependson": true, "resources": true, "comments": true,
	"scope": true, "existing": true, "name": true, "type": true, "apiversion": true, "import": true,
}

// fullPath returns a JSON path of d's template as a path of its file.
func (d *deployment) fullPath(path string) string {
	if d.base == "" {
		return path
	}
	return joinPath(d.base, path)
}

// run expands the template's resources.
func (d *deployment) run() {
	rs, ok := arm.Lookup(d.tmpl, "resources")
	if !ok || rs == nil {
		return
	}
	s := &scope{d: d, absent: d.absent}
	switch t := rs.(type) {
	case []any:
		for i, e := range t {
			path := indexPath("resources", i)
			m, ok := e.(map[string]any)
			if !ok {
				d.errorf(path, d.lineOf(d.tmpl, "resources", 0), "a resource must be an object, not %s", expr.TypeName(e))
				continue
			}
			d.resource(s, m, path, d.fullPath(path), nil)
		}
	case map[string]any:
		d.symbols = make(map[string]map[string]any, len(t))
		for k, v := range t {
			if m, ok := v.(map[string]any); ok {
				d.symbols[strings.ToLower(k)] = m
			}
		}
		for _, k := range d.sortedKeys(t) {
			path := joinPath("resources", k)
			m, ok := t[k].(map[string]any)
			if !ok {
				d.errorf(path, d.lineOf(t, k, 0), "a resource must be an object, not %s", expr.TypeName(t[k]))
				continue
			}
			d.resource(s, m, path, k, nil)
		}
	default:
		d.errorf("resources", d.lineOf(d.tmpl, "resources", 0), "resources must be an array or, with languageVersion 2.0, an object")
	}
}

// resource expands one template resource: its copy loop, condition,
// children.
func (d *deployment) resource(s *scope, src map[string]any, path, address string, parent *parentRef) {
	line := d.objLine(src, 0)
	if ex, ok := arm.Lookup(src, "existing"); ok && ex == true {
		return // a reference to a resource deployed elsewhere, not created here
	}
	cv, hasCopy := arm.Lookup(src, "copy")
	if !hasCopy {
		d.instance(s, src, path, address, parent, line)
		return
	}
	cp, ok := cv.(map[string]any)
	cpath, cline := joinPath(path, "copy"), d.lineOf(src, "copy", line)
	if !ok {
		d.errorf(cpath, cline, "copy must be an object with a name and a count")
		return
	}
	nv, _ := arm.Lookup(cp, "name")
	name, _ := d.value(s, nv, joinPath(cpath, "name"), cline).(string)
	if name == "" {
		d.errorf(joinPath(cpath, "name"), cline, "a copy loop needs a name")
		return
	}
	n, unknown, ok := d.copyCount(s, cp, cpath, cline)
	savedAbsent := s.absent
	defer func() { s.absent = savedAbsent }()
	if unknown != nil {
		// One representative instance (copyIndex() is 0) that may not
		// exist: judged as written, but it does not satisfy an existence
		// check, and none of its siblings are counted.
		why := fmt.Sprintf("the copy loop %q has a count not known before deployment (%s)", name, unknown.Reason)
		d.note(joinPath(cpath, "count"), d.lineOf(cp, "count", cline), why+"; one representative instance is judged, and it may not exist")
		s.absent = joinAbsent(s.absent, why)
		n, ok = 1, true
	}
	if !ok {
		return
	}
	saved := s.resLoop
	s.resLoop = name
	for i := int64(0); i < n && !d.x.stopped; i++ {
		s.push(name, i)
		addr := address
		if d.symbols != nil {
			addr = address + "[" + itoa(i) + "]"
		}
		d.instance(s, src, path, addr, parent, line)
		s.pop()
	}
	s.resLoop = saved
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// instance expands one instance of a resource (one iteration of its copy
// loop).
func (d *deployment) instance(s *scope, src map[string]any, path, address string, parent *parentRef, line int) {
	x := d.x
	if limit := x.o.Limits.Resources; len(x.in.Resources) >= limit {
		d.stop(path, line, "", fmt.Errorf("expansion budget exceeded: the template expands to more than %s resources", expr.FormatCount(int64(limit))))
		return
	}
	if c, ok := arm.Lookup(src, "condition"); ok {
		cl := d.lineOf(src, "condition", line)
		v := d.value(s, c, joinPath(path, "condition"), cl)
		if b, ok := expr.Truthy(v); ok {
			if !b {
				return
			}
		} else if u, isU := v.(arm.Unknown); !isU {
			d.errorf(joinPath(path, "condition"), cl, "the condition must be a boolean, not %s", expr.TypeName(v))
			return
		} else if !strings.HasPrefix(u.Reason, "the expression is invalid") {
			// An unknown condition may hold at deployment: the resource
			// is judged as written, and may not exist.
			why := fmt.Sprintf("the condition of %s is not known before deployment (%s)", address, u.Reason)
			d.note(joinPath(path, "condition"), cl, why+"; the resource is judged as written, and it may not exist")
			saved := s.absent
			s.absent = joinAbsent(s.absent, why)
			defer func() { s.absent = saved }()
		}
	}
	savedUsed := s.used
	s.used = map[string]bool{}
	defer func() { s.used = savedUsed }()

	id, ok := d.identify(s, src, path, line, parent)
	if !ok {
		return
	}
	if strings.EqualFold(id.typ, "Microsoft.Resources/deployments") && parent == nil {
		d.nested(s, src, path, line, address, id)
		return
	}
	obj := make(map[string]any, len(src)+2)
	srcPos := d.idx.Lookup(src)
	pos := &jsonpos.Object{Line: line, Keys: map[string]int{"id": line}}
	for _, k := range d.sortedKeys(src) {
		kl := line
		if srcPos != nil {
			kl = srcPos.Keys[k]
		}
		lk := strings.ToLower(k)
		if lk == "name" || lk == "type" || lk == "apiversion" {
			pos.Keys[map[string]string{"name": "name", "type": "type", "apiversion": "apiVersion"}[lk]] = kl
		}
		if skippedKeys[lk] {
			continue
		}
		obj[k] = d.value(s, src[k], joinPath(path, k), kl)
		pos.Keys[k] = kl
	}
	obj["id"], obj["name"], obj["type"] = id.id, id.names[len(id.names)-1], id.typ
	if id.api != "" {
		obj["apiVersion"] = id.api
	}
	flexserver.CompleteCreated(obj)
	x.record(obj, pos)
	r := x.emit(d, obj, line, address, s.used)
	r.MaybeAbsent = s.absent
	x.literalSecrets(d, src, r)
	if strings.EqualFold(id.typ, "Microsoft.Network/privateEndpoints") {
		x.privateEndpointConnections(d, r)
	}
	if rs, ok := arm.Lookup(src, "resources"); ok {
		children, _ := rs.([]any)
		for i, c := range children {
			cpath := indexPath(joinPath(path, "resources"), i)
			cm, ok := c.(map[string]any)
			if !ok {
				d.errorf(cpath, line, "a resource must be an object, not %s", expr.TypeName(c))
				continue
			}
			d.resource(s, cm, cpath, d.fullPath(cpath), &parentRef{typ: id.typ, names: id.names, scope: id.scope})
		}
	}
}

// identity is the id, full type and name segments of a resource instance.
type identity struct {
	id, typ, api string
	names        []string
	scope        string // the extended resource of an extension resource
	// nameUnknown is set for a nested deployment whose name is not known
	// before deployment; its name is then unknownDeploymentName.
	nameUnknown *arm.Unknown
}

// unknownDeploymentName stands for the name of a nested deployment that is
// not known before deployment.
const unknownDeploymentName = "(a name not known before deployment)"

// identify evaluates a resource's type, name and scope into its ARM id.
func (d *deployment) identify(s *scope, src map[string]any, path string, line int, parent *parentRef) (identity, bool) {
	str := func(key string) (string, bool) {
		v, ok := arm.Lookup(src, key)
		if !ok {
			return "", false
		}
		kl := d.lineOf(src, key, line)
		r := d.value(s, v, joinPath(path, key), kl)
		if u, ok := r.(arm.Unknown); ok {
			if !strings.HasPrefix(u.Reason, "the expression is invalid") {
				d.errorf(joinPath(path, key), kl, "the resource %s is not known before deployment (%s); the resource is not expanded", key, u.Reason)
			}
			return "", false
		}
		rs, ok := r.(string)
		if !ok {
			d.errorf(joinPath(path, key), kl, "the resource %s must be a string, not %s", key, expr.TypeName(r))
		}
		return rs, ok
	}
	var id identity
	typ, ok := str("type")
	if !ok || typ == "" {
		if _, has := arm.Lookup(src, "type"); !has {
			d.errorf(path, line, "a resource needs a type")
		}
		return id, false
	}
	var name string
	if nv, has := arm.Lookup(src, "name"); has && parent == nil && strings.EqualFold(strings.Trim(typ, "/"), "Microsoft.Resources/deployments") {
		// A nested deployment's name matters only to deployment().name:
		// one not known before deployment still lets its template expand.
		if u, isU := d.value(s, nv, joinPath(path, "name"), d.lineOf(src, "name", line)).(arm.Unknown); isU {
			if strings.HasPrefix(u.Reason, "the expression is invalid") {
				return id, false
			}
			name, ok, id.nameUnknown = unknownDeploymentName, true, &u
		}
	}
	if name == "" {
		if nv, has := arm.Lookup(src, "name"); has {
			nl := d.lineOf(src, "name", line)
			switch v := d.value(s, nv, joinPath(path, "name"), nl).(type) {
			case string:
				name, ok = v, true
			case arm.Unknown:
				switch {
				case strings.HasPrefix(v.Reason, "the expression is invalid"):
				case strings.EqualFold(strings.Trim(typ, "/"), flexserver.ServerType):
					// A server not seen would be missed: an error.
					d.errorf(joinPath(path, "name"), nl, "the resource name is not known before deployment (%s); the resource is not expanded", v.Reason)
				default:
					// A valid template whose resource name is known only
					// at deployment (a copy loop over another deployment's
					// outputs): the resource is not seen, but it may be
					// there. Checks that it could satisfy or change are
					// Unknown, never NonCompliant.
					d.unseenResource(s, strings.Trim(typ, "/"), parent, joinPath(path, "name"), nl, v.Reason)
				}
				return id, false
			default:
				d.errorf(joinPath(path, "name"), nl, "the resource name must be a string, not %s", expr.TypeName(v))
				return id, false
			}
		}
	}
	if !ok || name == "" {
		if _, has := arm.Lookup(src, "name"); !has {
			d.errorf(path, line, "a resource needs a name")
		} else if ok {
			d.errorf(joinPath(path, "name"), d.lineOf(src, "name", line), "the resource name is empty")
		}
		return id, false
	}
	if _, has := arm.Lookup(src, "apiVersion"); has {
		if id.api, ok = str("apiVersion"); !ok {
			return id, false
		}
	}
	typ, name = strings.Trim(typ, "/"), strings.Trim(name, "/")
	names := strings.Split(name, "/")
	if parent != nil && !strings.Contains(typ, "/") {
		typ = parent.typ + "/" + typ
		names = append(append([]string{}, parent.names...), names...)
	} else if parent != nil && len(names) < strings.Count(typ, "/") {
		names = append(append([]string{}, parent.names...), names...)
	}
	typeLine := d.lineOf(src, "type", line)
	var scopeID string
	if p := strings.Index(strings.ToLower(typ), "/providers/"); p > 0 {
		// The older extension form: {scopeType}/providers/{extType} named
		// {scopeNames}/{extNamespace}/{extNames}.
		scopeType, extTypes := typ[:p], typ[p+len("/providers/"):]
		ns, ext := strings.Count(scopeType, "/"), strings.Count(extTypes, "/")+1
		if len(names) != ns+1+ext {
			d.errorf(joinPath(path, "name"), d.lineOf(src, "name", line), "the name %q does not fit the extension type %q: it needs %d segments", name, typ, ns+1+ext)
			return id, false
		}
		scopeID = buildID(d.scopePrefix(), scopeType, names[:ns])
		typ, names = names[ns]+"/"+extTypes, names[ns+1:]
	}
	if !strings.Contains(typ, "/") {
		d.errorf(joinPath(path, "type"), typeLine, "the type %q is not a full resource type such as Microsoft.DBforPostgreSQL/flexibleServers", typ)
		return id, false
	}
	if need := strings.Count(typ, "/"); len(names) != need {
		d.errorf(joinPath(path, "name"), d.lineOf(src, "name", line), "the name %q has %d segments, but the type %q needs %d", name, len(names), typ, need)
		return id, false
	}
	if sv, ok := arm.Lookup(src, "scope"); ok {
		sl := d.lineOf(src, "scope", line)
		v := d.value(s, sv, joinPath(path, "scope"), sl)
		sc, isStr := v.(string)
		if !isStr || sc == "" {
			if !expr.IsUnknown(v) {
				d.errorf(joinPath(path, "scope"), sl, "the scope must be a resource id, not %s", expr.TypeName(v))
			} else if r := v.(arm.Unknown).Reason; !strings.HasPrefix(r, "the expression is invalid") {
				d.errorf(joinPath(path, "scope"), sl, "the scope is not known before deployment (%s); the resource is not expanded", r)
			}
			return id, false
		}
		if scopeID, ok = d.resolveScope(sc); !ok {
			d.errorf(joinPath(path, "scope"), sl, "the scope %q is neither a resource id nor a type/name path such as Microsoft.DBforPostgreSQL/flexibleServers/myserver", sc)
			return id, false
		}
	} else if scopeID == "" && parent != nil {
		scopeID = parent.scope
	}
	id.typ, id.names, id.scope = typ, names, scopeID
	switch {
	case scopeID != "":
		id.id = buildID(scopeID, typ, names)
	case d.kind == atSubscription && strings.EqualFold(typ, "Microsoft.Resources/resourceGroups"):
		id.id = rgPrefix(d.sub, names[0])
	default:
		id.id = buildID(d.scopePrefix(), typ, names)
	}
	return id, true
}

// resolveScope turns a scope value into a resource id: an id as it is, or
// a relative path Namespace/type/name[/type/name] in the deployment's scope.
func (d *deployment) resolveScope(sc string) (string, bool) {
	if strings.HasPrefix(sc, "/") {
		return strings.TrimRight(sc, "/"), true
	}
	segs := strings.Split(strings.Trim(sc, "/"), "/")
	if len(segs) < 3 || len(segs)%2 == 0 {
		return "", false
	}
	types, names := []string{segs[0]}, []string{}
	for i := 1; i+1 < len(segs); i += 2 {
		types = append(types, segs[i])
		names = append(names, segs[i+1])
	}
	return buildID(d.scopePrefix(), strings.Join(types, "/"), names), true
}

// emit adds a resource to the input.
func (x *expansion) emit(d *deployment, obj map[string]any, line int, address string, used map[string]bool) *arm.Resource {
	origin := arm.Origin{File: d.file, Line: line}
	if x.bicep != nil {
		origin = arm.Origin{File: x.bicep.file, Line: x.bicep.lineOf(address)}
	}
	r := arm.New(obj, origin)
	r.Address = address
	if x.bicep == nil {
		x.index(obj)
		r.WithPositions(x.out)
	}
	x.in.Resources = append(x.in.Resources, r)
	if len(used) > 0 {
		x.uses = append(x.uses, resourceUses{r, used, d.vals})
	}
	return r
}

type resourceUses struct {
	r    *arm.Resource
	used map[string]bool
	vals *values // the parameters the names in used are of
}

// index hands the positions of every object in v to the output index.
func (x *expansion) index(v any) {
	switch t := v.(type) {
	case map[string]any:
		if p := x.prov.Lookup(t); p != nil {
			x.out.Record(t, p)
		}
		for _, e := range t {
			x.index(e)
		}
	case []any:
		for _, e := range t {
			x.index(e)
		}
	}
}

// privateEndpointConnections emits the private endpoint connection that a
// private endpoint creates on the resource it links to: approved for an
// automatic connection, pending for a manual one.
func (x *expansion) privateEndpointConnections(d *deployment, pe *arm.Resource) {
	for _, kind := range []struct {
		key, status, description string
	}{
		{"properties.privateLinkServiceConnections", "Approved", "Auto-Approved"},
		{"properties.manualPrivateLinkServiceConnections", "Pending", "Awaiting approval"},
	} {
		v, _ := pe.Get(kind.key)
		conns, _ := v.([]any)
		for i, c := range conns {
			cm, _ := c.(map[string]any)
			target, _ := arm.GetPath(cm, "properties.privateLinkServiceId")
			tid, ok := target.(string)
			ttype := arm.TypeOfID(tid)
			if !ok || ttype == "" || strings.Count(ttype, "/") < 1 {
				continue
			}
			cname, _ := arm.Lookup(cm, "name")
			cn, _ := cname.(string)
			name := pe.Name + "." + expr.GUID(pe.ID+"/"+cn)
			groupIDs, _ := arm.GetPath(cm, "properties.groupIds")
			obj := map[string]any{
				"id":   arm.ChildID(tid, "privateEndpointConnections", name),
				"name": name,
				"type": ttype + "/privateEndpointConnections",
				"properties": map[string]any{
					"privateEndpoint": map[string]any{"id": pe.ID},
					"groupIds":        x.copyOut(groupIDs),
					"privateLinkServiceConnectionState": map[string]any{
						"status": kind.status, "description": kind.description, "actionsRequired": "None",
					},
					"provisioningState": "Succeeded",
				},
			}
			line := pe.Line(kind.key + "." + itoa(int64(i)))
			x.record(obj, &jsonpos.Object{Line: line, Keys: map[string]int{}})
			r := x.emit(d, obj, line, pe.Address, nil)
			r.Origin.Line = line
			r.MaybeAbsent = pe.MaybeAbsent
			r.Synthesized = "the private endpoint connection that private endpoint " + pe.Name + " creates"
		}
	}
}

// nested expands a Microsoft.Resources/deployments resource: its inline or
// linked template, in inner or outer expression scope. A deployment whose
// template cannot be read is emitted as it is and recorded as an
// arm.Unresolved: what it creates is not seen.
func (d *deployment) nested(s *scope, src map[string]any, path string, line int, address string, id identity) {
	props, ok := lookupObject(src, "properties")
	ppath := joinPath(path, "properties")
	if !ok {
		d.errorf(ppath, line, "a nested deployment needs properties with a template or a templateLink")
		d.unresolved(s, id, line, address, "its properties are missing", nil)
		return
	}
	if d.depth+1 > d.x.o.MaxDepth {
		d.errorf(path, line, "deployments are nested deeper than %d levels", d.x.o.MaxDepth)
		d.unresolved(s, id, line, address, fmt.Sprintf("it is nested deeper than %d levels", d.x.o.MaxDepth), nil)
		return
	}
	child := &deployment{x: d.x, kind: d.kind, sub: d.sub, rg: d.rg, mg: d.mg, loc: d.loc,
		name: id.names[len(id.names)-1], nameUnknown: id.nameUnknown, depth: d.depth + 1, absent: s.absent}
	str := func(key string) string {
		v, ok := arm.Lookup(src, key)
		if !ok {
			return ""
		}
		r, _ := d.value(s, v, joinPath(path, key), d.lineOf(src, key, line)).(string)
		return r
	}
	if sub := str("subscriptionId"); sub != "" {
		child.sub = sub
	}
	if rg := str("resourceGroup"); rg != "" {
		child.rg, child.kind = rg, atResourceGroup
	}
	inner := false
	if eo, ok := lookupObject(props, "expressionEvaluationOptions"); ok {
		sc, _ := arm.Lookup(eo, "scope")
		ss, _ := sc.(string)
		inner = strings.EqualFold(ss, "inner")
	}
	tv, hasTemplate := arm.Lookup(props, "template")
	if ts, ok := tv.(string); ok && expr.IsExpression(ts) {
		// "template": "[variables('t')]" or a json(...) of one.
		tv = d.value(s, ts, joinPath(ppath, "template"), d.lineOf(props, "template", line))
	}
	if t, ok := tv.(map[string]any); hasTemplate && ok {
		child.tmpl, child.file, child.idx, child.base = t, d.file, d.idx, d.fullPath(joinPath(ppath, "template"))
	} else if hasTemplate {
		reason := "its template is not an object"
		if u, ok := tv.(arm.Unknown); ok {
			reason = "its template is not known before deployment (" + u.Reason + ")"
		} else {
			d.errorf(joinPath(ppath, "template"), d.lineOf(props, "template", line), "the template of a nested deployment must be an object, not %s", expr.TypeName(tv))
		}
		d.unfollowed(s, src, path, line, address, id, reason)
		d.unresolved(s, id, line, address, reason, d.nestedParams(s, props, ppath, line, nil))
		return
	} else if lv, ok := arm.Lookup(props, "templateLink"); ok {
		lpath := joinPath(ppath, "templateLink")
		link, _ := d.value(s, lv, lpath, d.lineOf(props, "templateLink", line)).(map[string]any)
		file, reason := d.linkedFile(link)
		if file == "" {
			d.unfollowed(s, src, path, line, address, id, reason)
			d.unresolved(s, id, line, address, reason, d.nestedParams(s, props, ppath, line, nil))
			return
		}
		d.x.o.linked.add(file)
		fail := func(msg string) {
			d.unresolved(s, id, line, address, msg, d.nestedParams(s, props, ppath, line, nil))
		}
		data, err := load.ReadFile(file, 0) // a regular file only, within the size cap
		if err != nil {
			d.errorf(lpath, line, "cannot read the linked template %s: %v", file, err)
			fail("the linked template " + file + " cannot be read")
			return
		}
		doc, idx, err := jsonpos.Decode(data)
		if err != nil {
			se := syntaxError(file, err)
			d.x.in.Errors = append(d.x.in.Errors, se)
			fail("the linked template " + file + " is not valid JSON")
			return
		}
		if err := armexport.EncodingError(file, data); err != nil {
			d.x.in.Errors = append(d.x.in.Errors, err)
		}
		t, _ := doc.(map[string]any)
		if t == nil || !IsTemplate(doc) {
			d.errorf(lpath, line, "the linked file %s is not a deployment template", file)
			fail("the linked file " + file + " is not a deployment template")
			return
		}
		child.tmpl, child.file, child.idx, child.base = t, file, idx, ""
		inner = true // a linked template always has its own scope
	} else {
		d.errorf(ppath, line, "a nested deployment needs a template or a templateLink")
		d.unresolved(s, id, line, address, "it has neither a template nor a templateLink", nil)
		return
	}
	if inner {
		given := d.nestedParams(s, props, ppath, line, child.tmpl)
		child.ctx, child.params = child, given
		child.vals = newValues(child, given)
	} else {
		child.ctx, child.vals = d.ctx, d.vals
	}
	child.run()
}

// nestedParams evaluates the parameters a nested deployment passes, in the
// parent's scope. ARM accepts an expression wherever a value goes: the
// whole "parameters" object, one parameter's {"value": ...} object, or the
// value. A parameter given as a Key Vault reference is Unknown. When the
// whole object is not known before deployment, every parameter the child
// template declares (tmpl, when known) is Unknown.
func (d *deployment) nestedParams(s *scope, props map[string]any, ppath string, line int, tmpl map[string]any) map[string]any {
	given := map[string]any{}
	raw, ok := arm.Lookup(props, "parameters")
	if !ok || raw == nil {
		return given
	}
	path, pline := joinPath(ppath, "parameters"), d.lineOf(props, "parameters", line)
	pv, isObj := raw.(map[string]any)
	evaluated := false
	if !isObj {
		v := d.value(s, raw, path, pline)
		if u, ok := v.(arm.Unknown); ok {
			if declared, ok := lookupObject(tmpl, "parameters"); ok {
				for k := range declared {
					given[k] = arm.Unknown{Reason: "the nested deployment's parameters are not known before deployment (" + u.Reason + ")", NotNull: u.NotNull, NonEmpty: u.NonEmpty, Prefix: u.Prefix}
				}
			}
			return given
		}
		if pv, isObj = v.(map[string]any); !isObj {
			if v != nil {
				d.errorf(path, pline, "the parameters of a nested deployment must be an object, not %s", expr.TypeName(v))
			}
			return given
		}
		evaluated = true
	}
	for _, k := range d.sortedKeys(pv) {
		kpath, kl := joinPath(path, k), d.lineOf(pv, k, pline)
		entry := pv[k]
		entryEvaluated := evaluated
		if str, ok := entry.(string); ok && !evaluated && expr.IsExpression(str) {
			// "name": "[createObject('value', ...)]"
			entry, entryEvaluated = d.value(s, str, kpath, kl), true
		}
		if u, ok := entry.(arm.Unknown); ok {
			given[k] = u
			continue
		}
		e, _ := entry.(map[string]any)
		if entryEvaluated && len(e) == 0 && (entry == nil || e != nil) {
			// An expression that gives null or {} passes no value
			// (if(empty(x), createObject(), createObject('value', x))):
			// the parameter takes its default.
			continue
		}
		if v, ok := arm.Lookup(e, "value"); ok {
			if entryEvaluated {
				given[k] = v
			} else {
				given[k] = d.value(s, v, joinPath(kpath, "value"), d.lineOf(e, "value", kl))
			}
		} else if _, ok := arm.Lookup(e, "reference"); ok {
			given[k] = keyVaultUnknown
		} else {
			d.errorf(kpath, kl, "a parameter value must be {\"value\": ...} or a Key Vault {\"reference\": ...}")
		}
	}
	return given
}

// unresolved records that a nested deployment creates resources that are
// not seen. Their scope is the one resource id the deployment's parameters
// name, when they name exactly one; else anything in the input.
func (d *deployment) unresolved(s *scope, id identity, line int, address, reason string, params map[string]any) {
	origin := arm.Origin{File: d.file, Line: line}
	if b := d.x.bicep; b != nil && d.file == b.file {
		origin = arm.Origin{File: b.file, Line: b.lineOf(address)}
	}
	ids := map[string]string{}
	var collect func(v any)
	collect = func(v any) {
		switch t := v.(type) {
		case string:
			if arm.TypeOfID(t) != "" && strings.Contains(strings.ToLower(t), "/providers/") {
				ids[strings.ToLower(t)] = strings.TrimRight(t, "/")
			}
		case map[string]any:
			for _, e := range t {
				collect(e)
			}
		case []any:
			for _, e := range t {
				collect(e)
			}
		}
	}
	collect(params)
	scopeID := ""
	if len(ids) == 1 {
		for _, v := range ids {
			scopeID = v
		}
	}
	what := "the nested deployment " + id.names[len(id.names)-1] + " is not expanded: " + reason
	if s.absent != "" {
		what += "; it may not be deployed: " + s.absent
	}
	d.x.in.Unresolved = append(d.x.in.Unresolved, arm.Unresolved{Scope: scopeID, Reason: what, Origin: origin})
}

// unseenResource records a resource of a known type whose name is not
// known before deployment: an arm.Unresolved of its full type, under its
// parent when it is written inside one (else anywhere in the input), and
// a note naming it.
func (d *deployment) unseenResource(s *scope, typ string, parent *parentRef, path string, line int, reason string) {
	scopeID := ""
	if parent != nil {
		if !strings.Contains(typ, "/") {
			typ = parent.typ + "/" + typ
		}
		prefix := parent.scope
		if prefix == "" {
			prefix = d.scopePrefix()
		}
		scopeID = buildID(prefix, parent.typ, parent.names)
	}
	what := fmt.Sprintf("a %s whose name is not known before deployment (%s) is not seen", typ, reason)
	if s.absent != "" {
		what += "; it may not be deployed: " + s.absent
	}
	d.note(path, line, what+": checks it could decide are Unknown")
	d.x.in.Unresolved = append(d.x.in.Unresolved, arm.Unresolved{Scope: scopeID, Type: typ, Reason: what,
		Origin: arm.Origin{File: d.file, Line: line}})
}

// keyVaultUnknown is the value of a parameter given as a Key Vault
// reference: the secret stays in the vault.
var keyVaultUnknown = arm.Unknown{Reason: "a Key Vault reference; the secret is read from the vault at deployment"}

// linkedFile resolves a templateLink to a local file, or says why not.
func (d *deployment) linkedFile(link map[string]any) (string, string) {
	var p string
	if rp, ok := arm.Lookup(link, "relativePath"); ok {
		s, _ := rp.(string)
		p = s
	} else if u, ok := arm.Lookup(link, "uri"); ok {
		s, _ := u.(string)
		switch {
		case strings.HasPrefix(strings.ToLower(s), "file://"):
			p = s[len("file://"):]
		case s != "" && !strings.Contains(s, "://"):
			p = s
		default:
			return "", "the linked template " + redactQuery(s) + " is not read offline"
		}
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
	} else {
		return "", "the templateLink names no local file (a template spec or an unknown link)"
	}
	if p == "" {
		return "", "the templateLink is not known before deployment"
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(d.file), filepath.FromSlash(p))
	}
	if !strings.EqualFold(filepath.Ext(p), ".json") {
		return "", "the linked template " + p + " is not a .json file"
	}
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", "the linked template " + p + " does not exist"
	}
	return p, ""
}

// redactQuery drops a URI's query, which may hold a SAS token.
func redactQuery(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?..."
	}
	return s
}

// unfollowed emits a nested deployment whose template is not read, with
// the template Unknown.
func (d *deployment) unfollowed(s *scope, src map[string]any, path string, line int, address string, id identity, reason string) {
	obj := map[string]any{"id": id.id, "name": id.names[len(id.names)-1], "type": id.typ,
		"properties": map[string]any{"mode": "Incremental", "template": arm.Unknown{Reason: reason}}}
	if id.api != "" {
		obj["apiVersion"] = id.api
	}
	d.x.record(obj, &jsonpos.Object{Line: line, Keys: map[string]int{}})
	d.x.emit(d, obj, line, address, nil).MaybeAbsent = s.absent
}

// joinAbsent adds a reason a resource may not exist to those it has.
func joinAbsent(have, why string) string {
	if have == "" {
		return why
	}
	return have + "; " + why
}

// note records a note for the user at a JSON path of the deployment's
// template: file:line: path: msg.
func (d *deployment) note(path string, line int, msg string) {
	full := d.fullPath(path)
	file := d.file
	if b := d.x.bicep; b != nil && d.file == b.file {
		line = 0
		if rest, ok := strings.CutPrefix(full, "resources."); ok {
			line = b.lineOf(rest)
		}
	}
	where := file
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	switch n := len(d.x.in.Notes); {
	case d.x.stopped:
		return
	case n == maxReports:
		d.x.in.Notes = append(d.x.in.Notes, file+": more than "+strconv.Itoa(maxReports)+" notes on the template; the rest are not listed")
		return
	case n > maxReports:
		return
	}
	d.x.in.Notes = append(d.x.in.Notes, where+": "+full+": "+msg)
}

// symbolInfo is resourceInfo('symbolicName'): the id, name, type and api
// version of a resource of a symbolic-name template.
func (d *deployment) symbolInfo(name string) (any, error) {
	src := d.symbols[strings.ToLower(name)]
	if src == nil {
		return nil, expr.Errorf("resourceInfo", "the template has no resource named %q", name)
	}
	if _, ok := arm.Lookup(src, "copy"); ok {
		return unknown("resourceInfo of a resource copy loop"), nil
	}
	key := d.fullPath(strings.ToLower(name))
	if d.x.resolving[key] {
		return nil, expr.Errorf("resourceInfo", "resource %q refers to itself", name)
	}
	d.x.resolving[key] = true
	defer delete(d.x.resolving, key)
	id, ok := d.identify(&scope{d: d}, src, joinPath("resources", name), d.objLine(src, 0), nil)
	if !ok {
		return unknown("the resource " + name + " is invalid"), nil
	}
	return map[string]any{"id": id.id, "name": id.names[len(id.names)-1], "type": id.typ, "apiVersion": id.api}, nil
}
