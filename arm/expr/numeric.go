package expr

import (
	"math"
	"strconv"
	"strings"
)

func init() { coreGroups = append(coreGroups, numericFuncs) }

// numericFuncs do integer arithmetic, as ARM does: div truncates toward
// zero and mod takes the sign of the dividend. Non-integral numbers (from
// JSON or float()) are accepted and computed in floating point.
var numericFuncs = []*Func{
	{Name: "add", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return arith("add", args, func(a, b int64) (int64, error) { return a + b, nil }, func(a, b float64) float64 { return a + b })
	}},
	{Name: "sub", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return arith("sub", args, func(a, b int64) (int64, error) { return a - b, nil }, func(a, b float64) float64 { return a - b })
	}},
	{Name: "mul", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		return arith("mul", args, func(a, b int64) (int64, error) { return a * b, nil }, func(a, b float64) float64 { return a * b })
	}},
	{Name: "div", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		if f, ok := AsFloat(args[1]); ok && f == 0 {
			return nil, Errorf("div", "division by zero")
		}
		return arith("div", args, func(a, b int64) (int64, error) { return a / b, nil }, func(a, b float64) float64 { return a / b })
	}},
	{Name: "mod", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		if f, ok := AsFloat(args[1]); ok && f == 0 {
			return nil, Errorf("mod", "division by zero")
		}
		return arith("mod", args, func(a, b int64) (int64, error) { return a % b, nil }, math.Mod)
	}},
	{Name: "min", MinArgs: 1, MaxArgs: -1, Call: func(c *Context, args []any) (any, error) {
		return minMax("min", args, -1)
	}},
	{Name: "max", MinArgs: 1, MaxArgs: -1, Call: func(c *Context, args []any) (any, error) {
		return minMax("max", args, 1)
	}},
	{Name: "range", MinArgs: 2, MaxArgs: 2, Call: rangeFunc},
	{Name: "float", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		switch v := args[0].(type) {
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, Errorf("float", "cannot convert %q to a number", v)
			}
			return f, nil
		default:
			if f, ok := AsFloat(v); ok {
				return f, nil
			}
		}
		return nil, Errorf("float", "cannot convert %s to a number", TypeName(args[0]))
	}},
}

func arith(fn string, args []any, ints func(a, b int64) (int64, error), floats func(a, b float64) float64) (any, error) {
	a, oka := AsInt(args[0])
	b, okb := AsInt(args[1])
	if oka && okb {
		return ints(a, b)
	}
	fa, oka := AsFloat(args[0])
	fb, okb := AsFloat(args[1])
	if !oka {
		return nil, Errorf(fn, "the first argument must be an integer, not %s", TypeName(args[0]))
	}
	if !okb {
		return nil, Errorf(fn, "the second argument must be an integer, not %s", TypeName(args[1]))
	}
	r := floats(fa, fb)
	if fn == "div" {
		r = math.Trunc(r)
	}
	return r, nil
}

// minMax takes one array of numbers or several numbers; sign -1 picks the
// smallest, 1 the largest.
func minMax(fn string, args []any, sign int) (any, error) {
	var list []any
	for _, a := range args {
		if arr, ok := a.([]any); ok {
			list = append(list, arr...)
		} else {
			list = append(list, a)
		}
	}
	if len(list) == 0 {
		return nil, Errorf(fn, "the array is empty")
	}
	best := list[0]
	if !IsNumber(best) {
		return nil, Errorf(fn, "the values must be integers, not %s", TypeName(best))
	}
	for _, x := range list[1:] {
		if !IsNumber(x) {
			return nil, Errorf(fn, "the values must be integers, not %s", TypeName(x))
		}
		n, _ := compare(fn, []any{x, best})
		if n == sign {
			best = x
		}
	}
	return Normalize(best), nil
}

// rangeFunc returns count consecutive integers from start. ARM limits
// count to 10000 and start+count to the 32-bit integer range.
func rangeFunc(c *Context, args []any) (any, error) {
	start, err := argInt("range", args, 0)
	if err != nil {
		return nil, err
	}
	count, err := argInt("range", args, 1)
	if err != nil {
		return nil, err
	}
	if count < 0 {
		return nil, Errorf("range", "the count must not be negative, got %d", count)
	}
	if count > 10000 {
		return nil, Errorf("range", "the count must not exceed 10000, got %d", count)
	}
	if start+count > math.MaxInt32 {
		return nil, Errorf("range", "the sum of the start index and the count must not exceed %d", math.MaxInt32)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = start + int64(i)
	}
	return out, nil
}
