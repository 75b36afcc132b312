package expr

import (
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// Refinements of unknown values: what the string functions can tell of
// their result when an argument is not known before deployment, as
// Terraform's value refinements do. format('{0}/{1}', reference(...).keyUri,
// 'v1') is unknown, but certainly a non-empty string; concat('https://',
// unknown) certainly starts with "https://".

// unknownMark stands for an unknown argument while the known parts of a
// string result are built; it cannot occur in a template's own text.
const unknownMark = "\x00\uFFFEunknown\uFFFE\x00"

// refinedString returns the Unknown that build gives when the unknown
// arguments are replaced by unknownMark: its known prefix and whether it is
// certainly non-empty. When build fails with the marks (a numeric format
// on an unknown, say), the first unknown argument is returned as it is.
func refinedString(args []any, build func(args []any) (any, error)) (any, error) {
	var first *arm.Unknown
	marked := make([]any, len(args))
	for i, a := range args {
		if u, ok := a.(arm.Unknown); ok {
			if first == nil {
				first = &u
			}
			marked[i] = unknownMark
			continue
		}
		marked[i] = a
	}
	v, err := build(marked)
	s, isString := v.(string)
	if err != nil || !isString {
		return *first, nil
	}
	known := strings.ReplaceAll(s, unknownMark, "")
	prefix, _, _ := strings.Cut(s, unknownMark)
	out := arm.Unknown{Reason: first.Reason, Prefix: prefix}
	if known != "" {
		out.NonEmpty, out.NotNull = true, true
	} else {
		out.NotNull = true // a string, though perhaps empty
	}
	return out, nil
}

// refineStrings wraps a string function so that unknown arguments give a
// refined Unknown (see refinedString). Unknown array or object arguments,
// or an unknown first argument of format, give the Unknown as it is.
func refineStrings(name string, call func(c *Context, args []any) (any, error), formatString bool) func(c *Context, args []any) (any, error) {
	return func(c *Context, args []any) (any, error) {
		var unknown *arm.Unknown
		for i, a := range args {
			switch a.(type) {
			case arm.Unknown:
				if unknown == nil {
					u := a.(arm.Unknown)
					unknown = &u
				}
				if formatString && i == 0 {
					return a, nil
				}
			case []any, map[string]any:
				if !formatString {
					// an array concatenation: no string to refine
					for _, b := range args {
						if u, ok := b.(arm.Unknown); ok {
							return u, nil
						}
					}
				}
			}
		}
		if unknown == nil {
			return call(c, args)
		}
		return refinedString(args, func(marked []any) (any, error) { return call(c, marked) })
	}
}
