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
	first := firstUnknown(args)
	marked := make([]any, len(args))
	for i, a := range args {
		if _, ok := a.(arm.Unknown); ok {
			marked[i] = unknownMark
			continue
		}
		marked[i] = a
	}
	v, err := build(marked)
	s, isString := v.(string)
	if err != nil || !isString {
		return first, nil
	}
	known := strings.ReplaceAll(s, unknownMark, "")
	prefix, _, _ := strings.Cut(s, unknownMark)
	// A string, so not null; non-empty when a known part is.
	return arm.Unknown{Reason: first.Reason, NotNull: true, NonEmpty: known != "", Prefix: prefix}, nil
}

// refineStrings wraps a string function so that unknown arguments give a
// refined Unknown (see refinedString). An unknown format string (format's
// first argument), or an unknown in an array concatenation, gives the
// Unknown as it is.
func refineStrings(call func(c *Context, args []any) (any, error), formatString bool) func(c *Context, args []any) (any, error) {
	return func(c *Context, args []any) (any, error) {
		unknown, collection := false, false
		for i, a := range args {
			switch a.(type) {
			case arm.Unknown:
				if formatString && i == 0 {
					return a, nil
				}
				unknown = true
			case []any, map[string]any:
				collection = true
			}
		}
		switch {
		case !unknown:
			return call(c, args)
		case collection && !formatString:
			return firstUnknown(args), nil // an array concatenation: no string to refine
		}
		return refinedString(args, func(marked []any) (any, error) { return call(c, marked) })
	}
}

// firstUnknown returns the first arm.Unknown among args (one must be).
func firstUnknown(args []any) arm.Unknown {
	for _, a := range args {
		if u, ok := a.(arm.Unknown); ok {
			return u
		}
	}
	return arm.Unknown{}
}
