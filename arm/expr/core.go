package expr

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

var (
	coreOnce sync.Once
	coreLib  Library
)

// Core returns the functions shared by deployment templates and policy
// rules. The returned library must not be modified; Clone it to extend it.
func Core() Library {
	coreOnce.Do(func() {
		coreLib = Library{}
		for _, group := range coreGroups {
			coreLib.Add(group...)
		}
	})
	return coreLib
}

// coreGroups lists the function families; each file of the package adds
// its family here from an init function.
var coreGroups = [][]*Func{logicalFuncs, conversionFuncs}

// CompactJSON renders v as compact JSON, as ARM's string() does for arrays
// and objects.
func CompactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

var logicalFuncs = []*Func{
	{Name: "if", MinArgs: 3, MaxArgs: 3, Lazy: func(c *Context, args []Node) (any, error) {
		cond, err := args[0].Eval(c)
		if err != nil || IsUnknown(cond) {
			return cond, err
		}
		b, ok := cond.(bool)
		if !ok {
			return nil, Errorf("if", "the condition must be a boolean, not %s", TypeName(cond))
		}
		if b {
			return args[1].Eval(c)
		}
		return args[2].Eval(c)
	}},
	{Name: "and", MinArgs: 1, MaxArgs: -1, Lazy: func(c *Context, args []Node) (any, error) {
		return shortCircuit(c, "and", args, false)
	}},
	{Name: "or", MinArgs: 1, MaxArgs: -1, Lazy: func(c *Context, args []Node) (any, error) {
		return shortCircuit(c, "or", args, true)
	}},
	{Name: "not", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		b, ok := args[0].(bool)
		if !ok {
			return nil, Errorf("not", "the argument must be a boolean, not %s", TypeName(args[0]))
		}
		return !b, nil
	}},
	{Name: "true", MinArgs: 0, MaxArgs: 0, Call: func(*Context, []any) (any, error) { return true, nil }},
	{Name: "false", MinArgs: 0, MaxArgs: 0, Call: func(*Context, []any) (any, error) { return false, nil }},
	{Name: "null", MinArgs: 0, MaxArgs: 0, Call: func(*Context, []any) (any, error) { return nil, nil }},
}

// shortCircuit evaluates and/or: stop is the value that decides the result.
// An Unknown argument makes the result Unknown unless a later argument
// decides it.
func shortCircuit(c *Context, name string, args []Node, stop bool) (any, error) {
	var unknown any
	for _, a := range args {
		v, err := a.Eval(c)
		if err != nil {
			return nil, err
		}
		if IsUnknown(v) {
			unknown = v
			continue
		}
		b, ok := v.(bool)
		if !ok {
			return nil, Errorf(name, "the arguments must be booleans, not %s", TypeName(v))
		}
		if b == stop {
			return stop, nil
		}
	}
	if unknown != nil {
		return unknown, nil
	}
	return !stop, nil
}

var conversionFuncs = []*Func{
	{Name: "int", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		switch v := args[0].(type) {
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, Errorf("int", "cannot convert %q to an integer", v)
			}
			return i, nil
		default:
			if i, ok := AsInt(v); ok {
				return i, nil
			}
			if f, ok := AsFloat(v); ok {
				return int64(f), nil
			}
			return nil, Errorf("int", "cannot convert %s to an integer", TypeName(v))
		}
	}},
	{Name: "string", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		return c.toString("string", args[0])
	}},
	{Name: "bool", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		switch v := args[0].(type) {
		case bool:
			return v, nil
		case string:
			if b, ok := Truthy(v); ok {
				return b, nil
			}
		default:
			if i, ok := AsInt(v); ok {
				return i != 0, nil
			}
		}
		if s, ok := args[0].(string); ok {
			return nil, Errorf("bool", "cannot convert %q to a boolean", clipValue(s))
		}
		return nil, Errorf("bool", "cannot convert %s to a boolean", TypeName(args[0]))
	}},
}
