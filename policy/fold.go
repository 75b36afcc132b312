package policy

import (
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// Condition values compare case-insensitively as .NET's
// InvariantCultureIgnoreCase does (definition-structure-policy-rule.md,
// conditions): with full Unicode case folding, so that "straße" equals
// "STRASSE", the ligature "ﬁ" equals "fi" and Σ, σ and ς are one letter.
// Property keys and alias names keep ASCII folding (OrdinalIgnoreCase,
// lookupKey). Folding is per code point, so the folded form of a prefix is
// a prefix of the folded string (refinements rely on it); canonically
// equivalent but differently composed strings are not normalised.

var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// foldString returns s case-folded. An ASCII string is lower-cased (without
// a copy when it has no upper-case letter).
func foldString(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			f := folders.Get().(*cases.Caser)
			out := f.String(s)
			folders.Put(f)
			return out
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return s
	}
	return strings.ToLower(s)
}

// foldEqual reports whether a and b are equal under case folding.
func foldEqual(a, b string) bool {
	if a == b {
		return true
	}
	if isASCII(a) && isASCII(b) {
		return asciiEqualFold(a, b)
	}
	return foldString(a) == foldString(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
