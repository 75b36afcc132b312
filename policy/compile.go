package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm/expr"
)

// Limits from the Azure Policy documentation (policy rule limits).
const (
	maxNesting        = 64
	maxIfConds        = 4096
	maxThenConds      = 128
	maxFunctions      = 2048
	maxFieldCounts    = 5 // field counts over one array
	maxValueCounts    = 10
	maxValueCountIter = 100
	maxStringLen      = 131072
)

// opCode is a condition operator.
type opCode uint8

const (
	opEquals opCode = iota
	opNotEquals
	opLike
	opNotLike
	opMatch
	opNotMatch
	opMatchI
	opNotMatchI
	opContains
	opNotContains
	opIn
	opNotIn
	opContainsKey
	opNotContainsKey
	opLess
	opLessOrEquals
	opGreater
	opGreaterOrEquals
	opExists
)

var opNames = [...]string{"equals", "notEquals", "like", "notLike", "match", "notMatch", "matchInsensitively",
	"notMatchInsensitively", "contains", "notContains", "in", "notIn", "containsKey", "notContainsKey", "less",
	"lessOrEquals", "greater", "greaterOrEquals", "exists"}

func (o opCode) String() string { return opNames[o] }

var opByName = func() map[string]opCode {
	m := map[string]opCode{}
	for i, n := range opNames {
		m[strings.ToLower(n)] = opCode(i)
	}
	return m
}()

// negate returns the operator with the opposite meaning (less <->
// greaterOrEquals, ...); exists is its own (the value flips instead).
func (o opCode) negate() opCode {
	switch o {
	case opLess:
		return opGreaterOrEquals
	case opGreaterOrEquals:
		return opLess
	case opGreater:
		return opLessOrEquals
	case opLessOrEquals:
		return opGreater
	case opExists:
		return opExists
	}
	if o%2 == 0 {
		return o + 1
	}
	return o - 1
}

// operand is a compiled right side (or value side): a literal, a
// parameter, a field() of a constant alias, or a general expression.
type operand struct {
	kind  operandKind
	lit   any
	name  string // parameter name
	field *fieldRef
	node  expr.Node
	tmpl  any // oTemplate
}

type operandKind uint8

const (
	oLiteral operandKind = iota
	oParam
	oField
	oExpr
	// oTemplate is an array or object literal that holds expressions
	// (["[subscription().id]", "x"]): tmpl has each expression as a
	// tmplExpr, and evaluation builds the value.
	oTemplate
)

// tmplExpr is an expression inside an oTemplate operand.
type tmplExpr struct{ node expr.Node }

// node is a compiled condition.
type node interface {
	eval(c *evalCtx) (tri, error)
}

type allOf []node
type anyOf []node
type notNode struct{ n node }

type leafSide uint8

const (
	sideField leafSide = iota
	sideValue
	sideCount
)

type leaf struct {
	path      string
	side      leafSide
	field     *fieldRef // static field
	fieldExpr expr.Node // a field given as an expression
	value     operand
	count     *countSpec
	op        opCode
	rhs       operand
	pat       *likePattern // compiled like pattern for a literal rhs
}

type countSpec struct {
	field *fieldRef // field count: the [*] alias
	value operand   // value count: the array
	name  string    // value count: the iteration name for current()
	where node
}

type compiler struct {
	lib         expr.Library
	conds       int
	funcs       int
	valueCounts int
	fieldCounts map[string]int
	fields      map[string]*fieldRef // field('x') literals seen in expressions
	params      func(string) bool    // declared parameters; nil = not checked
}

func newCompiler() *compiler {
	return &compiler{lib: library(), fieldCounts: map[string]int{}, fields: map[string]*fieldRef{}}
}

func (c *compiler) condition(v any, path string, depth int) (node, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &ParseError{Path: path, Msg: "a condition must be an object"}
	}
	if depth > maxNesting {
		return nil, &ParseError{Path: path, Msg: fmt.Sprintf("conditions are nested deeper than Azure's limit of %d", maxNesting)}
	}
	c.conds++
	for _, key := range []string{"allOf", "anyOf", "not"} {
		k, v, ok := lookupEntry(m, key)
		if !ok {
			continue
		}
		if len(m) != 1 {
			return nil, &ParseError{Path: path, Msg: key + " must be the only key of its object"}
		}
		if key == "not" {
			n, err := c.condition(v, path+"."+k, depth+1)
			if err != nil {
				return nil, err
			}
			return notNode{n}, nil
		}
		list, ok := v.([]any)
		if !ok {
			return nil, &ParseError{Path: path + "." + k, Msg: "must be an array of conditions"}
		}
		if len(list) == 0 {
			return nil, &ParseError{Path: path + "." + k, Msg: "must have at least one condition"}
		}
		nodes := make([]node, 0, len(list))
		for i, e := range list {
			n, err := c.condition(e, fmt.Sprintf("%s.%s[%d]", path, k, i), depth+1)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		}
		if key == "allOf" {
			return allOf(nodes), nil
		}
		return anyOf(nodes), nil
	}
	return c.leaf(m, path, depth)
}

func (c *compiler) leaf(m map[string]any, path string, depth int) (node, error) {
	l := &leaf{path: path}
	var sides, ops []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var rhsKey string
	for _, k := range keys {
		lk := strings.ToLower(k)
		switch {
		case lk == "field" || lk == "value" || lk == "count":
			sides = append(sides, k)
		case opByName[lk] != 0 || lk == "equals":
			ops = append(ops, k)
			rhsKey = k
		default:
			return nil, &ParseError{Path: path + "." + k, Msg: fmt.Sprintf("unknown operator %q", k)}
		}
	}
	switch {
	case len(sides) == 0:
		return nil, &ParseError{Path: path, Msg: "a condition needs field, value or count (or allOf, anyOf, not)"}
	case len(sides) > 1:
		return nil, &ParseError{Path: path, Msg: "a condition takes exactly one of field, value and count, got " + strings.Join(sides, " and ")}
	case len(ops) == 0:
		return nil, &ParseError{Path: path, Msg: "a condition needs an operator (equals, in, exists, ...)"}
	case len(ops) > 1:
		return nil, &ParseError{Path: path, Msg: "a condition takes exactly one operator, got " + strings.Join(ops, " and ")}
	}
	l.op = opByName[strings.ToLower(rhsKey)]
	side := sides[0]
	sv := m[side]
	var err error
	switch strings.ToLower(side) {
	case "field":
		l.side = sideField
		s, ok := sv.(string)
		if !ok || s == "" {
			return nil, &ParseError{Path: path + "." + side, Msg: "must be a non-empty string"}
		}
		if expr.IsExpression(s) {
			if l.fieldExpr, err = c.expression(s, path+"."+side); err != nil {
				return nil, err
			}
		} else {
			l.field = compileField(expr.Unescape(s))
		}
	case "value":
		l.side = sideValue
		if l.value, err = c.operand(sv, path+"."+side); err != nil {
			return nil, err
		}
	case "count":
		l.side = sideCount
		if l.count, err = c.count(sv, path+"."+side, depth); err != nil {
			return nil, err
		}
		switch l.op {
		case opEquals, opNotEquals, opLess, opLessOrEquals, opGreater, opGreaterOrEquals, opIn, opNotIn:
		default:
			return nil, &ParseError{Path: path + "." + rhsKey, Msg: fmt.Sprintf("operator %s cannot compare a count", l.op)}
		}
	}
	rpath := path + "." + rhsKey
	if l.rhs, err = c.operand(m[rhsKey], rpath); err != nil {
		return nil, err
	}
	if l.rhs.kind == oLiteral {
		if err := checkLiteralRHS(l.op, l.rhs.lit, rpath); err != nil {
			return nil, err
		}
		if l.field != nil && l.field.kind == fLocation {
			l.rhs.lit = normLocationValue(l.rhs.lit)
		}
		if l.op == opLike || l.op == opNotLike {
			s, _ := l.rhs.lit.(string)
			l.pat = compileLike(s)
		}
	}
	return l, nil
}

// checkLiteralRHS rejects right sides Azure rejects when the definition is
// created.
func checkLiteralRHS(op opCode, v any, path string) error {
	switch op {
	case opExists:
		if _, ok := boolish(v); !ok {
			return &ParseError{Path: path, Msg: fmt.Sprintf("exists takes true or false (a boolean or the string), not %s", compact(v))}
		}
	case opIn, opNotIn:
		if _, ok := v.([]any); !ok {
			return &ParseError{Path: path, Msg: fmt.Sprintf("%s takes an array, not %s", op, expr.TypeName(v))}
		}
	case opLike, opNotLike:
		s, ok := v.(string)
		if !ok {
			return &ParseError{Path: path, Msg: fmt.Sprintf("%s takes a string pattern, not %s", op, expr.TypeName(v))}
		}
		if strings.Count(s, "*") > 1 {
			return &ParseError{Path: path, Msg: fmt.Sprintf("%s allows at most one '*' wildcard: %q", op, s)}
		}
	case opMatch, opNotMatch, opMatchI, opNotMatchI:
		if _, ok := v.(string); !ok {
			return &ParseError{Path: path, Msg: fmt.Sprintf("%s takes a string pattern, not %s", op, expr.TypeName(v))}
		}
	case opContainsKey, opNotContainsKey:
		if _, ok := v.(string); !ok {
			return &ParseError{Path: path, Msg: fmt.Sprintf("%s takes a key name, not %s", op, expr.TypeName(v))}
		}
	}
	return nil
}

func normLocationValue(v any) any {
	switch x := v.(type) {
	case string:
		return normLocation(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normLocationValue(e)
		}
		return out
	}
	return v
}

func (c *compiler) count(v any, path string, depth int) (*countSpec, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &ParseError{Path: path, Msg: "must be an object"}
	}
	cs := &countSpec{}
	fk, f, hasField := lookupEntry(m, "field")
	vk, val, hasValue := lookupEntry(m, "value")
	for k := range m {
		switch strings.ToLower(k) {
		case "field", "value", "name", "where":
		default:
			return nil, &ParseError{Path: path + "." + k, Msg: fmt.Sprintf("unknown key %q in count (field or value, name, where)", k)}
		}
	}
	switch {
	case hasField == hasValue:
		return nil, &ParseError{Path: path, Msg: "count takes exactly one of field and value"}
	case hasField:
		s, ok := f.(string)
		if !ok || !strings.Contains(s, "[*]") {
			return nil, &ParseError{Path: path + "." + fk, Msg: "a field count needs an array alias with [*]"}
		}
		cs.field = compileField(s)
		key := cs.field.lower[:strings.Index(cs.field.lower, "[*]")]
		c.fieldCounts[key]++
		if c.fieldCounts[key] > maxFieldCounts {
			return nil, &ParseError{Path: path, Msg: fmt.Sprintf("more than %d field counts over the array %s", maxFieldCounts, s[:len(key)+3])}
		}
		if _, ok := lookupOK(m, "name"); ok {
			return nil, &ParseError{Path: path + ".name", Msg: "name is only valid in a value count"}
		}
	default:
		c.valueCounts++
		if c.valueCounts > maxValueCounts {
			return nil, &ParseError{Path: path, Msg: fmt.Sprintf("more than %d value counts in one rule", maxValueCounts)}
		}
		op, err := c.operand(val, path+"."+vk)
		if err != nil {
			return nil, err
		}
		if op.kind == oLiteral {
			arr, ok := op.lit.([]any)
			if !ok {
				return nil, &ParseError{Path: path + "." + vk, Msg: "a value count needs an array"}
			}
			if len(arr) > maxValueCountIter {
				return nil, &ParseError{Path: path + "." + vk, Msg: fmt.Sprintf("a value count iterates over at most %d elements", maxValueCountIter)}
			}
		}
		cs.value = op
		if n, ok := lookupOK(m, "name"); ok {
			s, ok := n.(string)
			if !ok || s == "" {
				return nil, &ParseError{Path: path + ".name", Msg: "must be a non-empty string"}
			}
			cs.name = s
		}
	}
	if wk, w, ok := lookupEntry(m, "where"); ok {
		n, err := c.condition(w, path+"."+wk, depth+1)
		if err != nil {
			return nil, err
		}
		cs.where = n
	}
	return cs, nil
}

// operand compiles a literal or an expression string.
func (c *compiler) operand(v any, path string) (operand, error) {
	s, ok := v.(string)
	if !ok {
		if err := checkStrings(v, path); err != nil {
			return operand{}, err
		}
		if holdsExpression(v) {
			t, err := c.template(v, path)
			if err != nil {
				return operand{}, err
			}
			return operand{kind: oTemplate, tmpl: t}, nil
		}
		return operand{kind: oLiteral, lit: deepNormalize(v)}, nil
	}
	if len(s) > maxStringLen {
		return operand{}, &ParseError{Path: path, Msg: fmt.Sprintf("a string is longer than Azure's limit of %d characters", maxStringLen)}
	}
	if !expr.IsExpression(s) {
		return operand{kind: oLiteral, lit: expr.Unescape(s)}, nil
	}
	n, err := c.expression(s, path)
	if err != nil {
		return operand{}, err
	}
	if call, ok := n.(*expr.Call); ok && len(call.Args) == 1 {
		if lit, ok := call.Args[0].(expr.Literal); ok {
			if name, ok := lit.Value.(string); ok {
				switch strings.ToLower(call.Name) {
				case "parameters":
					return operand{kind: oParam, name: name, node: n}, nil
				case "field":
					return operand{kind: oField, field: c.fields[strings.ToLower(name)], node: n}, nil
				}
			}
		}
	}
	return operand{kind: oExpr, node: n}, nil
}

func checkStrings(v any, path string) error {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if err := checkStrings(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range x {
			if err := checkStrings(e, path+"."+k); err != nil {
				return err
			}
		}
	case string:
		if len(x) > maxStringLen {
			return &ParseError{Path: path, Msg: fmt.Sprintf("a string is longer than Azure's limit of %d characters", maxStringLen)}
		}
	}
	return nil
}

// deepNormalize converts JSON numbers to int64 where integral, throughout.
// holdsExpression reports whether an array or object literal holds an
// expression string (or an escaped "[[" string) at any depth: Azure
// evaluates expressions wherever they stand in a rule's operands.
func holdsExpression(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if holdsExpression(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if holdsExpression(e) {
				return true
			}
		}
	case string:
		return expr.IsExpression(x) || strings.HasPrefix(x, "[[")
	}
	return false
}

// template compiles an array or object literal that holds expressions:
// expressions become tmplExpr, escaped strings are unescaped, the rest is
// normalized.
func (c *compiler) template(v any, path string) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			t, err := c.template(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			t, err := c.template(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
		return out, nil
	case string:
		if !expr.IsExpression(x) {
			return expr.Unescape(x), nil
		}
		n, err := c.expression(x, path)
		if err != nil {
			return nil, err
		}
		return tmplExpr{node: n}, nil
	}
	return expr.Normalize(v), nil
}

func deepNormalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepNormalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepNormalize(e)
		}
		return out
	}
	return expr.Normalize(v)
}

// disallowed are the template functions Azure Policy rules may not call.
var disallowed = map[string]bool{"copyindex": true, "datetimeadd": true, "datetimefromepoch": true,
	"datetimetoepoch": true, "deployment": true, "environment": true, "extensionresourceid": true,
	"lambda": true, "listaccountsas": true, "listkeys": true, "listsecrets": true, "managementgroup": true,
	"newguid": true, "pickzones": true, "providers": true, "reference": true, "resourceid": true,
	"subscriptionresourceid": true, "tenantresourceid": true, "tenant": true, "variables": true}

// expression parses an expression string and validates its functions.
func (c *compiler) expression(s, path string) (expr.Node, error) {
	n, err := expr.ParseString(s)
	if err != nil {
		return nil, &ParseError{Path: path, Msg: "invalid expression: " + err.Error()}
	}
	var bad error
	expr.Walk(n, func(x expr.Node) {
		call, ok := x.(*expr.Call)
		if !ok || bad != nil {
			return
		}
		c.funcs++
		name := strings.ToLower(call.Name)
		if disallowed[name] || strings.HasPrefix(name, "list") {
			bad = &ParseError{Path: path, Msg: fmt.Sprintf("function %s cannot be used in a policy rule", call.Name)}
			return
		}
		if name == "parameters" && len(call.Args) == 1 && c.params != nil {
			if lit, ok := call.Args[0].(expr.Literal); ok {
				if p, ok := lit.Value.(string); ok && !c.params(p) {
					bad = &ParseError{Path: path, Msg: fmt.Sprintf("parameters('%s'): the definition declares no parameter %q", p, p)}
					return
				}
			}
		}
		if (name == "field" || name == "current") && len(call.Args) == 1 {
			if lit, ok := call.Args[0].(expr.Literal); ok {
				if f, ok := lit.Value.(string); ok {
					if _, seen := c.fields[strings.ToLower(f)]; !seen {
						c.fields[strings.ToLower(f)] = compileField(f)
					}
				}
			}
		}
	})
	if bad != nil {
		return nil, bad
	}
	if c.funcs > maxFunctions {
		return nil, &ParseError{Path: path, Msg: fmt.Sprintf("more than %d function calls in one rule", maxFunctions)}
	}
	if err := expr.Validate(n, c.lib); err != nil {
		return nil, &ParseError{Path: path, Msg: err.Error()}
	}
	return n, nil
}

// details are the compiled effect details.
type details struct {
	typ               string
	name              *operand
	existence         node
	existenceScope    string
	extension         bool // the related type is an extension resource type
	resourceGroupName *operand
	defaultState      string
	operations        []operation // modify
	appends           []operation // append
	conflictEffect    string
	actionNames       []any          // denyAction
	cascadeBehaviors  map[string]any // denyAction
	raw               map[string]any
}

type operation struct {
	op    string
	field string
	value operand
	cond  *operand
}

func (c *compiler) details(m map[string]any, path, effect string) (*details, error) {
	d := &details{raw: m}
	d.typ, _ = lookup(m, "type").(string)
	for _, k := range []string{"name", "resourceGroupName"} {
		key, v, ok := lookupEntry(m, k)
		if !ok {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, &ParseError{Path: path + "." + key, Msg: "must be a string"}
		}
		op, err := c.operand(s, path+"."+key)
		if err != nil {
			return nil, err
		}
		if k == "name" {
			d.name = &op
		} else {
			d.resourceGroupName = &op
		}
	}
	d.existenceScope, _ = lookup(m, "existenceScope").(string)
	d.extension = hasAnyPrefix(strings.ToLower(d.typ), extensionNamespaces)
	d.defaultState, _ = lookup(m, "defaultState").(string)
	d.conflictEffect, _ = lookup(m, "conflictEffect").(string)
	if k, v, ok := lookupEntry(m, "actionNames"); ok {
		list, ok := v.([]any)
		if !ok {
			return nil, &ParseError{Path: path + "." + k, Msg: "must be an array of action names"}
		}
		for i, e := range list {
			if _, ok := e.(string); !ok {
				return nil, &ParseError{Path: fmt.Sprintf("%s.%s[%d]", path, k, i), Msg: "must be a string"}
			}
		}
		d.actionNames = list
	}
	if k, v, ok := lookupEntry(m, "cascadeBehaviors"); ok {
		cb, ok := v.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: path + "." + k, Msg: "must be an object"}
		}
		d.cascadeBehaviors = cb
	}
	if k, ec, ok := lookupEntry(m, "existenceCondition"); ok {
		saved := c.conds
		c.conds = 0
		n, err := c.condition(ec, path+"."+k, 0)
		if err != nil {
			return nil, err
		}
		if c.conds > maxThenConds {
			return nil, &ParseError{Path: path + "." + k, Msg: fmt.Sprintf("more than %d condition expressions in the existence condition", maxThenConds)}
		}
		c.conds = saved
		d.existence = n
	}
	if k, ops, ok := lookupEntry(m, "operations"); ok {
		list, ok := ops.([]any)
		if !ok {
			return nil, &ParseError{Path: path + "." + k, Msg: "must be an array of operations"}
		}
		for i, o := range list {
			p := fmt.Sprintf("%s.%s[%d]", path, k, i)
			om, ok := o.(map[string]any)
			if !ok {
				return nil, &ParseError{Path: p, Msg: "must be an object"}
			}
			op, err := c.operation(om, p, true)
			if err != nil {
				return nil, err
			}
			d.operations = append(d.operations, op)
		}
	}
	// Deployment parameters are evaluated as policy expressions; the
	// template itself belongs to ARM and is not compiled here.
	if dk, dep, ok := lookupEntry(m, "deployment"); ok {
		if dm, ok := dep.(map[string]any); ok {
			if pk, props, ok := lookupEntry(dm, "properties"); ok {
				if pm, ok := props.(map[string]any); ok {
					if ak, params, ok := lookupEntry(pm, "parameters"); ok {
						if am, ok := params.(map[string]any); ok {
							for name, pv := range am {
								if vm, ok := pv.(map[string]any); ok {
									if vk, v, ok := lookupEntry(vm, "value"); ok {
										if _, err := c.operand(v, fmt.Sprintf("%s.%s.%s.%s.%s.%s", path, dk, pk, ak, name, vk)); err != nil {
											return nil, err
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return d, nil
}

// appendDetails compiles Append's details: an array of {field, value}.
func (c *compiler) appendDetails(v any, path string) (*details, error) {
	list, ok := v.([]any)
	if !ok {
		if m, ok := v.(map[string]any); ok {
			list = []any{m}
		} else {
			return nil, &ParseError{Path: path, Msg: "append details must be an array of {field, value}"}
		}
	}
	d := &details{}
	for i, o := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		om, ok := o.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: p, Msg: "must be an object with field and value"}
		}
		op, err := c.operation(om, p, false)
		if err != nil {
			return nil, err
		}
		d.appends = append(d.appends, op)
	}
	return d, nil
}

func (c *compiler) operation(m map[string]any, path string, modify bool) (operation, error) {
	op := operation{}
	if modify {
		op.op, _ = lookup(m, "operation").(string)
		switch strings.ToLower(op.op) {
		case "addorreplace", "add", "remove":
		default:
			return op, &ParseError{Path: path + ".operation", Msg: fmt.Sprintf("unknown modify operation %q (addOrReplace, add, remove)", op.op)}
		}
	} else {
		op.op = "append"
	}
	op.field, _ = lookup(m, "field").(string)
	if op.field == "" {
		return op, &ParseError{Path: path + ".field", Msg: "missing"}
	}
	if k, v, ok := lookupEntry(m, "value"); ok {
		o, err := c.operand(v, path+"."+k)
		if err != nil {
			return op, err
		}
		op.value = o
	}
	if k, v, ok := lookupEntry(m, "condition"); ok {
		o, err := c.operand(v, path+"."+k)
		if err != nil {
			return op, err
		}
		op.cond = &o
	}
	return op, nil
}

// targetTypes reads the type conditions of the top level or a top-level
// allOf: equals, in, or like with a literal.
func targetTypes(n node) []string {
	conds := []node{n}
	if a, ok := n.(allOf); ok {
		conds = a
	}
	for _, c := range conds {
		l, ok := c.(*leaf)
		if !ok || l.side != sideField || l.field == nil || l.field.kind != fType || l.rhs.kind != oLiteral {
			continue
		}
		switch l.op {
		case opEquals, opLike:
			if s, ok := l.rhs.lit.(string); ok && (l.op == opEquals || !strings.ContainsAny(s, "*?")) {
				return []string{s}
			}
		case opIn:
			if list, ok := l.rhs.lit.([]any); ok {
				var out []string
				for _, e := range list {
					if s, ok := e.(string); ok {
						out = append(out, s)
					}
				}
				return out
			}
		}
	}
	return nil
}
