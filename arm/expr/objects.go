package expr

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

func init() { coreGroups = append(coreGroups, objectFuncs) }

// objectFuncs build and read objects. ARM objects compare keys
// case-insensitively.
var objectFuncs = []*Func{
	{Name: "createObject", MinArgs: 0, MaxArgs: -1, HandlesUnknown: true, Call: func(c *Context, args []any) (any, error) {
		for i := 0; i < len(args); i += 2 {
			if u, ok := args[i].(arm.Unknown); ok {
				return u, nil // a key not known: nothing of the object is
			}
		}
		if len(args)%2 != 0 {
			return nil, Errorf("createObject", "takes key and value pairs, got an odd number of arguments (%d)", len(args))
		}
		out := make(map[string]any, len(args)/2)
		keys := foldedKeys{}
		for i := 0; i < len(args); i += 2 {
			k, err := argString("createObject", args, i)
			if err != nil {
				return nil, Errorf("createObject", "the key at argument %d must be a string, not %s", i+1, TypeName(args[i]))
			}
			keys.put(out, k, args[i+1])
		}
		return out, nil
	}},
	{Name: "json", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("json", args, 0)
		if err != nil {
			return nil, err
		}
		if err := c.decodeRoom("json", s); err != nil {
			return nil, err
		}
		v, err := DecodeJSON([]byte(s))
		if err != nil {
			return nil, Errorf("json", "invalid JSON: %v", err)
		}
		return v, nil
	}},
	{Name: "items", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		o, err := argObject("items", args, 0)
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, len(o))
		for _, k := range sortedKeys(o) {
			out = append(out, map[string]any{"key": k, "value": o[k]})
		}
		return out, nil
	}},
	{Name: "objectKeys", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		o, err := argObject("objectKeys", args, 0)
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, len(o))
		for _, k := range sortedKeys(o) {
			out = append(out, k)
		}
		return out, nil
	}},
	{Name: "shallowMerge", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		a, err := argArray("shallowMerge", args, 0)
		if err != nil {
			return nil, err
		}
		out := map[string]any{}
		keys := foldedKeys{}
		for _, x := range a {
			o, ok := x.(map[string]any)
			if !ok {
				return nil, Errorf("shallowMerge", "every element must be an object, not %s", TypeName(x))
			}
			for k, v := range o {
				keys.put(out, k, v)
			}
		}
		return out, nil
	}},
	{Name: "tryGet", MinArgs: 2, MaxArgs: -1, Call: func(c *Context, args []any) (any, error) {
		v := args[0]
		for _, key := range args[1:] {
			switch x := v.(type) {
			case map[string]any:
				k, ok := key.(string)
				if !ok {
					return nil, Errorf("tryGet", "an object key must be a string, not %s", TypeName(key))
				}
				if err := c.foldCost(x, k); err != nil {
					return nil, err
				}
				v, _ = lookupFold(x, k)
			case []any:
				i, ok := AsInt(key)
				if !ok {
					return nil, Errorf("tryGet", "an array index must be an integer, not %s", TypeName(key))
				}
				if i < 0 || i >= int64(len(x)) {
					return nil, nil
				}
				v = x[i]
			case nil:
				return nil, nil
			default:
				k := TypeName(key)
				switch key.(type) {
				case []any, map[string]any:
				default:
					k = clipValue(ToString(key))
				}
				return nil, Errorf("tryGet", "cannot read %s from %s", k, TypeName(v))
			}
		}
		return v, nil
	}},
}

// sortedKeys returns the keys of o in ordinal order, as items() and
// objectKeys() list them.
func sortedKeys(o map[string]any) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}

// DecodeJSON decodes JSON text into expression values: integers become
// int64, other numbers float64.
func DecodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, &json.SyntaxError{Offset: d.InputOffset()}
	}
	return convertNumbers(v), nil
}

func convertNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return Normalize(f)
	case []any:
		for i := range x {
			x[i] = convertNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = convertNumbers(x[k])
		}
	}
	return v
}
