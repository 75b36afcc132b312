package expr

func init() { coreGroups = append(coreGroups, arrayFuncs) }

// arrayFuncs build and reshape arrays. Functions shared with strings and
// objects (first, contains, union, ...) are in collections.go; min, max
// and range are in numeric.go.
var arrayFuncs = []*Func{
	// createArray and createObject keep what is known: an unknown element
	// or value stays unknown in place, not the whole collection.
	{Name: "createArray", MinArgs: 0, MaxArgs: -1, HandlesUnknown: true, Call: func(c *Context, args []any) (any, error) {
		return append([]any{}, args...), nil
	}},
	{Name: "array", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		if a, ok := args[0].([]any); ok {
			return a, nil
		}
		return []any{args[0]}, nil
	}},
	{Name: "flatten", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		a, err := argArray("flatten", args, 0)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, x := range a {
			inner, _ := x.([]any)
			n += len(inner)
		}
		if err := c.room("flatten", int64(n), 0); err != nil {
			return nil, err
		}
		out := make([]any, 0, n)
		for _, x := range a {
			inner, ok := x.([]any)
			if !ok {
				return nil, Errorf("flatten", "every element must be an array, not %s", TypeName(x))
			}
			out = append(out, inner...)
		}
		return out, nil
	}},
	{Name: "indexFromEnd", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return fromEnd("indexFromEnd", args, false)
	}},
	{Name: "tryIndex", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		// a[?i] as a function: null for a null array or an index out of range.
		if args[0] == nil {
			return nil, nil
		}
		a, err := argArray("tryIndex", args, 0)
		if err != nil {
			return nil, err
		}
		n, err := argInt("tryIndex", args, 1)
		if err != nil {
			return nil, err
		}
		if n < 0 || n >= int64(len(a)) {
			return nil, nil
		}
		return a[n], nil
	}},
	{Name: "tryIndexFromEnd", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return fromEnd("tryIndexFromEnd", args, true)
	}},
}

// fromEnd returns the element at a 1-based position from the end of an
// array: indexFromEnd(a, 1) is the last element.
func fromEnd(fn string, args []any, try bool) (any, error) {
	if try && args[0] == nil {
		return nil, nil
	}
	a, err := argArray(fn, args, 0)
	if err != nil {
		return nil, err
	}
	n, err := argInt(fn, args, 1)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > int64(len(a)) {
		if try {
			return nil, nil
		}
		return nil, Errorf(fn, "index %d from the end is out of range for an array of length %d", n, len(a))
	}
	return a[int64(len(a))-n], nil
}
