package expr

import (
	"strings"
)

func init() { coreGroups = append(coreGroups, collectionFuncs) }

// collectionFuncs take a string, an array or an object.
var collectionFuncs = []*Func{
	{Name: "concat", MinArgs: 0, MaxArgs: -1, HandlesUnknown: true, Call: refineStrings(concatFunc, false)},
	{Name: "length", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		switch v := args[0].(type) {
		case string:
			return int64(utf16Len(v)), nil
		case []any:
			return int64(len(v)), nil
		case map[string]any:
			return int64(len(v)), nil
		}
		return nil, Errorf("length", "the argument must be a string, an array or an object, not %s", TypeName(args[0]))
	}},
	{Name: "empty", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		switch v := args[0].(type) {
		case nil:
			return true, nil
		case string:
			return v == "", nil
		case []any:
			return len(v) == 0, nil
		case map[string]any:
			return len(v) == 0, nil
		}
		return nil, Errorf("empty", "the argument must be a string, an array, an object or null, not %s", TypeName(args[0]))
	}},
	{Name: "first", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		return firstLast("first", args[0], true)
	}},
	{Name: "last", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		return firstLast("last", args[0], false)
	}},
	{Name: "contains", MinArgs: 2, MaxArgs: 2, Call: containsFunc},
	{Name: "indexOf", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return indexOfFunc(c, "indexOf", args, false)
	}},
	{Name: "lastIndexOf", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return indexOfFunc(c, "lastIndexOf", args, true)
	}},
	{Name: "skip", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return skipTake("skip", args, true)
	}},
	{Name: "take", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return skipTake("take", args, false)
	}},
	{Name: "union", MinArgs: 1, MaxArgs: -1, Call: unionFunc},
	{Name: "intersection", MinArgs: 1, MaxArgs: -1, Call: intersectionFunc},
}

// concatFunc joins arrays, or strings. Null arguments are skipped; numbers
// and booleans in a string concatenation are converted as string() does.
func concatFunc(c *Context, args []any) (any, error) {
	isArray := false
	for _, a := range args {
		if _, ok := a.([]any); ok {
			isArray = true
			break
		}
	}
	if isArray {
		n := 0
		for _, a := range args {
			if v, ok := a.([]any); ok {
				n += len(v)
			}
		}
		if err := c.room("concat", int64(n), 0); err != nil {
			return nil, err
		}
		out := make([]any, 0, n)
		for _, a := range args {
			switch v := a.(type) {
			case nil:
			case []any:
				out = append(out, v...)
			default:
				return nil, Errorf("concat", "cannot concatenate an array and %s", TypeName(a))
			}
		}
		return out, nil
	}
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case map[string]any:
			return nil, Errorf("concat", "the arguments must be strings or arrays, not object")
		case string:
			n += len(v)
		default:
			n += 24 // a number or a boolean
		}
	}
	if err := c.room("concat", 0, int64(n)); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Grow(n)
	for _, a := range args {
		b.WriteString(ToString(a))
	}
	return b.String(), nil
}

func firstLast(fn string, v any, first bool) (any, error) {
	switch x := v.(type) {
	case string:
		t := newText(x)
		n := t.len()
		if n == 0 {
			return "", nil
		}
		if first {
			return t.slice(0, 1), nil
		}
		return t.slice(n-1, n), nil
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		if first {
			return x[0], nil
		}
		return x[len(x)-1], nil
	case nil:
		return nil, nil
	}
	return nil, Errorf(fn, "the argument must be a string or an array, not %s", TypeName(v))
}

// containsFunc: an array holds an equal element; an object has a key
// (case-insensitively); a string holds a substring (case-sensitively).
func containsFunc(c *Context, args []any) (any, error) {
	item := args[1]
	switch v := args[0].(type) {
	case []any:
		return c.containsEqual("contains", v, item)
	case map[string]any:
		key, ok := item.(string)
		if !ok {
			var err error
			if key, err = c.toString("contains", item); err != nil {
				return nil, err
			}
		}
		if err := c.foldCost(v, key); err != nil {
			return nil, err
		}
		_, found := lookupFold(v, key)
		return found, nil
	case string:
		switch item.(type) {
		case []any, map[string]any:
			return nil, Errorf("contains", "cannot search a string for %s", TypeName(item))
		}
		return strings.Contains(v, ToString(item)), nil
	case nil:
		return false, nil
	}
	return nil, Errorf("contains", "the container must be an array, an object or a string, not %s", TypeName(args[0]))
}

// indexOfFunc finds a substring case-insensitively, or an array element
// (strings case-sensitively). It returns -1 when not found.
func indexOfFunc(c *Context, fn string, args []any, last bool) (any, error) {
	switch v := args[0].(type) {
	case string:
		sub, ok := args[1].(string)
		if !ok {
			return nil, Errorf(fn, "the value to find in a string must be a string, not %s", TypeName(args[1]))
		}
		s := strings.ToLower(v)
		sub = strings.ToLower(sub)
		var i int
		if last {
			i = strings.LastIndex(s, sub)
		} else {
			i = strings.Index(s, sub)
		}
		if i < 0 {
			return int64(-1), nil
		}
		return int64(newText(s).index(i)), nil
	case []any:
		if last {
			for i := len(v) - 1; i >= 0; i-- {
				if eq, err := c.equal(fn, v[i], args[1]); err != nil || eq {
					return int64(i), err
				}
			}
		} else {
			for i, x := range v {
				if eq, err := c.equal(fn, x, args[1]); err != nil || eq {
					return int64(i), err
				}
			}
		}
		return int64(-1), nil
	}
	return nil, Errorf(fn, "the first argument must be a string or an array, not %s", TypeName(args[0]))
}

// skipTake implements skip (drop the first n) and take (keep the first n)
// on strings and arrays; n is clamped to [0, length].
func skipTake(fn string, args []any, skip bool) (any, error) {
	n, err := argInt(fn, args, 1)
	if err != nil {
		return nil, err
	}
	clamp := func(l int) int {
		if n < 0 {
			return 0
		}
		if n > int64(l) {
			return l
		}
		return int(n)
	}
	switch v := args[0].(type) {
	case string:
		t := newText(v)
		k := clamp(t.len())
		if skip {
			return t.slice(k, t.len()), nil
		}
		return t.slice(0, k), nil
	case []any:
		k := clamp(len(v))
		if skip {
			return append([]any{}, v[k:]...), nil
		}
		return append([]any{}, v[:k]...), nil
	case nil:
		return nil, nil
	}
	return nil, Errorf(fn, "the first argument must be a string or an array, not %s", TypeName(args[0]))
}

// unionFunc merges arrays (without duplicates, in order) or objects (later
// values win; nested objects are merged recursively).
func unionFunc(c *Context, args []any) (any, error) {
	switch args[0].(type) {
	case []any:
		out := []any{}
		for i := range args {
			a, err := argArray("union", args, i)
			if err != nil {
				return nil, err
			}
			for _, x := range a {
				found, err := c.containsEqual("union", out, x)
				if err != nil {
					return nil, err
				}
				if !found {
					out = append(out, x)
				}
			}
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		for i := range args {
			o, err := argObject("union", args, i)
			if err != nil {
				return nil, err
			}
			// Merging copies the objects that both sides hold: as much
			// work as the objects are large.
			if err := c.walk("union", o); err != nil {
				return nil, err
			}
			mergeInto(out, o)
		}
		return out, nil
	}
	return nil, Errorf("union", "the arguments must be arrays or objects, not %s", TypeName(args[0]))
}

// mergeInto copies src into dst; a key present in both with object values
// on both sides is merged recursively. Keys match case-insensitively and
// keep the first spelling.
func mergeInto(dst, src map[string]any) {
	idx := foldedKeysOf(dst)
	for k, v := range src {
		key, ok := idx.find(k)
		if !ok {
			dst[k] = v
			idx.add(k)
			continue
		}
		old := dst[key]
		oldObj, ok1 := old.(map[string]any)
		newObj, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			merged := map[string]any{}
			mergeInto(merged, oldObj)
			mergeInto(merged, newObj)
			dst[key] = merged
			continue
		}
		dst[key] = v
	}
}

// foldedKeys indexes the keys of an object being built by their lower
// case, so that a key is found case-insensitively at once rather than by
// comparing it with every key (which made building an object of n keys
// take n² comparisons).
type foldedKeys map[string]string

func foldedKeysOf(m map[string]any) foldedKeys {
	f := make(foldedKeys, len(m))
	for k := range m {
		f.add(k)
	}
	return f
}

// find returns the key of the object that matches k case-insensitively.
func (f foldedKeys) find(k string) (string, bool) {
	s, ok := f[strings.ToLower(k)]
	return s, ok
}

// add records the key k of the object.
func (f foldedKeys) add(k string) { f[strings.ToLower(k)] = k }

// put sets out[k] = v, replacing the member whose key matches k
// case-insensitively: the last spelling wins.
func (f foldedKeys) put(out map[string]any, k string, v any) {
	if old, ok := f.find(k); ok && old != k {
		delete(out, old)
	}
	out[k] = v
	f.add(k)
}

// intersectionFunc keeps the array elements, or the object members (same
// key and equal value), common to all arguments.
func intersectionFunc(c *Context, args []any) (any, error) {
	switch args[0].(type) {
	case []any:
		lists := make([][]any, len(args))
		for i := range args {
			a, err := argArray("intersection", args, i)
			if err != nil {
				return nil, err
			}
			lists[i] = a
		}
		out := []any{}
		for _, x := range lists[0] {
			dup, err := c.containsEqual("intersection", out, x)
			if err != nil {
				return nil, err
			}
			if dup {
				continue
			}
			all := true
			for _, l := range lists[1:] {
				found, err := c.containsEqual("intersection", l, x)
				if err != nil {
					return nil, err
				}
				if !found {
					all = false
					break
				}
			}
			if all {
				out = append(out, x)
			}
		}
		return out, nil
	case map[string]any:
		objs := make([]map[string]any, len(args))
		for i := range args {
			o, err := argObject("intersection", args, i)
			if err != nil {
				return nil, err
			}
			objs[i] = o
		}
		out := map[string]any{}
		for k, v := range objs[0] {
			all := true
			for _, o := range objs[1:] {
				if err := c.foldCost(o, k); err != nil {
					return nil, err
				}
				w, ok := lookupFold(o, k)
				eq := false
				if ok {
					var err error
					if eq, err = c.equal("intersection", v, w); err != nil {
						return nil, err
					}
				}
				if !eq {
					all = false
					break
				}
			}
			if all {
				out[k] = v
			}
		}
		return out, nil
	}
	return nil, Errorf("intersection", "the arguments must be arrays or objects, not %s", TypeName(args[0]))
}
