package expr

import (
	"strings"
)

func init() { coreGroups = append(coreGroups, comparisonFuncs) }

// comparisonFuncs compare values. equals is case-sensitive for strings and
// deep for arrays and objects; the ordering functions compare two numbers
// numerically or two strings ordinally (case-sensitively: 'A' < 'a').
var comparisonFuncs = []*Func{
	{Name: "equals", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return c.equal("equals", args[0], args[1])
	}},
	{Name: "less", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		n, err := compare("less", args)
		return n < 0, err
	}},
	{Name: "lessOrEquals", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		n, err := compare("lessOrEquals", args)
		return n <= 0, err
	}},
	{Name: "greater", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		n, err := compare("greater", args)
		return n > 0, err
	}},
	{Name: "greaterOrEquals", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		n, err := compare("greaterOrEquals", args)
		return n >= 0, err
	}},
	// coalesce evaluates its arguments in order and stops at the first
	// that is not null, as ARM does: Bicep compiles `a ?? fail('...')` to
	// coalesce(a, fail('...')), which must not fail when a has a value.
	{Name: "coalesce", MinArgs: 1, MaxArgs: -1, Lazy: func(c *Context, args []Node) (any, error) {
		for _, n := range args {
			a, err := n.Eval(c)
			if err != nil {
				return nil, err
			}
			if a != nil {
				// An Unknown before any known non-null value could be null:
				// the result is Unknown.
				return a, nil
			}
		}
		return nil, nil
	}},
}

// compare orders two numbers or two strings; it returns -1, 0 or 1.
func compare(fn string, args []any) (int, error) {
	a, b := args[0], args[1]
	if fa, ok := AsFloat(a); ok {
		fb, ok := AsFloat(b)
		if !ok {
			return 0, Errorf(fn, "cannot compare %s with %s", TypeName(a), TypeName(b))
		}
		ia, oka := AsInt(a)
		ib, okb := AsInt(b)
		if oka && okb {
			return cmp3(ia < ib, ia > ib), nil
		}
		return cmp3(fa < fb, fa > fb), nil
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if ok1 && ok2 {
		return strings.Compare(sa, sb), nil
	}
	return 0, Errorf(fn, "the arguments must be two integers or two strings, not %s and %s", TypeName(a), TypeName(b))
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}
