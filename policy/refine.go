package policy

import (
	"strings"
	"unicode"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
)

// Refinements: an arm.Unknown may say what is certain about the value it
// stands for (NotNull, NonEmpty, Prefix). A condition that every value the
// refinements allow answers the same way is decided; any other stays
// unknown. Refinements belong to the value itself: a property read below
// an unknown object, or a value computed from an unknown by a template
// function, keeps only the reason (see stripped).

// not is Kleene negation.
func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

// stripped returns v without refinements when it is an Unknown: what is
// known of a value is not known of what is derived from it.
func stripped(v any) any {
	if u, ok := v.(arm.Unknown); ok {
		return arm.Unknown{Reason: u.Reason}
	}
	return v
}

// refined decides op on an Unknown left value from its refinements:
// triTrue or triFalse when every value they allow gives that answer,
// triUnknown otherwise (and always for a value without refinements).
func refined(op opCode, v, rhs any, pat *likePattern) tri {
	u, ok := v.(arm.Unknown)
	if !ok || !u.Exists() {
		return triUnknown
	}
	switch op {
	case opExists:
		want, ok := boolish(rhs)
		if !ok {
			return triUnknown
		}
		return triOf(want)
	case opEquals, opNotEquals:
		if couldEqual(u, rhs) {
			return triUnknown
		}
		return triOf(op == opNotEquals)
	case opIn, opNotIn:
		list, ok := rhs.([]any)
		if !ok {
			return triUnknown
		}
		for _, e := range list {
			if couldEqual(u, e) {
				return triUnknown
			}
		}
		return triOf(op == opNotIn)
	case opLike:
		return likeRefined(u, rhs, pat)
	case opNotLike:
		return likeRefined(u, rhs, pat).not()
	case opContains, opNotContains:
		t := containsRefined(u, rhs)
		if op == opNotContains {
			t = t.not()
		}
		return t
	case opContainsKey, opNotContainsKey:
		if u.Prefix != "" { // a string has no keys
			return triOf(op == opNotContainsKey)
		}
	}
	return triUnknown
}

// couldEqual reports whether some value u allows equals rhs as the equals
// operator compares (looseEqual): false means certainly not equal.
func couldEqual(u arm.Unknown, rhs any) bool {
	switch y := rhs.(type) {
	case nil:
		return !u.Filled() // null equals null and ""
	case string:
		if y == "" {
			return !u.Filled()
		}
		return u.Prefix == "" || hasPrefixFold(y, u.Prefix)
	case bool:
		// "true" and "false" strings equal booleans.
		return u.Prefix == "" || hasPrefixFold("true", u.Prefix) || hasPrefixFold("false", u.Prefix)
	case []any:
		if u.Prefix != "" {
			return false // a string never equals an array
		}
		return len(y) > 0 || !u.Filled()
	case map[string]any:
		if u.Prefix != "" {
			return false
		}
		return len(y) > 0 || !u.Filled()
	}
	// A number: a numeric string equals it.
	return u.Prefix == "" || couldBeNumber(u.Prefix)
}

// couldBeNumber reports whether a string starting with p could parse as a
// number (parseNumber: spaces trimmed, then strconv.ParseFloat, which also
// takes signs, "inf" and "nan").
func couldBeNumber(p string) bool {
	p = strings.TrimLeftFunc(p, unicode.IsSpace)
	if p == "" {
		return true
	}
	switch c := p[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == 'i', c == 'I', c == 'n', c == 'N':
		return true
	}
	return false
}

// likeRefined decides like on a value that starts with u.Prefix: the
// pattern is walked against the known prefix; a mismatch is false, a
// pattern that ends in '*' once the prefix is matched is true.
func likeRefined(u arm.Unknown, rhs any, pat *likePattern) tri {
	if pat == nil {
		p, _ := rhs.(string)
		pat = compileLike(p)
	}
	if u.Prefix == "" {
		if u.Filled() && len(pat.runes) == 0 {
			return triFalse // "" matches only the empty string (like is false on non-strings)
		}
		return triUnknown
	}
	pr := []rune(foldString(u.Prefix))
	i, j := 0, 0
	for {
		if i == len(pat.runes) {
			if j < len(pr) {
				return triFalse // the value is longer than the pattern allows
			}
			return triUnknown // a match only if nothing follows the prefix
		}
		if pat.runes[i] == '*' {
			if i == len(pat.runes)-1 {
				return triTrue
			}
			return triUnknown
		}
		if j == len(pr) {
			return triUnknown
		}
		if pat.runes[i] != '?' && pat.runes[i] != pr[j] {
			return triFalse
		}
		i++
		j++
	}
}

// containsRefined decides contains on a value that starts with u.Prefix: a
// substring of the prefix is certainly contained.
func containsRefined(u arm.Unknown, rhs any) tri {
	if u.Prefix == "" {
		return triUnknown
	}
	s, ok := rhs.(string)
	switch {
	case !ok:
		return triFalse // a string contains only strings
	case containsFold(u.Prefix, s):
		return triTrue
	}
	return triUnknown
}

// hasPrefixFold reports whether s starts with prefix under case folding
// (folding is per code point, so this is exact).
func hasPrefixFold(s, prefix string) bool {
	return strings.HasPrefix(foldString(s), foldString(prefix))
}

// trustsRefinements reports whether an expression node gives a field's
// value itself (field(...) or current(...)), whose refinements hold;
// anything computed from it does not keep them.
func trustsRefinements(n expr.Node) bool {
	c, ok := n.(*expr.Call)
	return ok && (strings.EqualFold(c.Name, "field") || strings.EqualFold(c.Name, "current"))
}

// refinedFuncs replaces functions of lib whose result an argument's
// refinements can settle: empty, startsWith, contains and equals. Each
// evaluates its arguments itself (Lazy), keeps the refinements of a
// field() or current() argument only, calls the original on known
// arguments, and otherwise decides from the refinements or gives an
// Unknown without refinements.
func refinedFuncs(lib expr.Library) {
	wrap := func(name string, decide func(args []any) (any, bool)) {
		orig := lib.Lookup(name)
		if orig == nil || orig.Call == nil {
			return
		}
		lib.Add(&expr.Func{Name: orig.Name, MinArgs: orig.MinArgs, MaxArgs: orig.MaxArgs,
			Lazy: func(c *expr.Context, nodes []expr.Node) (any, error) {
				args := make([]any, len(nodes))
				var first *arm.Unknown
				for i, n := range nodes {
					v, err := n.Eval(c)
					if err != nil {
						return nil, err
					}
					if u, ok := v.(arm.Unknown); ok {
						if !trustsRefinements(n) {
							u = arm.Unknown{Reason: u.Reason}
						}
						v = u
						if first == nil {
							first = &u
						}
					}
					args[i] = v
				}
				if first == nil {
					return orig.Call(c, args)
				}
				if v, ok := decide(args); ok {
					return v, nil
				}
				return arm.Unknown{Reason: first.Reason}, nil
			}})
	}
	wrap("empty", func(a []any) (any, bool) {
		if u, ok := a[0].(arm.Unknown); ok && u.Filled() {
			return false, true
		}
		return nil, false
	})
	wrap("startsWith", func(a []any) (any, bool) {
		u, ok := a[0].(arm.Unknown)
		s, isStr := a[1].(string)
		if !ok || !isStr || u.Prefix == "" {
			return nil, false
		}
		p, s := strings.ToLower(u.Prefix), strings.ToLower(s)
		switch {
		case strings.HasPrefix(p, s):
			return true, true
		case !strings.HasPrefix(s, p):
			return false, true
		}
		return nil, false
	})
	wrap("contains", func(a []any) (any, bool) {
		u, ok := a[0].(arm.Unknown)
		s, isStr := a[1].(string)
		if ok && isStr && u.Prefix != "" && strings.Contains(strings.ToLower(u.Prefix), strings.ToLower(s)) {
			return true, true
		}
		return nil, false
	})
	wrap("equals", func(a []any) (any, bool) {
		u, ok := a[0].(arm.Unknown)
		k := a[1]
		if !ok {
			if u, ok = a[1].(arm.Unknown); !ok {
				return nil, false
			}
			k = a[0]
		}
		if expr.IsUnknown(k) {
			return nil, false
		}
		switch y := k.(type) {
		case nil:
			return false, u.Exists()
		case string:
			if y == "" {
				return false, u.Filled()
			}
			return false, u.Prefix != "" && !strings.HasPrefix(y, u.Prefix) // equals is case-sensitive
		case []any:
			return false, u.Prefix != "" || (len(y) == 0 && u.Filled())
		case map[string]any:
			return false, u.Prefix != "" || (len(y) == 0 && u.Filled())
		}
		return nil, false
	})
}
