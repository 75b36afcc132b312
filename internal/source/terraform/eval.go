package terraform

import (
	"fmt"
	"math/big"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pgbaseline/pgbaseline/internal/source"
)

// unknownMark carries, on an unknown cty value, why the value is unknown.
type unknownMark struct{ reason string }

// runtimeMark is carried by values given on the command line (--var):
// they are not literals written in the configuration.
type runtimeMark struct{}

// varOrigin is carried by the values that went through a variable: the
// file of its declaration and its name.
type varOrigin struct{ file, name string }

// sensitiveMark is carried by values that went through a variable declared
// sensitive = true, or through sensitive(): whatever they flow into is
// masked in the resources (see toAny), so no report prints them.
type sensitiveMark struct{ name string }

func unknown(reason string) cty.Value { return cty.DynamicVal.Mark(unknownMark{reason}) }

// reasonOf returns the reason an unknown value carries.
func reasonOf(marks cty.ValueMarks) string {
	for m := range marks {
		if u, ok := m.(unknownMark); ok {
			return u.reason
		}
	}
	return "known only after apply"
}

const (
	stateNew = iota
	stateBusy
	stateDone
)

// Instance expansion modes.
const (
	modeSingle = iota
	modeCount
	modeForEach
	modeUnknown
)

type scope struct {
	each        *eachVals
	countIdx    cty.Value
	iter        map[string]cty.Value
	unknownInst string // why each/count are unknown, when they are
}

type eachVals struct{ key, value cty.Value }

func (s *scope) with(name string, v cty.Value) *scope {
	n := &scope{}
	if s != nil {
		*n = *s
	}
	n.iter = make(map[string]cty.Value, len(n.iter)+1)
	if s != nil {
		for k, x := range s.iter {
			n.iter[k] = x
		}
	}
	n.iter[name] = v
	return n
}

// module is one instance of a module: the root, or one instance of a call.
type module struct {
	r       *reader
	cfg     *moduleConfig
	prefix  string // "" or `module.db["a"].`
	key     string // "" or "db.inner": the call names, as modules.json keys modules
	depth   int
	rootDir string
	azurerm int
	vars    map[string]cty.Value
	varObj  cty.Value
	locals  map[string]*lazyVal
	res     map[string]*resState
	mods    map[string]*modState
	outputs cty.Value
	outSt   int
	// dataCache holds the values of data sources, by "type.name".
	dataCache map[string]cty.Value
	// noValue holds the variables that have no value.
	noValue map[string]bool
	// maybeAbsent, when not empty, says why the module instance may not
	// exist (its call's count or for_each is not known).
	maybeAbsent string
	// parent and call are the module instance that calls this one and its
	// call; nil for the root.
	parent *module
	call   *moduleCall
}

// evalFrame is a named value being evaluated: a local value, a resource
// or a module call, with the file and line that define it.
type evalFrame struct {
	m    *module
	name string
	file string
	line int
}

// enter puts a named value on the reader's evaluation stack. It reports
// false, with an error, when references nest deeper than
// MaxReferenceDepth: each level recurses in the evaluator.
func (m *module) enter(name, file string, line int) bool {
	if len(m.r.evalStack) >= MaxReferenceDepth {
		m.r.addError(&source.Error{File: file, Line: line, Msg: fmt.Sprintf(
			"%s%s: references nest deeper than the limit of %d values; it is not evaluated", m.prefix, name, MaxReferenceDepth)})
		return false
	}
	m.r.evalStack = append(m.r.evalStack, evalFrame{m: m, name: name, file: file, line: line})
	return true
}

func (m *module) leave() { m.r.evalStack = m.r.evalStack[:len(m.r.evalStack)-1] }

// cycle reports the cycle that a reference to name, which is being
// evaluated, closes: "cycle: local.a → local.b → local.a", at the line of
// its first value. A cycle through a module call is not reported (its
// value stays unknown).
func (m *module) cycle(name, file string, line int) {
	stack := m.r.evalStack
	i := len(stack) - 1
	for ; i >= 0; i-- {
		if stack[i].m == m && stack[i].name == name {
			break
		}
	}
	parts := []string{}
	if i >= 0 {
		file, line = stack[i].file, stack[i].line
		for _, f := range stack[i:] {
			if strings.HasPrefix(f.name, "module.") {
				// A module call is evaluated whole here, but Terraform
				// orders each of its inputs and outputs on its own: a
				// resource that reads one output of a module and feeds
				// another input of it is no cycle there.
				return
			}
			parts = append(parts, f.m.prefix+f.name)
		}
	}
	parts = append(parts, m.prefix+name)
	m.r.addError(&source.Error{File: file, Line: line, Msg: "cycle: " + strings.Join(parts, " → ")})
}

type lazyVal struct {
	state int
	v     cty.Value
}

type resState struct {
	state int
	insts []*instance
	val   cty.Value
}

type modState struct {
	state int
	insts []*module
	val   cty.Value
}

// blockValue is an evaluated block: its attributes and nested blocks, each
// with its line.
type blockValue struct {
	line   int
	attrs  map[string]attrValue
	blocks map[string][]*blockValue
	// maybeAbsent, when not empty, says why the block may not exist: it
	// stands for the blocks of a dynamic block whose for_each is not
	// known.
	maybeAbsent string
}

type attrValue struct {
	v    cty.Value
	line int
}

// instance is one evaluated resource instance.
type instance struct {
	*blockValue
	decl    *resourceDecl
	mod     *module
	address string
	file    string
	typ     string
	id      string // placeholder ARM id, or ""
	// maybeAbsent, when not empty, says why the instance may not exist
	// (see arm.Resource.MaybeAbsent).
	maybeAbsent string
}

func (m *module) newChild(cfg *moduleConfig, name, prefix string, inputs map[string]cty.Value) *module {
	key := name
	if m.key != "" {
		key = m.key + "." + name
	}
	c := &module{r: m.r, cfg: cfg, prefix: prefix, key: key, depth: m.depth + 1, rootDir: m.rootDir, azurerm: m.azurerm,
		locals: map[string]*lazyVal{}, res: map[string]*resState{}, mods: map[string]*modState{}}
	c.setVars(inputs, nil)
	return c
}

// setVars computes the module's variables from, in increasing precedence,
// defaults, the given layers (tfvars files, options) or the module call's
// inputs.
func (m *module) setVars(inputs map[string]cty.Value, layers []map[string]cty.Value) {
	m.vars = map[string]cty.Value{}
	m.noValue = map[string]bool{}
	names := make([]string, 0, len(m.cfg.variables))
	for n := range m.cfg.variables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := m.cfg.variables[n]
		var v cty.Value
		have := false
		if d.def != nil {
			v = m.evalConst(d.def)
			have = true
		}
		for _, l := range layers {
			if x, ok := l[n]; ok {
				v, have = x, true
			}
		}
		if inputs != nil {
			if x, ok := inputs[n]; ok {
				v, have = x, true
			}
		}
		if !have {
			v = unknown(fmt.Sprintf("variable %q has no value in the configuration", n))
			m.noValue[n] = true
		}
		// The value remembers the variable it went through, so that a
		// literal given to a variable that reaches a PostgreSQL password
		// is found (see secrets.go).
		cv := m.convertVar(d, v).Mark(varOrigin{file: d.file, name: n})
		if d.sensitive {
			cv = cv.Mark(sensitiveMark{name: "var." + n})
		}
		m.vars[n] = cv
	}
	m.varObj = cty.ObjectVal(m.vars)
}

// convertVar converts a variable's value to its declared type, applying
// optional attribute defaults, as Terraform does, also to a value with
// parts known only after apply: those parts stay unknown (with their
// reasons) and the defaults fill the attributes not given.
func (m *module) convertVar(d *variableDecl, v cty.Value) cty.Value {
	if d.typeExpr == nil {
		return v
	}
	ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(d.typeExpr)
	if diags.HasErrors() || ty == cty.DynamicPseudoType {
		return v
	}
	uv, pvm := v.UnmarkDeepWithPaths()
	if defaults != nil && uv.IsKnown() {
		func() {
			defer func() { _ = recover() }()
			uv = defaults.Apply(uv)
		}()
	}
	cv, err := convert.Convert(uv, ty)
	if err != nil {
		m.r.addError(&source.Error{File: d.file, Line: d.block.DefRange().Start.Line,
			Msg: fmt.Sprintf("variable %q: the value does not match the declared type %s", d.name, typeexpr.TypeString(ty))})
		return v
	}
	return remark(cv, pvm)
}

// remark puts marks back at their paths after a type conversion, which
// may have turned objects into maps and tuples into lists (a path step
// .name and ["name"] are the same place).
func remark(v cty.Value, pvm []cty.PathValueMarks) cty.Value {
	if len(pvm) == 0 {
		return v
	}
	byPath := make(map[string]cty.ValueMarks, len(pvm))
	for _, p := range pvm {
		k := pathKey(p.Path)
		if byPath[k] == nil {
			byPath[k] = make(cty.ValueMarks)
		}
		for mk := range p.Marks {
			byPath[k][mk] = struct{}{}
		}
	}
	out, err := cty.Transform(v, func(p cty.Path, x cty.Value) (cty.Value, error) {
		if marks, ok := byPath[pathKey(p)]; ok {
			return x.WithMarks(marks), nil
		}
		return x, nil
	})
	if err != nil {
		all := make(cty.ValueMarks)
		for _, p := range pvm {
			for mk := range p.Marks {
				all[mk] = struct{}{}
			}
		}
		return v.WithMarks(all)
	}
	return out
}

// pathKey writes a path with attribute and string index steps alike.
func pathKey(p cty.Path) string {
	var b strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			b.WriteString("." + strconv.Quote(s.Name))
		case cty.IndexStep:
			k, _ := s.Key.Unmark()
			switch {
			case !k.IsKnown() || k.IsNull():
				b.WriteString("[?]")
			case k.Type() == cty.String:
				b.WriteString("." + strconv.Quote(k.AsString()))
			case k.Type() == cty.Number:
				b.WriteString("[" + k.AsBigFloat().Text('f', -1) + "]")
			default:
				b.WriteString("[?]")
			}
		}
	}
	return b.String()
}

// evalConst evaluates an expression that may use functions but no
// references (a default, a tfvars value).
func (m *module) evalConst(expr hcl.Expression) (v cty.Value) {
	defer func() {
		if p := recover(); p != nil {
			v = unknown("the expression could not be evaluated")
		}
	}()
	val, diags := expr.Value(&hcl.EvalContext{Functions: functions(m.cfg.dir)})
	if diags.HasErrors() {
		return unknown("could not evaluate: " + diags[0].Summary)
	}
	return val
}

// eval evaluates an expression in the module's scope.
func (m *module) eval(expr hcl.Expression, sc *scope) (v cty.Value) {
	defer func() {
		if p := recover(); p != nil {
			v = unknown("the expression could not be evaluated")
		}
	}()
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: functions(m.cfg.dir)}
	locals := map[string]cty.Value{}
	resources := map[string]map[string]cty.Value{}
	data := map[string]map[string]cty.Value{}
	mods := map[string]cty.Value{}
	wholeData := map[string]bool{}
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		second := ""
		if len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				second = a.Name
			}
		}
		if sc != nil {
			if iv, ok := sc.iter[root]; ok {
				ctx.Variables[root] = iv
				continue
			}
		}
		switch root {
		case "var":
			ctx.Variables["var"] = m.varObj
			if second != "" && m.cfg.variables[second] == nil {
				m.undeclared(tr, "input variable", second)
			}
		case "local":
			if second == "" {
				continue
			}
			if _, ok := m.cfg.locals[second]; !ok {
				m.undeclared(tr, "local value", second)
				locals[second] = unknown("undeclared local value")
				continue
			}
			locals[second] = m.local(second)
		case "each":
			switch {
			case sc != nil && sc.each != nil:
				ctx.Variables["each"] = cty.ObjectVal(map[string]cty.Value{"key": sc.each.key, "value": sc.each.value})
			case sc != nil && sc.unknownInst != "":
				ctx.Variables["each"] = unknown(sc.unknownInst)
			default:
				ctx.Variables["each"] = unknown("each is only set in a resource or module with for_each")
			}
		case "count":
			switch {
			case sc != nil && sc.countIdx != cty.NilVal:
				ctx.Variables["count"] = cty.ObjectVal(map[string]cty.Value{"index": sc.countIdx})
			case sc != nil && sc.unknownInst != "":
				ctx.Variables["count"] = unknown(sc.unknownInst)
			default:
				ctx.Variables["count"] = unknown("count is only set in a resource or module with count")
			}
		case "path":
			ctx.Variables["path"] = cty.ObjectVal(map[string]cty.Value{
				"module": cty.StringVal(filepath.ToSlash(m.cfg.dir)), "root": cty.StringVal(filepath.ToSlash(m.rootDir)), "cwd": cty.StringVal("."),
			})
		case "terraform":
			ctx.Variables["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")})
		case "self":
			ctx.Variables["self"] = unknown("self is known only after apply")
		case "module":
			if second != "" {
				mods[second] = m.moduleValue(second)
			}
		case "data":
			if second == "" || len(tr) < 3 {
				continue
			}
			a, ok := tr[2].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if data[second] == nil {
				data[second] = map[string]cty.Value{}
			}
			if _, attr := tr[len(tr)-1].(hcl.TraverseAttr); len(tr) == 3 || !attr && len(tr) == 4 || wholeData[second+"."+a.Name] {
				// The data source as a whole (passed to a module, say):
				// unknown of any type, so that it converts to whatever
				// the receiver declares.
				wholeData[second+"."+a.Name] = true
				data[second][a.Name] = unknown(fmt.Sprintf("data.%s.%s is read from Azure at plan time", second, a.Name))
				continue
			}
			data[second][a.Name] = m.dataValue(second, a.Name)
		default:
			if second == "" {
				continue
			}
			if resources[root] == nil {
				resources[root] = map[string]cty.Value{}
			}
			if _, ok := m.cfg.resByKey[root+"."+second]; ok {
				resources[root][second] = m.resourceValue(root + "." + second)
			} else {
				resources[root][second] = unknown(fmt.Sprintf("%s.%s is not declared in this module", root, second))
			}
		}
	}
	if len(locals) > 0 {
		ctx.Variables["local"] = cty.ObjectVal(locals)
	}
	if len(mods) > 0 {
		ctx.Variables["module"] = cty.ObjectVal(mods)
	}
	if len(data) > 0 {
		objs := make(map[string]cty.Value, len(data))
		for t, n := range data {
			objs[t] = cty.ObjectVal(n)
		}
		ctx.Variables["data"] = cty.ObjectVal(objs)
	}
	for t, names := range resources {
		ctx.Variables[t] = cty.ObjectVal(names)
	}
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return unknown("could not evaluate: " + diags[0].Summary)
	}
	if len(ctx.Variables) > 0 && nestsDeeper(val, MaxNesting) {
		// References can nest a value deeper than its syntax: each link
		// of a chain of references adds the nesting of its expression.
		rng := expr.Range()
		m.r.addError(&source.Error{File: rng.Filename, Line: rng.Start.Line, Column: rng.Start.Column,
			Msg: fmt.Sprintf("the value nests deeper than %d levels; it is not evaluated", MaxNesting)})
		return unknown(fmt.Sprintf("the value nests deeper than %d levels", MaxNesting))
	}
	return val
}

// nestsDeeper reports whether a value nests collections, objects and
// tuples deeper than max levels. It descends at most max+1 levels.
func nestsDeeper(v cty.Value, max int) bool {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() {
		return false
	}
	ty := v.Type()
	if !ty.IsCollectionType() && !ty.IsObjectType() && !ty.IsTupleType() {
		return false
	}
	if max <= 0 {
		return true
	}
	for it := v.ElementIterator(); it.Next(); {
		if _, e := it.Element(); nestsDeeper(e, max-1) {
			return true
		}
	}
	return false
}

func (m *module) undeclared(tr hcl.Traversal, what, name string) {
	rng := tr.SourceRange()
	key := fmt.Sprintf("%s:%d:%s", rng.Filename, rng.Start.Line, name)
	if m.r.seen[key] {
		return
	}
	m.r.seen[key] = true
	m.r.addError(&source.Error{File: rng.Filename, Line: rng.Start.Line, Column: rng.Start.Column,
		Msg: fmt.Sprintf("reference to undeclared %s %q", what, name)})
}

func (m *module) local(name string) cty.Value {
	lv := m.locals[name]
	if lv == nil {
		lv = &lazyVal{}
		m.locals[name] = lv
	}
	a := m.cfg.locals[name]
	switch lv.state {
	case stateBusy:
		m.cycle("local."+name, m.cfg.localFile[name], a.SrcRange.Start.Line)
		return unknown(fmt.Sprintf("local.%s refers to itself", name))
	case stateDone:
		return lv.v
	}
	if !m.enter("local."+name, m.cfg.localFile[name], a.SrcRange.Start.Line) {
		return unknown(fmt.Sprintf("local.%s: references nest too deep", name))
	}
	lv.state = stateBusy
	lv.v = m.eval(a.Expr, nil)
	lv.state = stateDone
	m.leave()
	return lv.v
}

// expansion is one instance of a resource or module: its key and scope.
// absent, when not empty, says why the instance may not exist.
type expansion struct {
	suffix string
	key    cty.Value
	sc     *scope
	absent string
}

// UnknownInstanceKey is the instance key of the one instance that stands
// for a resource or module whose count or for_each is not known before
// apply: Terraform's own wildcard key, as it prints deferred instances
// (azurerm_postgresql_flexible_server_active_directory_administrator.this[*]).
const UnknownInstanceKey = "[*]"

// expand evaluates count or for_each. what names the block for errors.
// When the count or for_each is not known, one instance with the key
// UnknownInstanceKey stands for all; it may be absent unless the unknown
// value is certainly at least 1 (or a collection certainly not empty).
func (m *module) expand(count, forEach hcl.Expression, what string, file string, line int) (int, []expansion) {
	limitErr := func(n int) (int, []expansion) {
		m.r.addError(&source.Error{File: file, Line: line, Msg: fmt.Sprintf(
			"%s has %d instances: more than the limit of %d instances per resource or module; it is not read", what, n, MaxInstances)})
		return modeSingle, nil
	}
	switch {
	case count != nil:
		v := m.eval(count, nil)
		v, _ = v.UnmarkDeep()
		if !v.IsKnown() {
			e := expansion{suffix: UnknownInstanceKey, sc: &scope{unknownInst: "count of " + what + " is known only after apply"}}
			if !countAtLeastOne(v) {
				e.absent = m.whyUnknown("count", count)
			}
			return modeUnknown, []expansion{e}
		}
		if v.IsNull() || !v.Type().Equals(cty.Number) {
			m.r.addError(&source.Error{File: file, Line: count.Range().Start.Line, Column: count.Range().Start.Column, Msg: what + ": count must be a whole number"})
			return modeSingle, nil
		}
		bf := v.AsBigFloat()
		if !bf.IsInt() || bf.Sign() < 0 {
			m.r.addError(&source.Error{File: file, Line: count.Range().Start.Line, Column: count.Range().Start.Column, Msg: what + ": count must be a whole number"})
			return modeSingle, nil
		}
		if bf.Cmp(new(big.Float).SetInt64(MaxInstances)) > 0 {
			n, _ := bf.Int64()
			return limitErr(int(n))
		}
		n, _ := bf.Int64()
		out := make([]expansion, n)
		for i := range out {
			idx := cty.NumberIntVal(int64(i))
			out[i] = expansion{suffix: "[" + strconv.Itoa(i) + "]", key: idx, sc: &scope{countIdx: idx}}
		}
		return modeCount, out
	case forEach != nil:
		v := m.eval(forEach, nil)
		v, _ = v.UnmarkDeep()
		unk := func() (int, []expansion) {
			e := expansion{suffix: UnknownInstanceKey, sc: &scope{unknownInst: "for_each of " + what + " is known only after apply"}}
			nonEmpty := false
			if v.IsKnown() {
				nonEmpty = !v.IsNull() && v.LengthInt() > 0
			} else if ty := v.Type(); ty.IsCollectionType() || ty.IsObjectType() || ty.IsTupleType() {
				nonEmpty = v.Range().LengthLowerBound() > 0
			}
			if !nonEmpty {
				e.absent = m.whyUnknown("for_each", forEach)
			}
			return modeUnknown, []expansion{e}
		}
		if !v.IsKnown() {
			return unk()
		}
		if v.IsNull() {
			m.r.addError(&source.Error{File: file, Line: forEach.Range().Start.Line, Msg: what + ": for_each must not be null"})
			return modeSingle, nil
		}
		ty := v.Type()
		if !(ty.IsMapType() || ty.IsObjectType() || ty.IsSetType()) {
			m.r.addError(&source.Error{File: file, Line: forEach.Range().Start.Line, Column: forEach.Range().Start.Column,
				Msg: what + ": for_each must be a map or a set of strings"})
			return modeSingle, nil
		}
		if n := v.LengthInt(); n > MaxInstances {
			return limitErr(n)
		}
		var out []expansion
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if ty.IsSetType() {
				if !e.IsKnown() {
					return unk()
				}
				if e.IsNull() || !e.Type().Equals(cty.String) {
					m.r.addError(&source.Error{File: file, Line: forEach.Range().Start.Line, Msg: what + ": for_each over a set needs strings"})
					return modeSingle, nil
				}
				k = e
			}
			if !k.IsKnown() || !k.Type().Equals(cty.String) {
				return unk()
			}
			ks := k.AsString()
			out = append(out, expansion{suffix: "[" + strconv.Quote(ks) + "]", key: k, sc: &scope{each: &eachVals{key: k, value: e}}})
		}
		return modeForEach, out
	}
	return modeSingle, []expansion{{sc: &scope{}}}
}

func (m *module) resourceState(key string) *resState {
	st := m.res[key]
	if st == nil {
		st = &resState{}
		m.res[key] = st
	}
	d := m.cfg.resByKey[key]
	if st.state == stateBusy {
		m.cycle(key, d.file, d.block.DefRange().Start.Line)
		return nil
	}
	if st.state == stateDone {
		return st
	}
	if !m.enter(key, d.file, d.block.DefRange().Start.Line) {
		return nil
	}
	defer m.leave()
	st.state = stateBusy
	mode, exps := m.expand(d.count, d.forEach, m.prefix+key, d.file, d.block.DefRange().Start.Line)
	unknownAttr := fmt.Sprintf("attributes of %s%s that the configuration does not set are known only after apply", m.prefix, key)
	elems := make([]cty.Value, 0, len(exps))
	byKey := map[string]cty.Value{}
	for _, e := range exps {
		if !m.r.reserve(d.file, d.block.DefRange().Start.Line) {
			break
		}
		inst := &instance{decl: d, mod: m, address: m.prefix + key + e.suffix, file: d.file, typ: d.typ,
			maybeAbsent: joinReasons(m.maybeAbsent, e.absent)}
		inst.blockValue = m.evalBody(d.block.Body, e.sc, d.block.DefRange().Start.Line, 0)
		inst.id = placeholderID(inst)
		obj := instanceObject(inst, m.cfg.attrNames, unknownAttr)
		st.insts = append(st.insts, inst)
		m.r.instances = append(m.r.instances, inst)
		elems = append(elems, obj)
		if mode == modeForEach {
			byKey[e.key.AsString()] = obj
		}
	}
	switch mode {
	case modeCount:
		st.val = cty.TupleVal(elems)
		if len(elems) == 0 {
			st.val = cty.EmptyTupleVal
		}
	case modeForEach:
		st.val = cty.ObjectVal(byKey)
	case modeUnknown:
		st.val = unknown(fmt.Sprintf("the instances of %s%s are known only after apply", m.prefix, key))
	default:
		if len(elems) == 1 {
			st.val = elems[0]
		} else {
			st.val = unknown(m.prefix + key + " could not be read")
		}
	}
	st.state = stateDone
	return st
}

func (m *module) resourceValue(key string) cty.Value {
	st := m.resourceState(key)
	if st == nil {
		return unknown(fmt.Sprintf("%s%s refers to itself, or references nest too deep", m.prefix, key))
	}
	return st.val
}

// evalBody evaluates a block body: its attributes and nested blocks, with
// dynamic blocks expanded.
func (m *module) evalBody(body *hclsyntax.Body, sc *scope, line, depth int) *blockValue {
	bv := &blockValue{line: line, attrs: make(map[string]attrValue, len(body.Attributes))}
	for name, a := range body.Attributes {
		if depth == 0 && metaArgs[name] {
			continue
		}
		bv.attrs[name] = attrValue{v: m.eval(a.Expr, sc), line: a.SrcRange.Start.Line}
	}
	if depth > 32 {
		return bv
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "lifecycle", "provisioner", "connection", "timeouts":
			if depth == 0 {
				continue
			}
		case "dynamic":
			if len(b.Labels) != 1 {
				continue
			}
			m.expandDynamic(bv, b, sc, depth)
			continue
		}
		if bv.blocks == nil {
			bv.blocks = map[string][]*blockValue{}
		}
		bv.blocks[b.Type] = append(bv.blocks[b.Type], m.evalBody(b.Body, sc, b.DefRange().Start.Line, depth+1))
	}
	return bv
}

func (m *module) expandDynamic(bv *blockValue, b *hclsyntax.Block, sc *scope, depth int) {
	label := b.Labels[0]
	iter := label
	if a := b.Body.Attributes["iterator"]; a != nil {
		if tr, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() && len(tr) == 1 {
			iter = tr.RootName()
		}
	}
	var content *hclsyntax.Block
	for _, cb := range b.Body.Blocks {
		if cb.Type == "content" {
			content = cb
		}
	}
	fe := b.Body.Attributes["for_each"]
	if content == nil || fe == nil {
		return
	}
	if bv.blocks == nil {
		bv.blocks = map[string][]*blockValue{}
	}
	v := m.eval(fe.Expr, sc)
	v, _ = v.UnmarkDeep()
	line := b.DefRange().Start.Line
	if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
		// One block whose values are all unknown stands for the unknown
		// set; it may be absent unless the collection is certainly not
		// empty.
		nsc := sc.with(iter, unknown("the for_each of dynamic "+label+" is known only after apply"))
		nb := m.evalBody(content.Body, nsc, line, depth+1)
		if !v.IsKnown() || v.IsNull() {
			nonEmpty := false
			if ty := v.Type(); !v.IsNull() && (ty.IsCollectionType() || ty.IsObjectType() || ty.IsTupleType()) {
				nonEmpty = v.Range().LengthLowerBound() > 0
			}
			if !nonEmpty {
				nb.maybeAbsent = m.whyUnknown("the for_each of dynamic \""+label+"\"", fe.Expr)
			}
		}
		bv.blocks[label] = append(bv.blocks[label], nb)
		return
	}
	if v.LengthInt() > MaxInstances {
		m.r.addError(&source.Error{File: fe.SrcRange.Filename, Line: fe.SrcRange.Start.Line,
			Msg: fmt.Sprintf("dynamic %q has more than the limit of %d blocks; it is not read", label, MaxInstances)})
		return
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if v.Type().IsSetType() {
			k = e
		}
		nsc := sc.with(iter, cty.ObjectVal(map[string]cty.Value{"key": k, "value": e}))
		bv.blocks[label] = append(bv.blocks[label], m.evalBody(content.Body, nsc, line, depth+1))
	}
}

// moduleValue returns the value of module.name: an object of its outputs,
// a tuple of them (count) or an object of them (for_each).
func (m *module) moduleValue(name string) cty.Value {
	st := m.moduleState(name)
	if st == nil {
		if m.cfg.modByName[name] == nil {
			return unknown(fmt.Sprintf("module.%s is not declared", name))
		}
		return unknown(fmt.Sprintf("module.%s refers to itself, or references nest too deep", name))
	}
	return st.val
}

func (m *module) moduleState(name string) *modState {
	call := m.cfg.modByName[name]
	if call == nil {
		return nil
	}
	st := m.mods[name]
	if st == nil {
		st = &modState{}
		m.mods[name] = st
	}
	line := call.block.DefRange().Start.Line
	switch st.state {
	case stateBusy:
		return nil // a cycle through a module call is not reported (see cycle)
	case stateDone:
		return st
	}
	if !m.enter("module."+name, call.file, line) {
		return nil
	}
	defer m.leave()
	st.state = stateBusy
	defer func() { st.state = stateDone }()
	if m.depth+1 > MaxModuleDepth {
		m.r.addError(&source.Error{File: call.file, Line: line, Msg: fmt.Sprintf(
			"module.%s: modules nest deeper than the limit of %d levels; it is not read", name, MaxModuleDepth)})
		m.unresolved(call, line)
		st.val = unknown("module nesting limit reached")
		return st
	}
	var dir string
	if isLocalSource(call.source) {
		dir = filepath.Join(m.cfg.dir, call.source)
	} else if dir = m.remoteDir(call, line); dir == "" {
		st.val = unknown(fmt.Sprintf("module.%s (source %q) is not downloaded: its outputs are not known", name, displaySource(call.source)))
		return st
	}
	if calls := m.callCycle(call, dir); calls != "" {
		m.r.addError(&source.Error{File: call.file, Line: line, Msg: fmt.Sprintf(
			"module cycle: %s; it is not read", calls)})
		m.unresolved(call, line)
		st.val = unknown("module cycle")
		return st
	}
	cfg := m.r.config(dir)
	if cfg == nil || len(cfg.files) == 0 && len(cfg.errors) == 0 {
		m.r.addError(&source.Error{File: call.file, Line: line, Msg: fmt.Sprintf("module.%s: no .tf files in %s", name, dir)})
		m.unresolved(call, line)
		st.val = unknown("module source has no configuration")
		return st
	}
	mode, exps := m.expand(call.count, call.forEach, m.prefix+"module."+name, call.file, line)
	var elems []cty.Value
	byKey := map[string]cty.Value{}
	for _, e := range exps {
		if m.r.moduleInstances >= MaxModuleInstances {
			m.r.addError(&source.Error{File: call.file, Line: line, Msg: fmt.Sprintf(
				"more than the limit of %d module instances in one module tree; module.%s is not read further", MaxModuleInstances, name)})
			break
		}
		m.r.moduleInstances++
		inputs := map[string]cty.Value{}
		for an, a := range call.block.Body.Attributes {
			if moduleMeta[an] {
				continue
			}
			inputs[an] = m.eval(a.Expr, e.sc)
		}
		child := m.newChild(cfg, name, m.prefix+"module."+name+e.suffix+".", inputs)
		child.parent, child.call = m, call
		m.r.calls[call] = cfg
		if e.absent != "" {
			e.absent = m.prefix + "module." + name + ": " + e.absent
		}
		child.maybeAbsent = joinReasons(m.maybeAbsent, e.absent)
		st.insts = append(st.insts, child)
		child.walk()
		out := child.outputValues()
		elems = append(elems, out)
		if mode == modeForEach {
			byKey[e.key.AsString()] = out
		}
	}
	switch mode {
	case modeCount:
		st.val = cty.EmptyTupleVal
		if len(elems) > 0 {
			st.val = cty.TupleVal(elems)
		}
	case modeForEach:
		st.val = cty.ObjectVal(byKey)
	case modeUnknown:
		st.val = unknown(fmt.Sprintf("the instances of module.%s are known only after apply", name))
	default:
		if len(elems) == 1 {
			st.val = elems[0]
		} else {
			st.val = unknown("module." + name + " could not be read")
		}
	}
	return st
}

func (m *module) outputValues() cty.Value {
	switch m.outSt {
	case stateBusy:
		return unknown("module outputs refer to themselves")
	case stateDone:
		return m.outputs
	}
	m.outSt = stateBusy
	vals := map[string]cty.Value{}
	for n, a := range m.cfg.outputs {
		vals[n] = m.eval(a.Expr, nil)
	}
	m.outputs = cty.ObjectVal(vals)
	m.outSt = stateDone
	return m.outputs
}

// callCycle returns, when a module call (of module m) to dir closes a cycle
// of calls, the calls that make it, from the module in dir that the cycle
// comes back to: `cyc/a/main.tf:1 module.b (source "../b") → cyc/b/main.tf:1
// module.a (source "../a") calls cyc/a again`. It returns "" otherwise.
func (m *module) callCycle(call *moduleCall, dir string) string {
	target := filepath.Clean(dir)
	var chain []*moduleCall
	for p := m; p != nil; p = p.parent {
		if filepath.Clean(p.cfg.dir) == target {
			parts := make([]string, 0, len(chain)+1)
			for i := len(chain) - 1; i >= 0; i-- {
				parts = append(parts, describeCall(chain[i]))
			}
			parts = append(parts, describeCall(call))
			return strings.Join(parts, " → ") + " calls " + target + " again"
		}
		if p.call != nil {
			chain = append(chain, p.call)
		}
	}
	return ""
}

func describeCall(c *moduleCall) string {
	return fmt.Sprintf("%s:%d module.%s (source %q)", c.file, c.block.DefRange().Start.Line, c.name, displaySource(c.source))
}

// walk evaluates every resource and module call of the module.
func (m *module) walk() {
	for _, d := range m.cfg.resources {
		m.resourceState(d.key())
	}
	for _, c := range m.cfg.modules {
		m.moduleState(c.name)
	}
	// Local values nothing refers to are evaluated too, as Terraform
	// does, so that a cycle among them is reported.
	names := make([]string, 0, len(m.cfg.locals))
	for n := range m.cfg.locals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m.local(n)
	}
}

// instanceObject is the value other expressions see for a resource
// instance: its arguments, nested blocks, and computed attributes.
func instanceObject(inst *instance, names map[string]bool, unknownAttr string) cty.Value {
	attrs := make(map[string]cty.Value, len(inst.attrs)+len(inst.blocks)+len(names)+2)
	plain := unknown(unknownAttr)
	for n := range names {
		if n == "id" || computedRefinements[inst.typ][n] != (refinement{}) {
			attrs[n] = refinedUnknown(inst.typ, n, true, unknownAttr)
		} else {
			attrs[n] = plain
		}
	}
	for n, b := range inst.blocks {
		attrs[n] = blocksValue(b)
	}
	for n, a := range inst.attrs {
		attrs[n] = a.v
	}
	for n, v := range computedAttrs(inst) {
		attrs[n] = v
	}
	return cty.ObjectVal(attrs)
}

func blocksValue(bs []*blockValue) cty.Value {
	elems := make([]cty.Value, 0, len(bs))
	for _, b := range bs {
		attrs := make(map[string]cty.Value, len(b.attrs)+len(b.blocks))
		for n, nb := range b.blocks {
			attrs[n] = blocksValue(nb)
		}
		for n, a := range b.attrs {
			attrs[n] = a.v
		}
		elems = append(elems, cty.ObjectVal(attrs))
	}
	if len(elems) == 0 {
		return cty.EmptyTupleVal
	}
	return cty.TupleVal(elems)
}

// get returns an attribute of a block, with its line; ok is false when the
// attribute is absent or null.
func (b *blockValue) get(name string) (cty.Value, int, bool) {
	if b == nil {
		return cty.NilVal, 0, false
	}
	a, ok := b.attrs[name]
	if !ok {
		return cty.NilVal, 0, false
	}
	v, _ := a.v.Unmark()
	if v.IsKnown() && v.IsNull() {
		return cty.NilVal, a.line, false
	}
	return a.v, a.line, true
}

// block returns the first nested block of a type, or nil.
func (b *blockValue) block(name string) *blockValue {
	if b == nil {
		return nil
	}
	if bs := b.blocks[name]; len(bs) > 0 {
		return bs[0]
	}
	return nil
}

// str returns a known string attribute.
func (b *blockValue) str(name string) (string, bool) {
	v, _, ok := b.get(name)
	if !ok {
		return "", false
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() || v.IsNull() {
		return "", false
	}
	if v.Type() != cty.String {
		cv, err := convert.Convert(v, cty.String)
		if err != nil {
			return "", false
		}
		v = cv
	}
	return v.AsString(), true
}

func joinKey(parts ...string) string { return strings.Join(parts, ".") }

// joinReasons joins the reasons an instance may be absent.
func joinReasons(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// whyUnknown says what makes a count or for_each expression unknown:
// "count depends on var.create, which has no value". A local value is
// followed to the references that make it unknown.
func (m *module) whyUnknown(what string, expr hcl.Expression) string {
	parts := m.unknownRefs(expr, 0, map[string]bool{})
	if len(parts) == 0 {
		return what + " is not known before apply"
	}
	return what + " depends on " + strings.Join(parts, " and ")
}

// unknownRefs lists the references of expr whose values are not known,
// each with why.
func (m *module) unknownRefs(expr hcl.Expression, depth int, seen map[string]bool) []string {
	var parts []string
	for _, tr := range expr.Variables() {
		name := traversalString(tr)
		if seen[name] {
			continue
		}
		seen[name] = true
		v := m.eval(&hclsyntax.ScopeTraversalExpr{Traversal: tr, SrcRange: tr.SourceRange()}, nil)
		if u, _ := v.UnmarkDeep(); u.IsWhollyKnown() {
			continue
		}
		var second string
		if len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				second = a.Name
			}
		}
		switch {
		case tr.RootName() == "var" && m.noValue[second]:
			parts = append(parts, name+", which has no value")
		case tr.RootName() == "local" && m.cfg.locals[second] != nil && depth < 4:
			if inner := m.unknownRefs(m.cfg.locals[second].Expr, depth+1, seen); len(inner) > 0 {
				parts = append(parts, name+" (from "+strings.Join(inner, " and ")+")")
			} else {
				parts = append(parts, name+", which is not known before apply")
			}
		default:
			parts = append(parts, name+", which is not known before apply")
		}
	}
	return parts
}

// traversalString writes a reference as the configuration does (up to
// its fourth step).
func traversalString(tr hcl.Traversal) string {
	var b strings.Builder
	for i, step := range tr {
		if i == 4 {
			break
		}
		switch x := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(x.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + x.Name)
		case hcl.TraverseIndex:
			switch k, _ := x.Key.Unmark(); {
			case !k.IsKnown() || k.IsNull():
				b.WriteString("[...]")
			case k.Type() == cty.String:
				b.WriteString("[" + strconv.Quote(k.AsString()) + "]")
			case k.Type() == cty.Number:
				b.WriteString("[" + k.AsBigFloat().Text('f', -1) + "]")
			default:
				b.WriteString("[...]")
			}
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// countAtLeastOne reports whether an unknown count is certainly at least
// one (its refinements say it is above zero).
func countAtLeastOne(v cty.Value) bool {
	if v.Type() != cty.Number {
		return false
	}
	lo, inclusive := v.Range().NumberLowerBound()
	if !lo.IsKnown() || lo.IsNull() || lo.Type() != cty.Number {
		return false
	}
	zero := cty.Zero
	return lo.GreaterThan(zero).True() || (lo.Equals(zero).True() && !inclusive)
}

// dataValue is the value of a data source: unknown (read from Azure at
// plan time), with the attributes that are certainly set refined.
func (m *module) dataValue(typ, name string) cty.Value {
	reason := fmt.Sprintf("data.%s.%s is read from Azure at plan time", typ, name)
	if !m.cfg.data[typ][name] || m.cfg.dataMulti[typ+"."+name] {
		return unknown(reason)
	}
	if v, ok := m.dataCache[typ+"."+name]; ok {
		return v
	}
	if m.dataCache == nil {
		m.dataCache = map[string]cty.Value{}
	}
	attrs := make(map[string]cty.Value, len(m.cfg.attrNames))
	for n := range m.cfg.attrNames {
		attrs[n] = refinedUnknown(typ, n, false, reason)
	}
	v := cty.ObjectVal(attrs)
	m.dataCache[typ+"."+name] = v
	return v
}
