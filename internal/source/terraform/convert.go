package terraform

import (
	"math/big"

	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// maxValueDepth bounds the nesting of values converted to ARM JSON.
const maxValueDepth = 64

// toAny converts a cty value to the plain Go value ARM JSON decodes to
// (string, float64, bool, nil, []any, map[string]any), with arm.Unknown for
// values not known before apply.
func toAny(v cty.Value) any { return toAnyDepth(v, 0) }

func toAnyDepth(v cty.Value, depth int) any {
	v, marks := v.Unmark()
	if !v.IsKnown() {
		return armUnknown(v, marks)
	}
	if v.IsNull() {
		return nil
	}
	if name := sensitiveName(marks); name != "" {
		// A sensitive value is never put in a resource: rules see a
		// value that is set (and non-empty when it is), and no report
		// can print it.
		u := arm.Unknown{Reason: "a sensitive value (" + name + ")", NotNull: true}
		if nonEmpty(v) {
			u.NonEmpty = true
		}
		return u
	}
	if depth > maxValueDepth {
		return arm.Unknown{Reason: "the value is nested too deeply to read"}
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case ty == cty.Bool:
		return v.True()
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, toAnyDepth(e, depth+1))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			k, _ = k.Unmark()
			out[k.AsString()] = toAnyDepth(e, depth+1)
		}
		return out
	}
	return arm.Unknown{Reason: "the value has a type pgbaseline does not read"}
}

// fromAny converts a decoded JSON value to cty (for plans).
func fromAny(v any, depth int) cty.Value {
	if depth > maxValueDepth {
		return unknown("the value is nested too deeply to read")
	}
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case string:
		return cty.StringVal(x)
	case float64:
		return cty.NumberVal(new(big.Float).SetFloat64(x))
	case bool:
		return cty.BoolVal(x)
	case arm.Unknown:
		return unknown(x.Reason)
	case []any:
		if len(x) == 0 {
			return cty.EmptyTupleVal
		}
		elems := make([]cty.Value, len(x))
		for i, e := range x {
			elems[i] = fromAny(e, depth+1)
		}
		return cty.TupleVal(elems)
	case map[string]any:
		attrs := make(map[string]cty.Value, len(x))
		for k, e := range x {
			attrs[k] = fromAny(e, depth+1)
		}
		return cty.ObjectVal(attrs)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

// objBuilder builds an ARM object and records the line of each member.
type objBuilder struct {
	m   map[string]any
	pos *jsonpos.Object
}

func newObj(idx *jsonpos.Index, line int) *objBuilder {
	o := &objBuilder{m: map[string]any{}, pos: &jsonpos.Object{Line: line, Keys: map[string]int{}}}
	idx.Record(o.m, o.pos)
	return o
}

func (o *objBuilder) set(key string, v any, line int) {
	o.m[key] = v
	if line > 0 {
		o.pos.Keys[key] = line
	} else {
		o.pos.Keys[key] = o.pos.Line
	}
}

// sub returns the nested object at key, making it (at line) when absent.
func (o *objBuilder) sub(idx *jsonpos.Index, key string, line int) *objBuilder {
	if cur, ok := o.m[key].(map[string]any); ok {
		return &objBuilder{m: cur, pos: idx.Lookup(cur)}
	}
	c := newObj(idx, line)
	o.set(key, c.m, line)
	return c
}

// attr copies a block attribute into the object when it is set.
func (o *objBuilder) attr(key string, b *blockValue, name string, conv func(cty.Value) any) bool {
	v, line, ok := b.get(name)
	if !ok {
		return false
	}
	o.set(key, conv(v), line)
	return true
}

// enabled maps a boolean to "Enabled"/"Disabled".
func enabled(v cty.Value) any {
	u, marks := v.UnmarkDeep()
	if !u.IsKnown() {
		return arm.Unknown{Reason: reasonOf(marks), NotNull: u.Range().DefinitelyNotNull()}
	}
	if u.Type() == cty.String {
		switch u.AsString() {
		case "true":
			return "Enabled"
		case "false":
			return "Disabled"
		}
		return u.AsString()
	}
	if u.Type() != cty.Bool || u.IsNull() {
		return toAny(v)
	}
	if u.True() {
		return "Enabled"
	}
	return "Disabled"
}

func enabledDefault(o *objBuilder, key string, b *blockValue, name string, def bool, line int) {
	if o.attr(key, b, name, enabled) {
		return
	}
	if def {
		o.set(key, "Enabled", line)
	} else {
		o.set(key, "Disabled", line)
	}
}

// stringOf converts any known primitive to its string form (configuration
// values are strings in ARM).
func stringOf(v cty.Value) any {
	u, marks := v.UnmarkDeep()
	if !u.IsKnown() {
		return armUnknown(u, marks)
	}
	switch {
	case u.IsNull():
		return nil
	case u.Type() == cty.String:
		return u.AsString()
	case u.Type() == cty.Bool:
		if u.True() {
			return "true"
		}
		return "false"
	case u.Type() == cty.Number:
		return u.AsBigFloat().Text('f', -1)
	}
	return toAny(v)
}

// sensitiveName names the sensitive variable (or sensitive() call) a value
// went through, or returns "".
func sensitiveName(marks cty.ValueMarks) string {
	for m := range marks {
		if sm, ok := m.(sensitiveMark); ok {
			return sm.name
		}
	}
	return ""
}

// nonEmpty reports whether a known value is a non-empty string or
// collection (or any number or bool).
func nonEmpty(v cty.Value) bool {
	v, _ = v.UnmarkDeep()
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString() != ""
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		return v.LengthInt() > 0
	}
	return true
}
