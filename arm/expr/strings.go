package expr

import (
	"strings"
	"unicode"
)

func init() { coreGroups = append(coreGroups, stringFuncs) }

// stringFuncs are the functions that work on strings only. Functions that
// take a string or an array (concat, contains, length, first, ...) are in
// collections.go.
var stringFuncs = []*Func{
	{Name: "toLower", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("toLower", args, 0)
		return strings.ToLower(s), err
	}},
	{Name: "toUpper", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("toUpper", args, 0)
		return strings.ToUpper(s), err
	}},
	{Name: "trim", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("trim", args, 0)
		return strings.TrimFunc(s, unicode.IsSpace), err
	}},
	{Name: "split", MinArgs: 2, MaxArgs: 2, Call: splitFunc},
	{Name: "replace", MinArgs: 3, MaxArgs: 3, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("replace", args, 0)
		if err != nil {
			return nil, err
		}
		old, err := argString("replace", args, 1)
		if err != nil {
			return nil, err
		}
		repl, err := argString("replace", args, 2)
		if err != nil {
			return nil, err
		}
		if old == "" {
			return nil, Errorf("replace", "the string to replace must not be empty")
		}
		if len(repl) > len(old) {
			n := int64(strings.Count(s, old))
			if err := c.room("replace", 0, int64(len(s))+n*int64(len(repl)-len(old))); err != nil {
				return nil, err
			}
		}
		return strings.ReplaceAll(s, old, repl), nil
	}},
	{Name: "substring", MinArgs: 1, MaxArgs: 3, Call: substringFunc},
	{Name: "startsWith", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		s, sub, err := twoStrings("startsWith", args)
		return strings.HasPrefix(strings.ToLower(s), strings.ToLower(sub)), err
	}},
	{Name: "endsWith", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		s, sub, err := twoStrings("endsWith", args)
		return strings.HasSuffix(strings.ToLower(s), strings.ToLower(sub)), err
	}},
	{Name: "padLeft", MinArgs: 2, MaxArgs: 3, Call: padLeftFunc},
	{Name: "format", MinArgs: 1, MaxArgs: -1, HandlesUnknown: true, Call: refineStrings(formatFunc, true)},
}

func twoStrings(fn string, args []any) (string, string, error) {
	a, err := argString(fn, args, 0)
	if err != nil {
		return "", "", err
	}
	b, err := argString(fn, args, 1)
	return a, b, err
}

// splitFunc splits on one delimiter or on any of an array of delimiters,
// keeping empty entries, as .NET's String.Split does.
func splitFunc(c *Context, args []any) (any, error) {
	s, err := argString("split", args, 0)
	if err != nil {
		return nil, err
	}
	var delims []string
	switch d := args[1].(type) {
	case string:
		delims = []string{d}
	case []any:
		for _, x := range d {
			ds, ok := x.(string)
			if !ok {
				return nil, Errorf("split", "the delimiters must be strings, not %s", TypeName(x))
			}
			delims = append(delims, ds)
		}
	default:
		return nil, Errorf("split", "the delimiter must be a string or an array of strings, not %s", TypeName(args[1]))
	}
	var out []any
	start := 0
	for i := 0; i < len(s); {
		matched := 0
		for _, d := range delims {
			if d != "" && strings.HasPrefix(s[i:], d) {
				matched = len(d)
				break
			}
		}
		if matched == 0 {
			i++
			continue
		}
		out = append(out, s[start:i])
		i += matched
		start = i
		if len(out)%4096 == 0 {
			if err := c.room("split", int64(len(out)), 0); err != nil {
				return nil, err
			}
		}
	}
	out = append(out, s[start:])
	return out, nil
}

func substringFunc(c *Context, args []any) (any, error) {
	s, err := argString("substring", args, 0)
	if err != nil {
		return nil, err
	}
	t := newText(s)
	start, length := int64(0), int64(-1)
	if len(args) > 1 {
		if start, err = argInt("substring", args, 1); err != nil {
			return nil, err
		}
	}
	if len(args) > 2 {
		if length, err = argInt("substring", args, 2); err != nil {
			return nil, err
		}
	}
	n := int64(t.len())
	explicit := len(args) > 2
	if !explicit && start >= 0 && start <= n {
		length = n - start
	}
	if start < 0 || length < 0 || start+length > n {
		if !explicit {
			length = 0
		}
		return nil, Errorf("substring", "The index and length parameters must refer to a location within the string. The index parameter: '%d', the length parameter: '%d', the length of the string parameter: '%d'.", start, length, n)
	}
	return t.slice(int(start), int(start+length)), nil
}

func padLeftFunc(c *Context, args []any) (any, error) {
	var s string
	switch v := args[0].(type) {
	case string:
		s = v
	default:
		i, ok := AsInt(v)
		if !ok {
			return nil, Errorf("padLeft", "the value to pad must be a string or an integer, not %s", TypeName(v))
		}
		s = ToString(i)
	}
	total, err := argInt("padLeft", args, 1)
	if err != nil {
		return nil, err
	}
	pad := " "
	if len(args) > 2 {
		if pad, err = argString("padLeft", args, 2); err != nil {
			return nil, err
		}
		if utf16Len(pad) != 1 {
			return nil, Errorf("padLeft", "the padding character must be a single character, got %q", pad)
		}
	}
	if total > 16*1024 {
		return nil, Errorf("padLeft", "the total length %d is too large", total)
	}
	n := int64(utf16Len(s))
	if total <= n {
		return s, nil
	}
	if err := c.room("padLeft", 0, (total-n)*int64(len(pad))); err != nil {
		return nil, err
	}
	return strings.Repeat(pad, int(total-n)) + s, nil
}
