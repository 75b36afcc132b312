package expr

import (
	"strings"
	"sync"
	"time"
)

var (
	policyOnce sync.Once
	policyLib  Library
)

// Policy returns Core with the differences of the Azure Policy rule
// engine, as Microsoft's policy linter (ported from the policy engine)
// implements them:
//   - contains on strings and replace compare case-insensitively;
//   - length(null) is 0;
//   - utcNow() takes no format and returns yyyy-MM-ddTHH:mm:ss.fffffffZ;
//   - addDays(dateTime, days) is available.
//
// The policy engine adds field, current, parameters, ... to a Clone of it.
// The returned library must not be modified.
func Policy() Library {
	policyOnce.Do(func() {
		policyLib = Core().Clone()
		policyLib.Add(policyFuncs...)
	})
	return policyLib
}

// RoundtripFormat is the .NET "o" format that policy functions return
// dates in.
const RoundtripFormat = "yyyy-MM-ddTHH:mm:ss.fffffffZ"

var policyFuncs = []*Func{
	{Name: "contains", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		if s, ok := args[0].(string); ok {
			sub, ok := args[1].(string)
			if !ok {
				return nil, Errorf("contains", "cannot search a string for %s", TypeName(args[1]))
			}
			return strings.Contains(strings.ToLower(s), strings.ToLower(sub)), nil
		}
		return containsFunc(c, args)
	}},
	{Name: "replace", MinArgs: 3, MaxArgs: 3, Call: func(c *Context, args []any) (any, error) {
		for i := range args {
			if _, err := argString("replace", args, i); err != nil {
				return nil, err
			}
		}
		s, old, repl := args[0].(string), args[1].(string), args[2].(string)
		if old == "" {
			return nil, Errorf("replace", "the string to replace must not be empty")
		}
		if len(repl) > len(old) {
			n := int64(strings.Count(strings.ToLower(s), strings.ToLower(old)))
			if err := c.room("replace", 0, int64(len(s))+n*int64(len(repl)-len(old))); err != nil {
				return nil, err
			}
		}
		return replaceFold(s, old, repl), nil
	}},
	{Name: "length", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		if args[0] == nil {
			return int64(0), nil
		}
		return Core().Lookup("length").Call(c, args)
	}},
	{Name: "utcNow", MinArgs: 0, MaxArgs: 0, Call: func(c *Context, args []any) (any, error) {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		return FormatTime(now().UTC(), RoundtripFormat)
	}},
	{Name: "addDays", MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []any) (any, error) {
		s, err := argString("addDays", args, 0)
		if err != nil {
			return nil, err
		}
		days, err := argInt("addDays", args, 1)
		if err != nil {
			return nil, err
		}
		t, err := ParseTime(s)
		if err != nil {
			return nil, Errorf("addDays", "%v", err)
		}
		if days > 3650000 || days < -3650000 {
			return nil, Errorf("addDays", "overflow adding %d days to %s", days, s)
		}
		return FormatTime(t.AddDate(0, 0, int(days)), RoundtripFormat)
	}},
}

// replaceFold replaces every occurrence of old in s, ignoring case.
func replaceFold(s, old, repl string) string {
	ls, lo := strings.ToLower(s), strings.ToLower(old)
	if len(ls) != len(s) || len(lo) != len(old) {
		// Lower-casing changed byte lengths (rare non-ASCII): fall back to
		// an exact replacement rather than misalign offsets.
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(ls[i:], lo)
		if j < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		b.WriteString(s[i : i+j])
		b.WriteString(repl)
		i += j + len(old)
	}
}
