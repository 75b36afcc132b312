package armtemplate

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Limits that keep hostile templates from exhausting memory or time.
// The evaluation limits (steps, values, string bytes) are in Limits.
const (
	// maxFunctionDepth bounds nested calls of user-defined functions.
	maxFunctionDepth = 32
	// maxReports bounds the errors, and separately the notes, of one
	// expansion: a copy loop of 800 bad resources says so 100 times, and
	// then once that the rest are not listed.
	maxReports = 100
)

// scopeKind is the level a deployment targets.
type scopeKind int

const (
	atResourceGroup scopeKind = iota
	atSubscription
	atManagementGroup
	atTenant
)

// expansion is the state of one Expand call: the input being filled, the
// positions of the values built, and the limits.
type expansion struct {
	o  Options
	in *source.Input
	// prov maps each object the expansion built to the template positions
	// of the object it was built from; keep holds the objects so that
	// their addresses stay unique while prov is in use.
	prov jsonpos.Index
	keep []map[string]any
	// out is the position index handed to the resources.
	out *jsonpos.Index
	// budget bounds the work and the values of the whole expansion,
	// nested deployments included; stopped is set once it, or the
	// resource limit, is exceeded, and the expansion then unwinds.
	budget   *expr.Budget
	stopped  bool
	parsed   map[string]parsedExpr
	bicep    *bicepSource
	findings []pendingFinding
	// uses records which parameters each resource read.
	uses []resourceUses
	// secretSet holds the values of the secure parameters read, and
	// secretForms those of at least minSecretLen bytes with the forms
	// functions give them (formSet); see sensitive.go.
	secretSet, formSet map[string]bool
	secretForms        []string
	// resolving guards resourceInfo against a resource naming itself.
	resolving map[string]bool
}

type parsedExpr struct {
	node expr.Node
	err  error
}

// deployment is one template being deployed: the top-level template or a
// nested one.
type deployment struct {
	x    *expansion
	file string         // the file the template was read from
	idx  *jsonpos.Index // positions in file
	tmpl map[string]any
	base string // JSON path of the template in file, "" at its root
	kind scopeKind
	sub  string // target subscription of the resources
	rg   string // target resource group
	mg   string // target management group
	loc  string // the resource group's location
	name string // the deployment's name
	// nameUnknown is set when the deployment's name is not known before
	// deployment: deployment().name is then Unknown.
	nameUnknown *arm.Unknown
	depth       int
	// ctx is the deployment whose context the functions (resourceGroup(),
	// resourceId(), ...) read: itself, or its parent for a nested template
	// with outer expression scope.
	ctx  *deployment
	vals *values
	// symbols are the resources of a symbolic-name template, by lower-case
	// symbolic name.
	symbols map[string]map[string]any
	params  map[string]any // the parameter values passed in, for deployment()
	// absent says why the deployment itself may not happen (its
	// condition or copy count is unknown); its resources inherit it.
	absent string
}

// values are the parameters, variables and functions an expression sees.
type values struct {
	owner   *deployment // the deployment that evaluates defaults and variables
	params  map[string]*param
	vars    map[string]*variable
	lib     expr.Library
	checked map[string]bool // expressions validated against lib
	fnDepth int
}

type param struct {
	name     string
	def      map[string]any
	path     string
	line     int
	provided bool
	given    any
	// secret is set for a securestring or secureObject parameter, and for
	// a parameter of a nested deployment given a secret.
	secret bool
	state  uint8 // 0 not evaluated, 1 evaluating, 2 done
	value  any
}

type variable struct {
	name  string
	src   any
	copy  map[string]any // a variable copy loop, instead of src
	path  string
	line  int
	state uint8
	value any
	uses  map[string]bool // parameters read while evaluating it
}

// loop is one copy loop in progress.
type loop struct {
	name  string
	index int64
}

// scope is the evaluation state an expression function reads through
// expr.Context.Host.
type scope struct {
	d       *deployment
	loops   []loop
	resLoop string         // the resource copy loop, "" outside one
	fn      map[string]any // the arguments inside a user-defined function
	// fnErr, inside a user-defined function, is the first error of its
	// body: the call fails with it, rather than the body's path being
	// reported once per call.
	fnErr error
	used  map[string]bool
	// absent, when set, says why the resources being expanded may not
	// exist: a condition or a copy count not known before deployment.
	absent string
}

func (s *scope) push(name string, i int64) { s.loops = append(s.loops, loop{name, i}) }
func (s *scope) pop()                      { s.loops = s.loops[:len(s.loops)-1] }

// errorf records an error at a JSON path of the deployment's template.
// Once the expansion has stopped, what goes wrong after is a consequence
// of the stop and is not recorded.
func (d *deployment) errorf(path string, line int, format string, args ...any) {
	if d.x.stopped {
		return
	}
	d.report(path, line, fmt.Sprintf(format, args...), false)
}

// report records an error; unless always is set, only while fewer than
// maxReports are listed.
func (d *deployment) report(path string, line int, msg string, always bool) {
	full := path
	if d.base != "" {
		if path == "" {
			full = d.base
		} else {
			full = d.base + "." + path
		}
	}
	if b := d.x.bicep; b != nil && d.file == b.file {
		// Lines of the compiled JSON mean nothing in the .bicep file: name
		// the declaration of the resource instead.
		line = 0
		if rest, ok := strings.CutPrefix(full, "resources."); ok {
			line = b.lineOf(rest)
		}
	}
	if len(d.x.in.Errors) >= maxReports && !always {
		if len(d.x.in.Errors) == maxReports {
			d.x.in.Errors = append(d.x.in.Errors, &source.Error{File: d.file,
				Msg: fmt.Sprintf("more than %d errors in the template; the rest are not listed", maxReports)})
		}
		return
	}
	d.x.in.Errors = append(d.x.in.Errors, &source.Error{File: d.file, Line: line, Path: full, Msg: msg})
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// lineOf returns the line of key in obj, or def.
func (d *deployment) lineOf(obj map[string]any, key string, def int) int {
	if p := d.idx.Lookup(obj); p != nil {
		if l, ok := p.Keys[key]; ok {
			return l
		}
	}
	return def
}

// objLine returns the line where obj starts, or def.
func (d *deployment) objLine(obj map[string]any, def int) int {
	if p := d.idx.Lookup(obj); p != nil {
		return p.Line
	}
	return def
}

// spend takes one value and one step of the budget, reporting once when
// it runs out.
func (d *deployment) spend(path string, line int) bool {
	if d.x.stopped {
		return false
	}
	err := d.x.budget.Alloc("", 1, 0)
	if err == nil {
		err = d.x.budget.Step("", 1)
	}
	if err != nil {
		d.stop(path, line, "", err)
		return false
	}
	return true
}

// stop reports that the expansion exceeded its budget at path, in the
// expression str when there is one, and stops the expansion. Only the
// first report counts: the rest of the expansion unwinds from it.
func (d *deployment) stop(path string, line int, str string, err error) {
	if d.x.stopped {
		return
	}
	where := ""
	if str != "" {
		where = " at " + clip(str)
	}
	d.report(path, line, fmt.Sprintf("%v; expansion stopped%s, and the resources expanded so far are kept", err, where), true)
	d.x.stopped = true
}

// context returns an expression context for scope s.
func (d *deployment) context(s *scope) *expr.Context {
	return &expr.Context{Funcs: d.vals.lib, Host: s, Budget: d.x.budget}
}

// parse parses an expression string once per expansion and validates it
// once per function library.
func (d *deployment) parse(str string) (expr.Node, error) {
	p, ok := d.x.parsed[str]
	if !ok {
		var n expr.Node
		var err error
		if l := utf8.RuneCountInString(str); l > MaxExpressionLength {
			// Azure rejects such a template before it evaluates it.
			err = fmt.Errorf("the expression is %s characters long, over ARM's limit of %s", expr.FormatCount(int64(l)), expr.FormatCount(MaxExpressionLength))
		} else {
			n, err = expr.ParseString(str)
		}
		p = parsedExpr{n, err}
		d.x.parsed[str] = p
	}
	if p.err != nil {
		return nil, p.err
	}
	if !d.vals.checked[str] {
		if err := expr.Validate(p.node, d.vals.lib); err != nil {
			return nil, err
		}
		d.vals.checked[str] = true
	}
	return p.node, nil
}

// eval evaluates one expression string, recording an error at path. A
// failed expression yields Unknown and ok=false.
func (d *deployment) eval(s *scope, str, path string, line int) (any, bool) {
	n, err := d.parse(str)
	if err == nil {
		var v any
		v, err = n.Eval(d.context(s))
		if err == nil {
			v = d.x.copyOut(v)
			err = d.x.budget.Err()
		}
		if err == nil {
			return v, true
		}
	}
	if s.fn != nil {
		if s.fnErr == nil {
			s.fnErr = err
		}
		return arm.Unknown{Reason: "the expression is invalid"}, false
	}
	var be *expr.BudgetError
	if errors.As(err, &be) {
		d.stop(path, line, str, be)
		return arm.Unknown{Reason: "expansion stopped: " + be.Error()}, false
	}
	var fe *failError
	if errors.As(err, &fe) {
		d.errorf(path, line, "fail() is called: %s", fe.msg)
		return arm.Unknown{Reason: "the expression is invalid: " + err.Error()}, false
	}
	d.errorf(path, line, "%s: %v", clip(str), err)
	return arm.Unknown{Reason: "the expression is invalid: " + err.Error()}, false
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "...]"
	}
	return s
}

// value evaluates a template value: expressions in strings, objects and
// arrays member by member, property copy loops.
func (d *deployment) value(s *scope, v any, path string, line int) any {
	if !d.spend(path, line) {
		return arm.Unknown{Reason: "expansion stopped"}
	}
	switch t := v.(type) {
	case string:
		if !expr.IsExpression(t) {
			return expr.Unescape(t)
		}
		r, _ := d.eval(s, t, path, line)
		return r
	case map[string]any:
		return d.object(s, t, path, line)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			l := line
			if m, ok := e.(map[string]any); ok {
				l = d.objLine(m, line)
			}
			out[i] = d.value(s, e, indexPath(path, i), l)
		}
		return out
	default:
		return t
	}
}

// sortedKeys returns the keys of m in the order they are written, as far
// as the positions tell, then by name.
func (d *deployment) sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	p := d.idx.Lookup(m)
	sort.Slice(keys, func(i, j int) bool {
		if p != nil && p.Keys[keys[i]] != p.Keys[keys[j]] {
			return p.Keys[keys[i]] < p.Keys[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func (d *deployment) object(s *scope, t map[string]any, path string, line int) map[string]any {
	pos := d.idx.Lookup(t)
	out := make(map[string]any, len(t))
	var extra map[string]int
	for _, k := range d.sortedKeys(t) {
		sub := t[k]
		kl := line
		if pos != nil {
			if l, ok := pos.Keys[k]; ok {
				kl = l
			}
		}
		if strings.EqualFold(k, "copy") {
			if loops, ok := propertyCopies(sub); ok {
				for i, c := range loops {
					name, arr := d.propertyCopy(s, c, indexPath(joinPath(path, k), i), d.objLine(c, kl))
					if name == "" {
						continue
					}
					out[name] = arr
					if extra == nil {
						extra = map[string]int{}
					}
					extra[name] = d.objLine(c, kl)
				}
				continue
			}
		}
		out[k] = d.value(s, sub, joinPath(path, k), kl)
	}
	if pos != nil {
		if extra != nil {
			merged := &jsonpos.Object{Line: pos.Line, Keys: make(map[string]int, len(pos.Keys)+len(extra))}
			for k, l := range pos.Keys {
				merged.Keys[k] = l
			}
			for k, l := range extra {
				merged.Keys[k] = l
			}
			pos = merged
		}
		d.x.record(out, pos)
	}
	return out
}

// propertyCopies recognises a "copy" member that is a list of property
// copy loops: objects with a name, a count and an input.
func propertyCopies(v any) ([]map[string]any, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, false
	}
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		if _, ok := arm.Lookup(m, "name"); !ok {
			return nil, false
		}
		if _, ok := arm.Lookup(m, "input"); !ok {
			return nil, false
		}
		out = append(out, m)
	}
	return out, true
}

// propertyCopy evaluates one property (or variable) copy loop into its
// name and array.
func (d *deployment) propertyCopy(s *scope, c map[string]any, path string, line int) (string, any) {
	nameV, _ := arm.Lookup(c, "name")
	name, ok := d.value(s, nameV, joinPath(path, "name"), line).(string)
	if !ok || name == "" {
		d.errorf(joinPath(path, "name"), line, "a copy loop needs a name")
		return "", nil
	}
	n, unknown, ok := d.copyCount(s, c, path, line)
	if unknown != nil {
		// The array's length is not known: nor is the array.
		return name, arm.Unknown{Reason: fmt.Sprintf("the copy loop %q has a count not known before deployment (%s)", name, unknown.Reason)}
	}
	if !ok {
		return name, []any{}
	}
	input, _ := arm.Lookup(c, "input")
	inLine := d.lineOf(c, "input", line)
	if m, ok := input.(map[string]any); ok {
		inLine = d.objLine(m, inLine)
	}
	out := make([]any, 0, n)
	for i := int64(0); i < n; i++ {
		s.push(name, i)
		out = append(out, d.value(s, input, joinPath(path, "input"), inLine))
		s.pop()
	}
	return name, out
}

// copyCount evaluates a copy loop's count and checks ARM's limits. A count
// not known before deployment is returned as unknown (with ok false); an
// invalid one is reported.
func (d *deployment) copyCount(s *scope, c map[string]any, path string, line int) (n int64, unknown *arm.Unknown, ok bool) {
	cv, ok := arm.Lookup(c, "count")
	cl := d.lineOf(c, "count", line)
	if !ok {
		d.errorf(joinPath(path, "count"), cl, "a copy loop needs a count")
		return 0, nil, false
	}
	v := d.value(s, cv, joinPath(path, "count"), cl)
	if u, isU := v.(arm.Unknown); isU {
		if strings.HasPrefix(u.Reason, "the expression is invalid") {
			return 0, nil, false // reported where it failed
		}
		return 0, &u, false
	}
	n, isInt := expr.AsInt(v)
	switch {
	case !isInt:
		d.errorf(joinPath(path, "count"), cl, "the copy count must be an integer, not %s", expr.TypeName(v))
		return 0, nil, false
	case n < 0:
		d.errorf(joinPath(path, "count"), cl, "the copy count %d is negative", n)
		return 0, nil, false
	case n > MaxCopyCount:
		d.errorf(joinPath(path, "count"), cl, "the copy count %d is over ARM's limit of %d", n, MaxCopyCount)
		return 0, nil, false
	}
	return n, nil, true
}

// record remembers that out was built from an object at pos.
func (x *expansion) record(out map[string]any, pos *jsonpos.Object) {
	x.prov.Record(out, pos)
	x.keep = append(x.keep, out)
}

// copyOut copies an expression's result, so that no two resources share
// an object, carrying the positions of objects the expansion built.
func (x *expansion) copyOut(v any) any {
	if x.budget.Alloc("", 1, 0) != nil {
		return arm.Unknown{Reason: "expansion stopped"}
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = x.copyOut(e)
		}
		if p := x.prov.Lookup(t); p != nil {
			x.record(out, p)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = x.copyOut(e)
		}
		return out
	}
	return v
}

// newValues reads the parameters, variables and functions of d's template.
// given are the parameter values passed in, by name.
func newValues(d *deployment, given map[string]any) *values {
	v := &values{owner: d, params: map[string]*param{}, vars: map[string]*variable{}, checked: map[string]bool{}}
	if m, ok := lookupObject(d.tmpl, "parameters"); ok {
		for _, name := range d.sortedKeys(m) {
			def, _ := m[name].(map[string]any)
			p := &param{name: name, def: def, path: joinPath("parameters", name), line: d.lineOf(m, name, 0)}
			if def == nil {
				d.errorf(p.path, p.line, "a parameter must be an object with a type")
			}
			for gk, gv := range given {
				if strings.EqualFold(gk, name) {
					p.provided, p.given = true, gv
				}
			}
			p.secret = isSecure(def) || (p.provided && d.x.holdsSecret(p.given))
			v.params[strings.ToLower(name)] = p
		}
	}
	if m, ok := lookupObject(d.tmpl, "variables"); ok {
		for _, name := range d.sortedKeys(m) {
			line := d.lineOf(m, name, 0)
			if strings.EqualFold(name, "copy") {
				if loops, ok := propertyCopies(m[name]); ok {
					for i, c := range loops {
						nv, _ := arm.Lookup(c, "name")
						vn, _ := nv.(string)
						path := indexPath("variables.copy", i)
						if vn == "" {
							d.errorf(joinPath(path, "name"), d.objLine(c, line), "a variable copy loop needs a literal name")
							continue
						}
						v.vars[strings.ToLower(vn)] = &variable{name: vn, copy: c, path: path, line: d.objLine(c, line)}
					}
					continue
				}
			}
			v.vars[strings.ToLower(name)] = &variable{name: name, src: m[name], path: joinPath("variables", name), line: line}
		}
	}
	v.lib = baseLibrary()
	if fs, ok := arm.Lookup(d.tmpl, "functions"); ok {
		v.lib = v.lib.Clone()
		v.addUserFunctions(d, fs)
	}
	return v
}

func lookupObject(m map[string]any, key string) (map[string]any, bool) {
	v, ok := arm.Lookup(m, key)
	if !ok {
		return nil, false
	}
	o, ok := v.(map[string]any)
	return o, ok
}

// param returns the value of a parameter, evaluating its default once.
func (v *values) param(name string) (any, error) {
	p := v.params[strings.ToLower(name)]
	if p == nil {
		return nil, expr.Errorf("parameters", "the template has no parameter %q", name)
	}
	switch p.state {
	case 2:
		return p.value, nil
	case 1:
		return nil, expr.Errorf("parameters", "the default value of parameter %q refers to itself", p.name)
	}
	p.state = 1
	d := v.owner
	dv, hasDefault := arm.Lookup(p.def, "defaultValue")
	switch {
	case p.provided && (p.given != nil || !hasDefault):
		p.value = p.given
	case p.def == nil:
		p.value = arm.Unknown{Reason: fmt.Sprintf("parameter %q is invalid", p.name)}
	case hasDefault:
		// ARM gives a parameter passed as null its default value.
		p.value = d.value(&scope{d: d}, dv, joinPath(p.path, "defaultValue"), d.lineOf(p.def, "defaultValue", p.line))
	case d.nullable(p.def):
		// An optional parameter ("nullable": true, as Bicep compiles
		// `param x string?`) with no value is null.
		p.value = nil
	default:
		p.value = arm.Unknown{Reason: fmt.Sprintf("parameter %q has no value; pass one in a parameter file", p.name)}
	}
	if p.secret {
		d.x.addSecret(p.value)
	}
	p.state = 2
	return p.value, nil
}

// nullable reports whether a parameter or type definition is nullable:
// "nullable": true on it, or on the definition its "$ref" names
// ("#/definitions/name", followed a few levels).
func (d *deployment) nullable(def map[string]any) bool {
	for range 8 {
		if n, ok := arm.Lookup(def, "nullable"); ok {
			return n == true
		}
		ref, _ := arm.Lookup(def, "$ref")
		rs, _ := ref.(string)
		name, ok := strings.CutPrefix(rs, "#/definitions/")
		if !ok {
			return false
		}
		defs, _ := lookupObject(d.tmpl, "definitions")
		if def, ok = lookupObject(defs, name); !ok {
			return false
		}
	}
	return false
}

// variable returns the value of a variable, evaluating it once.
func (v *values) variable(name string) (*variable, error) {
	vr := v.vars[strings.ToLower(name)]
	if vr == nil {
		return nil, expr.Errorf("variables", "the template has no variable %q", name)
	}
	switch vr.state {
	case 2:
		return vr, nil
	case 1:
		return nil, expr.Errorf("variables", "variable %q refers to itself (a circular reference)", vr.name)
	}
	vr.state = 1
	d := v.owner
	s := &scope{d: d, used: map[string]bool{}}
	if vr.copy != nil {
		_, arr := d.propertyCopy(s, vr.copy, vr.path, vr.line)
		vr.value = arr
	} else {
		vr.value = d.value(s, vr.src, vr.path, vr.line)
	}
	vr.uses = s.used
	vr.state = 2
	return vr, nil
}

// addUserFunctions adds the template's user-defined functions to v.lib.
func (v *values) addUserFunctions(d *deployment, fs any) {
	list, ok := fs.([]any)
	if !ok {
		d.errorf("functions", d.lineOf(d.tmpl, "functions", 0), "functions must be an array of namespaces")
		return
	}
	for i, e := range list {
		nsObj, _ := e.(map[string]any)
		path := indexPath("functions", i)
		nsV, _ := arm.Lookup(nsObj, "namespace")
		ns, _ := nsV.(string)
		members, ok := lookupObject(nsObj, "members")
		if ns == "" || !ok {
			d.errorf(path, d.objLine(nsObj, 0), "a function namespace needs a namespace name and members")
			continue
		}
		for _, name := range d.sortedKeys(members) {
			def, _ := members[name].(map[string]any)
			v.addUserFunction(d, ns+"."+name, def, joinPath(joinPath(path, "members"), name), d.lineOf(members, name, 0))
		}
	}
}

func (v *values) addUserFunction(d *deployment, full string, def map[string]any, path string, line int) {
	var names []string
	if ps, ok := arm.Lookup(def, "parameters"); ok {
		arr, _ := ps.([]any)
		for _, p := range arr {
			pm, _ := p.(map[string]any)
			n, _ := arm.Lookup(pm, "name")
			s, _ := n.(string)
			names = append(names, s)
		}
	}
	out, _ := lookupObject(def, "output")
	body, ok := arm.Lookup(out, "value")
	if !ok {
		d.errorf(path, line, "function %s has no output value", full)
		return
	}
	bodyPath, bodyLine := joinPath(path, "output.value"), d.lineOf(out, "value", line)
	v.lib.Add(&expr.Func{Name: full, MinArgs: len(names), MaxArgs: len(names), Call: func(c *expr.Context, args []any) (any, error) {
		if v.fnDepth >= maxFunctionDepth {
			return nil, expr.Errorf(full, "user-defined functions nested deeper than %d calls", maxFunctionDepth)
		}
		fs := &scope{d: v.owner, fn: make(map[string]any, len(names))}
		for i, n := range names {
			fs.fn[strings.ToLower(n)] = args[i]
		}
		v.fnDepth++
		r := v.owner.value(fs, body, bodyPath, bodyLine)
		v.fnDepth--
		if fs.fnErr != nil {
			return nil, fs.fnErr
		}
		return r, nil
	}})
}
