package expr

import (
	"sort"
	"strings"
)

func init() { coreGroups = append(coreGroups, lambdaFuncs) }

// MaxLambdaDepth bounds nested lambda invocations.
const MaxLambdaDepth = 64

// Lambda is the value of lambda('x', ..., body): parameter names and an
// unevaluated body. It is valid only as an argument of filter, map,
// reduce, sort, toObject, mapValues and groupBy.
type Lambda struct {
	Params []string
	Body   Node
}

// Invoke evaluates the body with the parameters bound to args (extra
// parameters are bound to nothing and reading them is an error).
func (l *Lambda) Invoke(c *Context, args ...any) (any, error) {
	if c.depth >= MaxLambdaDepth {
		return nil, Errorf("lambda", "lambdas nested deeper than %d levels", MaxLambdaDepth)
	}
	if err := c.Budget.Step("lambda", 1); err != nil {
		return nil, err
	}
	child := *c
	child.depth = c.depth + 1
	child.Vars = make(map[string]any, len(c.Vars)+len(l.Params))
	for k, v := range c.Vars {
		child.Vars[k] = v
	}
	for i, p := range l.Params {
		if i < len(args) {
			child.Vars[p] = args[i]
		}
	}
	return l.Body.Eval(&child)
}

var lambdaFuncs = []*Func{
	{Name: "lambda", MinArgs: 2, MaxArgs: -1, Lazy: func(c *Context, args []Node) (any, error) {
		l := &Lambda{Body: args[len(args)-1]}
		for i, a := range args[:len(args)-1] {
			lit, ok := a.(Literal)
			name, isStr := lit.Value.(string)
			if !ok || !isStr || name == "" {
				return nil, Errorf("lambda", "parameter %d must be a name in quotes, not %s", i+1, a.String())
			}
			for _, p := range l.Params {
				if strings.EqualFold(p, name) {
					return nil, Errorf("lambda", "the parameter %q is declared twice", name)
				}
			}
			l.Params = append(l.Params, name)
		}
		return l, nil
	}},
	{Name: "lambdaVariables", MinArgs: 1, MaxArgs: 1, Shares: true, Call: func(c *Context, args []any) (any, error) {
		name, err := argString("lambdaVariables", args, 0)
		if err != nil {
			return nil, err
		}
		if v, ok := c.Vars[name]; ok {
			return v, nil
		}
		for k, v := range c.Vars {
			if strings.EqualFold(k, name) {
				return v, nil
			}
		}
		return nil, Errorf("lambdaVariables", "no lambda variable %q is in scope", name)
	}},
	{Name: "filter", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		a, l, err := arrayAndLambda("filter", args, 1, 2)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for i, x := range a {
			v, err := l.Invoke(c, x, int64(i))
			if err != nil || IsUnknown(v) {
				return v, err
			}
			keep, ok := v.(bool)
			if !ok {
				return nil, Errorf("filter", "the lambda must return a boolean, not %s", TypeName(v))
			}
			if keep {
				out = append(out, x)
			}
		}
		return out, nil
	}},
	{Name: "map", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		a, l, err := arrayAndLambda("map", args, 1, 2)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(a))
		for i, x := range a {
			v, err := l.Invoke(c, x, int64(i))
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}},
	{Name: "reduce", MinArgs: 3, MaxArgs: 3, Call: func(c *Context, args []any) (any, error) {
		a, err := argArray("reduce", args, 0)
		if err != nil {
			return nil, err
		}
		l, err := argLambda("reduce", args, 2, 2, 3)
		if err != nil {
			return nil, err
		}
		acc := args[1]
		for i, x := range a {
			if acc, err = l.Invoke(c, acc, x, int64(i)); err != nil {
				return nil, err
			}
			if IsUnknown(acc) {
				return acc, nil
			}
		}
		return acc, nil
	}},
	{Name: "sort", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		a, l, err := arrayAndLambda("sort", args, 2, 2)
		if err != nil {
			return nil, err
		}
		out := append([]any{}, a...)
		var failure error
		var unknown any
		sort.SliceStable(out, func(i, j int) bool {
			if failure != nil || unknown != nil {
				return false
			}
			v, err := l.Invoke(c, out[i], out[j])
			if err != nil {
				failure = err
				return false
			}
			if IsUnknown(v) {
				unknown = v
				return false
			}
			b, ok := v.(bool)
			if !ok {
				failure = Errorf("sort", "the lambda must return a boolean, not %s", TypeName(v))
			}
			return b
		})
		if failure != nil {
			return nil, failure
		}
		if unknown != nil {
			return unknown, nil
		}
		return out, nil
	}},
	{Name: "toObject", MinArgs: 2, MaxArgs: 3, Call: func(c *Context, args []any) (any, error) {
		a, keyFn, err := arrayAndLambda("toObject", args, 1, 1)
		if err != nil {
			return nil, err
		}
		var valueFn *Lambda
		if len(args) == 3 {
			if valueFn, err = argLambda("toObject", args, 2, 1, 1); err != nil {
				return nil, err
			}
		}
		out, keys := map[string]any{}, foldedKeys{}
		for _, x := range a {
			k, err := keyFn.Invoke(c, x)
			if err != nil || IsUnknown(k) {
				return k, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, Errorf("toObject", "the key lambda must return a string, not %s", TypeName(k))
			}
			v := x
			if valueFn != nil {
				if v, err = valueFn.Invoke(c, x); err != nil {
					return nil, err
				}
			}
			keys.put(out, key, v)
		}
		return out, nil
	}},
	{Name: "mapValues", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		o, err := argObject("mapValues", args, 0)
		if err != nil {
			return nil, err
		}
		l, err := argLambda("mapValues", args, 1, 1, 1)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(o))
		for _, k := range sortedKeys(o) {
			v, err := l.Invoke(c, o[k])
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}},
	{Name: "groupBy", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		a, l, err := arrayAndLambda("groupBy", args, 1, 1)
		if err != nil {
			return nil, err
		}
		out, keys := map[string]any{}, foldedKeys{}
		for _, x := range a {
			k, err := l.Invoke(c, x)
			if err != nil || IsUnknown(k) {
				return k, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, Errorf("groupBy", "the lambda must return a string, not %s", TypeName(k))
			}
			name, found := keys.find(key)
			if !found {
				name = key
				keys.add(key)
			}
			g, _ := out[name].([]any)
			out[name] = append(g, x)
		}
		return out, nil
	}},
}

func arrayAndLambda(fn string, args []any, minParams, maxParams int) ([]any, *Lambda, error) {
	a, err := argArray(fn, args, 0)
	if err != nil {
		return nil, nil, err
	}
	l, err := argLambda(fn, args, 1, minParams, maxParams)
	return a, l, err
}

func argLambda(fn string, args []any, i, minParams, maxParams int) (*Lambda, error) {
	l, ok := args[i].(*Lambda)
	if !ok {
		return nil, Errorf(fn, "the %s argument must be a lambda, not %s", ordinal(i), TypeName(args[i]))
	}
	if len(l.Params) < minParams || len(l.Params) > maxParams {
		want := ordinalCount(minParams, maxParams)
		return nil, Errorf(fn, "the lambda must take %s, not %d", want, len(l.Params))
	}
	return l, nil
}

func ordinalCount(lo, hi int) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 parameter"
		}
		return itoa(n) + " parameters"
	}
	if lo == hi {
		return plural(lo)
	}
	return itoa(lo) + " to " + plural(hi)
}

func itoa(n int) string { return ToString(int64(n)) }
