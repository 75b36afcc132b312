package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
)

func (n allOf) eval(c *evalCtx) (tri, error) {
	out := triTrue
	for _, x := range n {
		t, err := x.eval(c)
		if err != nil {
			return triFalse, err
		}
		if t == triFalse {
			return triFalse, nil
		}
		if t == triUnknown {
			out = triUnknown
		}
	}
	return out, nil
}

func (n anyOf) eval(c *evalCtx) (tri, error) {
	out := triFalse
	for _, x := range n {
		t, err := x.eval(c)
		if err != nil {
			return triFalse, err
		}
		if t == triTrue {
			return triTrue, nil
		}
		if t == triUnknown {
			out = triUnknown
		}
	}
	return out, nil
}

func (n notNode) eval(c *evalCtx) (tri, error) {
	t, err := n.n.eval(c)
	switch {
	case err != nil:
		return triFalse, err
	case t == triUnknown:
		return triUnknown, nil
	}
	return triOf(t == triFalse), nil
}

func (l *leaf) eval(c *evalCtx) (tri, error) {
	ec := c.exprContext()
	rhs, err := l.rhs.Eval(ec)
	if err != nil {
		return triFalse, err
	}
	rhs = expr.Normalize(rhs)
	switch {
	case l.count != nil:
		n, t, err := l.count.eval(c)
		if err != nil || t == triUnknown {
			return t, err
		}
		return triOf(compare(l.op, int64(n), true, rhs)), nil
	case l.value != nil:
		v, err := l.value.Eval(ec)
		if err != nil {
			return triFalse, err
		}
		if expr.IsUnknown(v) || expr.IsUnknown(rhs) {
			return triUnknown, nil
		}
		return triOf(compare(l.op, expr.Normalize(v), true, rhs)), nil
	}
	field := l.field
	if l.fieldExp != nil {
		v, err := l.fieldExp.Eval(ec)
		if err != nil {
			return triFalse, err
		}
		field, _ = v.(string)
	}
	if expr.IsUnknown(rhs) {
		return triUnknown, nil
	}
	if strings.Contains(field, "[*]") && !c.inScope(field) {
		return c.wildcard(l, field, rhs)
	}
	v, exists, path := c.field(field)
	t := triUnknown
	if !expr.IsUnknown(v) {
		t = triOf(compare(l.op, expr.Normalize(v), exists, rhs))
	}
	c.note(l, field, path, v, exists, rhs, t)
	return t, nil
}

// wildcard evaluates a field condition on a [*] alias outside a count: an
// implicit allOf over the selected values, true on an empty array, false
// on a missing one.
func (c *evalCtx) wildcard(l *leaf, field string, rhs any) (tri, error) {
	vals, exists, path := c.fieldValues(field)
	if !exists {
		t := triOf(compare(l.op, nil, false, rhs))
		c.note(l, field, path, nil, false, rhs, t)
		return t, nil
	}
	out := triTrue
	for _, v := range vals {
		if expr.IsUnknown(v) {
			out = triUnknown
			continue
		}
		if !compare(l.op, expr.Normalize(v), v != nil, rhs) {
			c.note(l, field, path, v, true, rhs, triFalse)
			return triFalse, nil
		}
	}
	c.note(l, field, path, vals, true, rhs, out)
	return out, nil
}

func (c *evalCtx) note(l *leaf, field, path string, v any, exists bool, rhs any, t tri) {
	if !c.record {
		return
	}
	held := map[tri]string{triTrue: "held", triFalse: "failed", triUnknown: "unknown"}[t]
	c.evidence = append(c.evidence, Evidence{ResourceID: c.res.ID, Path: path, Field: field, Operator: l.op,
		Value: v, Expected: rhs, Missing: !exists, held: held})
}

func (cs *countSpec) eval(c *evalCtx) (int, tri, error) {
	var items []any
	var prefix string
	if cs.field != "" {
		vals, exists, _ := c.fieldValues(cs.field)
		if !exists {
			return 0, triTrue, nil
		}
		items = vals
		prefix = strings.ToLower(cs.field)
	} else {
		v, err := cs.value.Eval(c.exprContext())
		if err != nil {
			return 0, triFalse, err
		}
		if expr.IsUnknown(v) {
			return 0, triUnknown, nil
		}
		arr, ok := v.([]any)
		if !ok {
			return 0, triFalse, fmt.Errorf("a value count needs an array, not %s", expr.TypeName(v))
		}
		if len(arr) > 100 {
			return 0, triFalse, fmt.Errorf("a value count iterates over at most 100 elements, got %d", len(arr))
		}
		items = arr
	}
	if cs.where == nil {
		return len(items), triTrue, nil
	}
	n, unknown := 0, false
	record := c.record
	c.record = false
	defer func() { c.record = record }()
	for _, item := range items {
		c.scopes = append(c.scopes, countScope{prefix: prefix, elem: item, name: cs.name, isVal: cs.field == ""})
		t, err := cs.where.eval(c)
		c.scopes = c.scopes[:len(c.scopes)-1]
		if err != nil {
			return 0, triFalse, err
		}
		switch t {
		case triTrue:
			n++
		case triUnknown:
			unknown = true
		}
	}
	if unknown {
		return n, triUnknown, nil
	}
	return n, triTrue, nil
}

func (c *evalCtx) inScope(field string) bool {
	lf := strings.ToLower(field)
	for _, s := range c.scopes {
		if !s.isVal && strings.HasPrefix(lf, s.prefix) {
			return true
		}
	}
	return false
}

// field resolves a field reference to a value, whether it exists, and the
// JSON path it read.
func (c *evalCtx) field(field string) (any, bool, string) {
	lf := strings.ToLower(field)
	// Inside a field count, the counted alias stands for the current element.
	for i := len(c.scopes) - 1; i >= 0; i-- {
		s := c.scopes[i]
		if s.isVal || !strings.HasPrefix(lf, s.prefix) {
			continue
		}
		rest := strings.TrimPrefix(field[len(s.prefix):], ".")
		if rest == "" {
			return s.elem, s.elem != nil, ""
		}
		v, ok := arm.GetPath(s.elem, rest)
		return v, ok && v != nil, ""
	}
	r := c.res
	switch lf {
	case "name":
		return r.Name, r.Name != "", "name"
	case "fullname":
		return fullName(r), true, "name"
	case "type":
		return r.Type, r.Type != "", "type"
	case "id":
		return r.ID, r.ID != "", "id"
	case "kind":
		v, ok := arm.Lookup(r.Object, "kind")
		return v, ok && v != nil, "kind"
	case "location":
		loc := strings.ToLower(strings.ReplaceAll(r.Location(), " ", ""))
		return loc, loc != "", "location"
	case "identity.type":
		v, ok := r.Get("identity.type")
		return v, ok && v != nil, "identity.type"
	case "tags":
		v, ok := arm.Lookup(r.Object, "tags")
		return v, ok && v != nil, "tags"
	}
	if strings.HasPrefix(lf, "tags") {
		name := tagName(field[4:])
		tags, _ := arm.Lookup(r.Object, "tags")
		if m, ok := tags.(map[string]any); ok {
			v, ok := arm.Lookup(m, name)
			return v, ok && v != nil, "tags." + name
		}
		return nil, false, "tags." + name
	}
	path := c.aliasPath(field)
	if path == "" {
		return nil, false, ""
	}
	v, ok := r.Get(path)
	return v, ok && v != nil, path
}

// fieldValues resolves a [*] alias to the selected values.
func (c *evalCtx) fieldValues(field string) ([]any, bool, string) {
	path := c.aliasPath(field)
	if path == "" {
		return nil, false, ""
	}
	parts := strings.Split(path, "[*]")
	cur := []any{c.res.Object}
	for i, part := range parts {
		part = strings.Trim(part, ".")
		var next []any
		for _, v := range cur {
			x := v
			if part != "" {
				var ok bool
				if x, ok = arm.GetPath(v, part); !ok {
					if i == 0 {
						return nil, false, path
					}
					next = append(next, nil)
					continue
				}
			}
			if i < len(parts)-1 {
				arr, ok := x.([]any)
				if !ok {
					if i == 0 {
						if x == nil {
							return nil, false, path
						}
						next = append(next, nil)
					}
					continue
				}
				next = append(next, arr...)
			} else {
				next = append(next, x)
			}
		}
		cur = next
	}
	return cur, true, path
}

// aliasPath maps an alias (Namespace/type/prop.path) to a JSON path in the
// resource: the resource's own type is stripped and the rest resolved under
// "properties", unless it names a top-level key.
func (c *evalCtx) aliasPath(field string) string {
	lf := strings.ToLower(field)
	if strings.HasPrefix(lf, "properties.") {
		return field
	}
	if p, ok := builtinAliases[lf]; ok {
		return p
	}
	t := strings.ToLower(c.res.Type)
	if strings.HasPrefix(lf, t+"/") {
		return "properties." + field[len(t)+1:]
	}
	return ""
}

// builtinAliases covers aliases whose path is not the plain convention.
var builtinAliases = map[string]string{
	"microsoft.insights/diagnosticsettings/metrics.enabled": "properties.metrics[*].enabled",
}

func fullName(r *arm.Resource) string {
	id, ok := arm.ParseID(r.ID)
	if !ok || len(id.Names) == 0 {
		return r.Name
	}
	return strings.Join(id.Names, "/")
}

func tagName(s string) string {
	s = strings.TrimPrefix(s, ".")
	s = strings.TrimPrefix(s, "[")
	s = strings.TrimSuffix(s, "]")
	if strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && len(s) >= 2 {
		s = strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// compare applies an operator. exists is false when the field is absent.
func compare(op string, v any, exists bool, rhs any) bool {
	if op == "exists" {
		want, ok := expr.Truthy(rhs)
		return ok && want == exists
	}
	if !exists {
		switch op {
		case "equals":
			return rhs == nil
		case "notequals":
			return rhs != nil
		case "in":
			return containsNull(rhs)
		case "notin":
			return !containsNull(rhs)
		case "notcontains", "notcontainskey", "notlike", "notmatch", "notmatchinsensitively":
			return true
		}
		return false
	}
	switch op {
	case "equals":
		return looseEqual(v, rhs)
	case "notequals":
		return !looseEqual(v, rhs)
	case "in", "notin":
		arr, _ := rhs.([]any)
		found := false
		for _, e := range arr {
			if looseEqual(v, expr.Normalize(e)) {
				found = true
				break
			}
		}
		return found == (op == "in")
	case "like", "notlike":
		return like(v, rhs) == (op == "like")
	case "match", "notmatch":
		return match(v, rhs, false) == (op == "match")
	case "matchinsensitively", "notmatchinsensitively":
		return match(v, rhs, true) == (op == "matchinsensitively")
	case "contains", "notcontains":
		return containsOp(v, rhs) == (op == "contains")
	case "containskey", "notcontainskey":
		m, ok := v.(map[string]any)
		key, _ := rhs.(string)
		has := false
		if ok {
			_, has = arm.Lookup(m, key)
		}
		return has == (op == "containskey")
	case "less", "lessorequals", "greater", "greaterorequals":
		cmp, ok := order(v, rhs)
		if !ok {
			return false
		}
		switch op {
		case "less":
			return cmp < 0
		case "lessorequals":
			return cmp <= 0
		case "greater":
			return cmp > 0
		default:
			return cmp >= 0
		}
	}
	return false
}

func containsNull(rhs any) bool {
	arr, _ := rhs.([]any)
	for _, e := range arr {
		if e == nil {
			return true
		}
	}
	return false
}

// looseEqual compares as Azure Policy does: strings case-insensitively,
// numbers numerically with numeric strings coerced, booleans with "true"
// and "false" strings, null as "".
func looseEqual(a, b any) bool {
	if a == nil {
		a = ""
	}
	if b == nil {
		b = ""
	}
	as, aStr := a.(string)
	bs, bStr := b.(string)
	switch {
	case aStr && bStr:
		return strings.EqualFold(as, bs)
	case aStr || bStr:
		s, other := as, b
		if !aStr {
			s, other = bs, a
		}
		if f, ok := expr.AsFloat(other); ok {
			g, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			return err == nil && f == g
		}
		if bv, ok := other.(bool); ok {
			t, ok := expr.Truthy(s)
			return ok && t == bv
		}
		return false
	}
	if fa, ok := expr.AsFloat(a); ok {
		fb, ok := expr.AsFloat(b)
		return ok && fa == fb
	}
	aa, aArr := a.([]any)
	ba, bArr := b.([]any)
	if aArr && bArr {
		if len(aa) != len(ba) {
			return false
		}
		for i := range aa {
			if !looseEqual(expr.Normalize(aa[i]), expr.Normalize(ba[i])) {
				return false
			}
		}
		return true
	}
	return expr.Equal(a, b)
}

func order(a, b any) (int, bool) {
	fa, okA := number(a)
	fb, okB := number(b)
	if okA && okB {
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	}
	as, aStr := a.(string)
	bs, bStr := b.(string)
	if aStr && bStr {
		return strings.Compare(strings.ToLower(as), strings.ToLower(bs)), true
	}
	return 0, false
}

func number(v any) (float64, bool) {
	if f, ok := expr.AsFloat(v); ok {
		return f, true
	}
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return 0, false
}

func like(v, rhs any) bool {
	s, ok := v.(string)
	pat, ok2 := rhs.(string)
	if !ok || !ok2 {
		return false
	}
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range pat {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(s)
}

// match implements match and matchInsensitively: '#' a digit, '?' a
// letter, '.' any character, anything else itself; whole string.
func match(v, rhs any, fold bool) bool {
	s, ok := v.(string)
	pat, ok2 := rhs.(string)
	if !ok || !ok2 {
		return false
	}
	sr, pr := []rune(s), []rune(pat)
	if len(sr) != len(pr) {
		return false
	}
	for i, p := range pr {
		c := sr[i]
		switch p {
		case '#':
			if c < '0' || c > '9' {
				return false
			}
		case '?':
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		case '.':
		default:
			if fold {
				if !strings.EqualFold(string(c), string(p)) {
					return false
				}
			} else if c != p {
				return false
			}
		}
	}
	return true
}

func containsOp(v, rhs any) bool {
	switch x := v.(type) {
	case string:
		s, ok := rhs.(string)
		return ok && strings.Contains(strings.ToLower(x), strings.ToLower(s))
	case []any:
		for _, e := range x {
			if looseEqual(expr.Normalize(e), rhs) {
				return true
			}
		}
	case map[string]any:
		s, ok := rhs.(string)
		if ok {
			_, has := arm.Lookup(x, s)
			return has
		}
	}
	return false
}

// reasonFor explains an Audit/Deny verdict from the comparisons that held,
// with Azure's reason texts.
func reasonFor(ev []Evidence) string {
	if len(ev) == 0 {
		return "The resource matches the policy rule's conditions."
	}
	if ev[0].Operator == "exists" {
		if want, _ := expr.Truthy(ev[0].Expected); !want {
			return "Current value must exist."
		}
	}
	return reasonTexts[ev[0].Operator]
}

func reasonForExistence(failed []Evidence) string {
	if len(failed) == 0 {
		return ""
	}
	if failed[0].Operator == "exists" {
		if want, _ := expr.Truthy(failed[0].Expected); !want {
			return "Current value must not exist."
		}
	}
	return negatedReasons[failed[0].Operator]
}

// reasonTexts: the condition held, so compliance requires its negation.
var reasonTexts = map[string]string{
	"equals": "Current value must not be equal to the target value.", "notequals": "Current value must be equal to the target value.",
	"like": "Current value must not be like the target value.", "notlike": "Current value must be like the target value.",
	"in": "Current value must not be in the target value.", "notin": "Current value must be in the target value.",
	"contains": "Current value must not contain the target value.", "notcontains": "Current value must contain the target value.",
	"exists": "Current value must not exist.", "less": "Current value must be greater than or equal to the target value.",
	"lessorequals": "Current value must be greater than the target value.", "greater": "Current value must be less than or equal to the target value.",
	"greaterorequals": "Current value must be less than the target value.", "containskey": "Current value must not contain the target key.",
	"notcontainskey": "Current value must contain the target key.", "match": "Current value must not match the target value.",
	"notmatch": "Current value must match the target value.",
}

// negatedReasons: the existence condition failed, so it must hold.
var negatedReasons = map[string]string{
	"equals": "Current value must be equal to the target value.", "notequals": "Current value must not be equal to the target value.",
	"like": "Current value must be like the target value.", "notlike": "Current value must not be like the target value.",
	"in": "Current value must be in the target value.", "notin": "Current value must not be in the target value.",
	"contains": "Current value must contain the target value.", "notcontains": "Current value must not contain the target value.",
	"exists": "Current value must exist.", "less": "Current value must be less than the target value.",
	"lessorequals": "Current value must be less than or equal to the target value.", "greater": "Current value must be greater than the target value.",
	"greaterorequals": "Current value must be greater than or equal to the target value.",
}
