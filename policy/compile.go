package policy

import (
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm/expr"
)

// tri is a three-valued truth: a condition over an Unknown value is unknown.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// node is a compiled condition.
type node interface {
	eval(c *evalCtx) (tri, error)
}

type allOf []node
type anyOf []node
type notNode struct{ n node }

type leaf struct {
	path     string
	field    string    // the field as written, when the left side is a field
	fieldExp expr.Node // a field given as an expression
	value    expr.Node // the left side of a value condition
	count    *countSpec
	op       string
	rhs      expr.Node
}

type countSpec struct {
	field string    // field count: the [*] alias
	value expr.Node // value count: the array
	name  string    // value count: the iteration name for current()
	where node
}

var operators = map[string]bool{
	"equals": true, "notequals": true, "like": true, "notlike": true, "match": true, "notmatch": true,
	"matchinsensitively": true, "notmatchinsensitively": true, "contains": true, "notcontains": true,
	"in": true, "notin": true, "containskey": true, "notcontainskey": true, "less": true,
	"lessorequals": true, "greater": true, "greaterorequals": true, "exists": true,
}

type compiler struct {
	lib    expr.Library
	counts *int
}

func (c *compiler) condition(m map[string]any, path string, depth int) (node, error) {
	if depth > maxNesting {
		return nil, &ParseError{Path: path, Msg: fmt.Sprintf("conditions nested deeper than %d levels", maxNesting)}
	}
	*c.counts++
	for _, key := range []string{"allOf", "anyOf"} {
		v, ok := lookupOK(m, key)
		if !ok {
			continue
		}
		if len(m) != 1 {
			return nil, &ParseError{Path: path, Msg: key + " must stand alone in its object"}
		}
		list, ok := v.([]any)
		if !ok {
			return nil, &ParseError{Path: path + "." + key, Msg: "must be an array of conditions"}
		}
		nodes := make([]node, 0, len(list))
		for i, e := range list {
			em, ok := e.(map[string]any)
			if !ok {
				return nil, &ParseError{Path: fmt.Sprintf("%s.%s[%d]", path, key, i), Msg: "must be a condition object"}
			}
			n, err := c.condition(em, fmt.Sprintf("%s.%s[%d]", path, key, i), depth+1)
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
	if v, ok := lookupOK(m, "not"); ok {
		if len(m) != 1 {
			return nil, &ParseError{Path: path, Msg: "not must stand alone in its object"}
		}
		nm, ok := v.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: path + ".not", Msg: "must be a condition object"}
		}
		n, err := c.condition(nm, path+".not", depth+1)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return c.leaf(m, path, depth)
}

func (c *compiler) leaf(m map[string]any, path string, depth int) (node, error) {
	l := &leaf{path: path}
	sides := 0
	var ops []string
	for k, v := range m {
		lk := strings.ToLower(k)
		switch {
		case lk == "field":
			sides++
			s, ok := v.(string)
			if !ok {
				return nil, &ParseError{Path: path + ".field", Msg: "must be a string"}
			}
			if expr.IsExpression(s) {
				n, err := c.expression(s, path+".field")
				if err != nil {
					return nil, err
				}
				l.fieldExp = n
			}
			l.field = s
		case lk == "value":
			sides++
			n, err := c.literalOrExpr(v, path+".value")
			if err != nil {
				return nil, err
			}
			l.value = n
		case lk == "count":
			sides++
			cm, ok := v.(map[string]any)
			if !ok {
				return nil, &ParseError{Path: path + ".count", Msg: "must be an object"}
			}
			cs, err := c.count(cm, path+".count", depth)
			if err != nil {
				return nil, err
			}
			l.count = cs
		case operators[lk]:
			ops = append(ops, lk)
			n, err := c.literalOrExpr(v, path+"."+k)
			if err != nil {
				return nil, err
			}
			l.op, l.rhs = lk, n
		default:
			return nil, &ParseError{Path: path + "." + k, Msg: fmt.Sprintf("unknown operator or key %q", k)}
		}
	}
	switch {
	case sides == 0:
		return nil, &ParseError{Path: path, Msg: "a condition needs one of field, value or count (or allOf, anyOf, not)"}
	case sides > 1:
		return nil, &ParseError{Path: path, Msg: "a condition takes exactly one of field, value and count"}
	case len(ops) == 0:
		return nil, &ParseError{Path: path, Msg: "a condition needs an operator (equals, in, exists, ...)"}
	case len(ops) > 1:
		return nil, &ParseError{Path: path, Msg: fmt.Sprintf("a condition takes exactly one operator, got %s", strings.Join(ops, ", "))}
	}
	if l.count != nil {
		switch l.op {
		case "equals", "notequals", "less", "lessorequals", "greater", "greaterorequals", "in", "notin":
		default:
			return nil, &ParseError{Path: path, Msg: fmt.Sprintf("operator %s cannot compare a count", l.op)}
		}
	}
	return l, nil
}

func (c *compiler) count(m map[string]any, path string, depth int) (*countSpec, error) {
	cs := &countSpec{}
	f, hasField := lookupOK(m, "field")
	v, hasValue := lookupOK(m, "value")
	switch {
	case hasField == hasValue:
		return nil, &ParseError{Path: path, Msg: "count takes exactly one of field and value"}
	case hasField:
		s, ok := f.(string)
		if !ok || !strings.Contains(s, "[*]") {
			return nil, &ParseError{Path: path + ".field", Msg: "a field count needs an array alias ending in [*]"}
		}
		cs.field = s
	default:
		n, err := c.literalOrExpr(v, path+".value")
		if err != nil {
			return nil, err
		}
		cs.value = n
		cs.name, _ = lookup(m, "name").(string)
	}
	for k := range m {
		switch strings.ToLower(k) {
		case "field", "value", "name", "where":
		default:
			return nil, &ParseError{Path: path + "." + k, Msg: "unknown key in count"}
		}
	}
	if w, ok := lookupOK(m, "where"); ok {
		wm, ok := w.(map[string]any)
		if !ok {
			return nil, &ParseError{Path: path + ".where", Msg: "must be a condition object"}
		}
		n, err := c.condition(wm, path+".where", depth+1)
		if err != nil {
			return nil, err
		}
		cs.where = n
	}
	return cs, nil
}

func (c *compiler) literalOrExpr(v any, path string) (expr.Node, error) {
	if s, ok := v.(string); ok {
		return c.expression(s, path)
	}
	return expr.Literal{Value: expr.Normalize(v)}, nil
}

// disallowed are template functions Azure Policy rules may not call.
var disallowed = map[string]bool{"copyindex": true, "datetimeadd": false, "deployment": true, "environment": true,
	"extensionresourceid": true, "lambda": true, "listaccountsas": true, "listkeys": true, "listsecrets": true,
	"managementgroup": true, "newguid": true, "pickzones": true, "providers": true, "reference": true,
	"resourceid": true, "subscriptionresourceid": true, "tenantresourceid": true, "tenant": true, "variables": true}

func (c *compiler) expression(s, path string) (expr.Node, error) {
	n, err := expr.ParseString(s)
	if err != nil {
		return nil, &ParseError{Path: path, Msg: err.Error()}
	}
	var bad error
	expr.Walk(n, func(x expr.Node) {
		if call, ok := x.(*expr.Call); ok && bad == nil {
			name := strings.ToLower(call.Name)
			if disallowed[name] || strings.HasPrefix(name, "list") && c.lib.Lookup(name) == nil {
				bad = &ParseError{Path: path, Msg: fmt.Sprintf("function %s cannot be used in a policy rule", call.Name)}
			}
		}
	})
	if bad != nil {
		return nil, bad
	}
	if err := expr.Validate(n, c.lib); err != nil {
		return nil, &ParseError{Path: path, Msg: err.Error()}
	}
	return n, nil
}

func (c *compiler) details(m map[string]any, path string) (*details, error) {
	d := &details{raw: m}
	d.typ, _ = lookup(m, "type").(string)
	if n, ok := lookup(m, "name").(string); ok {
		node, err := c.expression(n, path+".name")
		if err != nil {
			return nil, err
		}
		d.name = node
	}
	if n, ok := lookup(m, "resourceGroupName").(string); ok {
		node, err := c.expression(n, path+".resourceGroupName")
		if err != nil {
			return nil, err
		}
		d.resourceGroupName = node
	}
	d.existenceScope, _ = lookup(m, "existenceScope").(string)
	d.defaultState, _ = lookup(m, "defaultState").(string)
	if ec, ok := lookup(m, "existenceCondition").(map[string]any); ok {
		saved := *c.counts
		*c.counts = 0
		n, err := c.condition(ec, path+".existenceCondition", 0)
		if err != nil {
			return nil, err
		}
		if *c.counts > 128 {
			return nil, &ParseError{Path: path + ".existenceCondition", Msg: "more than 128 condition expressions"}
		}
		*c.counts = saved
		d.existence = n
	}
	return d, nil
}

// targetTypes reads the type conditions of the top level or a top-level
// allOf.
func targetTypes(n node) []string {
	var conds []node
	switch v := n.(type) {
	case allOf:
		conds = v
	default:
		conds = []node{n}
	}
	for _, c := range conds {
		l, ok := c.(*leaf)
		if !ok || l.fieldExp != nil || !strings.EqualFold(l.field, "type") {
			continue
		}
		lit, ok := l.rhs.(expr.Literal)
		if !ok {
			continue
		}
		switch l.op {
		case "equals":
			if s, ok := lit.Value.(string); ok {
				return []string{s}
			}
		case "in":
			if list, ok := lit.Value.([]any); ok {
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
