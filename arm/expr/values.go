package expr

import (
	"math"
	"strconv"
	"strings"
)

// TypeName names the type of a value as ARM error messages do.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64, int, float64:
		if _, ok := AsInt(v); ok {
			return "integer"
		}
		return "float"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case *Lambda:
		return "lambda"
	default:
		if IsUnknown(v) {
			return "unknown"
		}
		return "unsupported value"
	}
}

// AsInt returns v as an int64 when it is an integer (an int64, an int, or
// a float64 with no fractional part, as JSON numbers decode).
func AsInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt64 && n <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

// AsFloat returns a numeric v as a float64.
func AsFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// IsNumber reports whether v is an int64, int or float64.
func IsNumber(v any) bool { _, ok := AsFloat(v); return ok }

// Normalize converts JSON numbers with no fractional part to int64, so that
// values read from JSON and values computed by expressions compare alike.
// It does not copy or descend into arrays and objects.
func Normalize(v any) any {
	if f, ok := v.(float64); ok {
		if i, ok := AsInt(f); ok {
			return i
		}
	}
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}

// Equal compares two values as ARM's equals function does: strings
// case-insensitively is NOT applied here (ARM's equals is case-sensitive
// for strings in templates); numbers numerically; arrays and objects
// deeply.
func Equal(a, b any) bool { return equalWithin(nil, "", a, b) }

// equalWithin is Equal, charging bg (nil: no budget) one step per value
// compared, one per 64 bytes of a string, and a map's size for a key it
// finds only by case-folding; it stops with false once bg is spent.
func equalWithin(bg *Budget, fn string, a, b any) bool {
	if bg.Step(fn, 1) != nil {
		return false
	}
	if fa, ok := AsFloat(a); ok {
		fb, ok := AsFloat(b)
		return ok && fa == fb
	}
	switch av := a.(type) {
	case nil:
		return b == nil
	case string:
		if bg.Step(fn, int64(len(av))/64) != nil {
			return false
		}
		bv, ok := b.(string)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !equalWithin(bg, fn, av[i], bv[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			if _, exact := bv[k]; !exact && bg.Step(fn, int64(len(bv))) != nil {
				return false
			}
			y, ok := lookupFold(bv, k)
			if !ok || !equalWithin(bg, fn, x, y) {
				return false
			}
		}
		return true
	}
	return false
}

func lookupFold(m map[string]any, k string) (any, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for kk, v := range m {
		if strings.EqualFold(kk, k) {
			return v, true
		}
	}
	return nil, false
}

// ToString converts a value as ARM's string() does: strings unchanged,
// numbers and booleans in their literal form, arrays and objects as
// compact JSON.
func ToString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		if i, ok := AsInt(x); ok {
			return strconv.FormatInt(i, 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return CompactJSON(v)
	}
}

// Truthy reports whether v is a boolean true or a string that reads as
// true ("true" in any case). It is used by functions that take booleans.
func Truthy(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
