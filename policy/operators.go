package policy

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pgbaseline/pgbaseline/arm/expr"
)

// compare applies an operator to a left value. present is false when the
// field is absent (undefined). pat is the precompiled like pattern, or nil.
// An error is a right side of the wrong kind (in without an array, exists
// without true/false), which fails the evaluation as Azure does.
func compare(op opCode, v any, present bool, rhs any, pat *likePattern) (bool, error) {
	if op == opExists {
		want, ok := boolish(rhs)
		if !ok {
			return false, fmt.Errorf("exists takes true or false, not %s", compact(rhs))
		}
		return (present && v != nil) == want, nil
	}
	if op == opIn || op == opNotIn {
		if _, ok := rhs.([]any); !ok {
			return false, fmt.Errorf("%s takes an array, not %s", op, expr.TypeName(rhs))
		}
	}
	if !present {
		switch op {
		case opEquals:
			return rhs == nil, nil
		case opNotEquals:
			return rhs != nil, nil
		case opIn:
			return containsNull(rhs), nil
		case opNotIn:
			return !containsNull(rhs), nil
		case opNotLike, opNotMatch, opNotMatchI, opNotContains, opNotContainsKey:
			return true, nil
		}
		return false, nil
	}
	switch op {
	case opEquals:
		return looseEqual(v, rhs), nil
	case opNotEquals:
		return !looseEqual(v, rhs), nil
	case opIn, opNotIn:
		found := false
		for _, e := range rhs.([]any) {
			if looseEqual(v, e) {
				found = true
				break
			}
		}
		return found == (op == opIn), nil
	case opLike, opNotLike:
		s, ok := v.(string)
		if pat == nil {
			p, _ := rhs.(string)
			pat = compileLike(p)
		}
		return (ok && pat.match(s)) == (op == opLike), nil
	case opMatch, opNotMatch:
		return matchPattern(v, rhs, false) == (op == opMatch), nil
	case opMatchI, opNotMatchI:
		return matchPattern(v, rhs, true) == (op == opMatchI), nil
	case opContains, opNotContains:
		return containsOp(v, rhs) == (op == opContains), nil
	case opContainsKey, opNotContainsKey:
		m, ok := v.(map[string]any)
		key, _ := rhs.(string)
		has := false
		if ok {
			_, has = lookupKey(m, key)
		}
		return has == (op == opContainsKey), nil
	case opLess, opLessOrEquals, opGreater, opGreaterOrEquals:
		cmp, ok := order(v, rhs)
		if !ok {
			return false, nil
		}
		switch op {
		case opLess:
			return cmp < 0, nil
		case opLessOrEquals:
			return cmp <= 0, nil
		case opGreater:
			return cmp > 0, nil
		}
		return cmp >= 0, nil
	}
	return false, nil
}

// boolish reads exists' right side: a boolean or "true"/"false" in any
// case.
func boolish(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch {
		case strings.EqualFold(x, "true"):
			return true, true
		case strings.EqualFold(x, "false"):
			return false, true
		}
	}
	return false, false
}

func containsNull(rhs any) bool {
	arr, _ := rhs.([]any)
	for _, e := range arr {
		if e == nil {
			return true
		}
	}
	return false
}

// looseEqual compares as Azure Policy does: strings case-insensitively
// (Unicode folding), numbers numerically with numeric strings coerced
// ("80" equals 80), booleans with "true"/"false" strings, null as "",
// arrays and objects element by element.
func looseEqual(a, b any) bool {
	if a == nil {
		a = ""
	}
	if b == nil {
		b = ""
	}
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return foldEqual(x, y)
		case bool:
			t, ok := boolish(x)
			return ok && t == y
		case []any, map[string]any:
			return false
		default:
			if f, ok := expr.AsFloat(y); ok {
				g, ok := parseNumber(x)
				return ok && f == g
			}
		}
		return false
	case bool:
		switch y := b.(type) {
		case bool:
			return x == y
		case string:
			t, ok := boolish(y)
			return ok && t == x
		}
		return false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !looseEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := lookupKey(y, k)
			if !ok || !looseEqual(v, w) {
				return false
			}
		}
		return true
	}
	if f, ok := expr.AsFloat(a); ok {
		switch y := b.(type) {
		case string:
			g, ok := parseNumber(y)
			return ok && f == g
		default:
			g, ok := expr.AsFloat(y)
			return ok && f == g
		}
	}
	return false
}

func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// order compares for less/greater: numbers (and numeric strings)
// numerically, other strings case-insensitively. Values of different
// kinds do not compare.
func order(a, b any) (int, bool) {
	fa, okA := number(a)
	fb, okB := number(b)
	if okA && okB {
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	}
	as, aStr := a.(string)
	bs, bStr := b.(string)
	if aStr && bStr {
		return compareFold(as, bs), true
	}
	return 0, false
}

// compareFold orders two strings case-insensitively: ordinally on their
// case-folded forms.
func compareFold(a, b string) int {
	return strings.Compare(foldString(a), foldString(b))
}

func number(v any) (float64, bool) {
	if f, ok := expr.AsFloat(v); ok {
		return f, true
	}
	if s, ok := v.(string); ok {
		return parseNumber(s)
	}
	return 0, false
}

// likePattern is a compiled like pattern: '*' any run of characters, '?'
// one character (as regorus), everything else itself, case-insensitively
// (the pattern and the value are case-folded).
type likePattern struct {
	runes []rune
}

func compileLike(p string) *likePattern {
	return &likePattern{runes: []rune(foldString(p))}
}

func (p *likePattern) match(s string) bool {
	if isASCII(s) {
		return globMatch(p.runes, s, true) // folds ASCII letters as it goes
	}
	return globMatch(p.runes, foldString(s), false)
}

// globMatch matches a folded pattern against s, which is folded, or ASCII
// when lower is set (its letters are then lower-cased as they are read).
func globMatch(pat []rune, s string, lower bool) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			rest := pat[1:]
			if len(rest) == 0 {
				return true
			}
			for i := 0; i <= len(s); {
				if globMatch(rest, s[i:], lower) {
					return true
				}
				if i == len(s) {
					break
				}
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, n := utf8.DecodeRuneInString(s)
			s, pat = s[n:], pat[1:]
		default:
			if s == "" {
				return false
			}
			r, n := utf8.DecodeRuneInString(s)
			if lower && 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			if r != pat[0] {
				return false
			}
			s, pat = s[n:], pat[1:]
		}
	}
	return s == ""
}

// matchPattern implements match and matchInsensitively: '#' a digit, '?'
// a letter, '.' any character, anything else itself; the whole string.
func matchPattern(v, rhs any, fold bool) bool {
	s, ok := v.(string)
	pat, ok2 := rhs.(string)
	if !ok || !ok2 {
		return false
	}
	for pat != "" {
		if s == "" {
			return false
		}
		p, np := utf8.DecodeRuneInString(pat)
		c, nc := utf8.DecodeRuneInString(s)
		switch p {
		case '#':
			if !unicode.IsDigit(c) {
				return false
			}
		case '?':
			if !unicode.IsLetter(c) {
				return false
			}
		case '.':
		default:
			if c != p && !(fold && unicode.ToLower(c) == unicode.ToLower(p)) {
				return false
			}
		}
		pat, s = pat[np:], s[nc:]
	}
	return s == ""
}

// containsOp: a substring of a string (case-insensitively), an element of
// an array, a key of an object.
func containsOp(v, rhs any) bool {
	switch x := v.(type) {
	case string:
		s, ok := rhs.(string)
		return ok && containsFold(x, s)
	case []any:
		for _, e := range x {
			if looseEqual(e, rhs) {
				return true
			}
		}
	case map[string]any:
		if s, ok := rhs.(string); ok {
			_, has := lookupKey(x, s)
			return has
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	if isASCII(s) && isASCII(sub) {
		for i := 0; i+len(sub) <= len(s); i++ {
			if asciiEqualFold(s[i:i+len(sub)], sub) {
				return true
			}
		}
		return false
	}
	return strings.Contains(foldString(s), foldString(sub))
}

// Azure's non-compliance reason texts, by the operator that compliance
// requires to hold (how-to/determine-non-compliance.md).
var reasonTexts = map[opCode]string{
	opEquals: "Current value must be equal to the target value.", opNotEquals: "Current value must not be equal to the target value.",
	opLike: "Current value must be like the target value.", opNotLike: "Current value must not be like the target value.",
	opMatch: "Current value must case-sensitive match the target value.", opNotMatch: "Current value must not case-sensitive match the target value.",
	opMatchI: "Current value must case-insensitive match the target value.", opNotMatchI: "Current value must not case-insensitive match the target value.",
	opContains: "Current value must contain the target value as a substring.", opNotContains: "Current value must not contain the target value as a substring.",
	opContainsKey: "Current value must contain the target value as a key.", opNotContainsKey: "Current value must not contain the target value as a key.",
	opIn: "Current value must be one of the target values.", opNotIn: "Current value must not be one of the target values.",
	opLess: "Current value must be less than the target value.", opLessOrEquals: "Current value must be less than or equal to the target value.",
	opGreater: "Current value must be greater than the target value.", opGreaterOrEquals: "Current value must be greater than or equal to the target value.",
}

// requirementText is the reason for a condition that compliance requires
// to hold: op with rhs (for exists, the wanted value).
func requirementText(op opCode, rhs any) string {
	if op == opExists {
		if want, _ := boolish(rhs); want {
			return "Current value must exist."
		}
		return "Current value must not exist."
	}
	return reasonTexts[op]
}
