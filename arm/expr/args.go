package expr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Argument accessors shared by the function families. Each names the
// function and the argument position in its error, as ARM does.

func ordinal(i int) string {
	switch i {
	case 0:
		return "first"
	case 1:
		return "second"
	case 2:
		return "third"
	case 3:
		return "fourth"
	}
	return "an"
}

func argString(fn string, args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", Errorf(fn, "the %s argument must be a string, not %s", ordinal(i), TypeName(args[i]))
	}
	return s, nil
}

func argInt(fn string, args []any, i int) (int64, error) {
	n, ok := AsInt(args[i])
	if !ok {
		return 0, Errorf(fn, "the %s argument must be an integer, not %s", ordinal(i), TypeName(args[i]))
	}
	return n, nil
}

func argArray(fn string, args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, Errorf(fn, "the %s argument must be an array, not %s", ordinal(i), TypeName(args[i]))
	}
	return a, nil
}

func argObject(fn string, args []any, i int) (map[string]any, error) {
	o, ok := args[i].(map[string]any)
	if !ok {
		return nil, Errorf(fn, "the %s argument must be an object, not %s", ordinal(i), TypeName(args[i]))
	}
	return o, nil
}

func argBool(fn string, args []any, i int) (bool, error) {
	b, ok := args[i].(bool)
	if !ok {
		return false, Errorf(fn, "the %s argument must be a boolean, not %s", ordinal(i), TypeName(args[i]))
	}
	return b, nil
}

// ARM runs on .NET, whose strings are UTF-16: lengths and indexes count
// UTF-16 code units. text wraps a string for such operations; ASCII
// strings (the common case) avoid the conversion.
type text struct {
	s     string
	units []uint16 // nil when s is ASCII
}

func newText(s string) text {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return text{s: s, units: utf16.Encode([]rune(s))}
		}
	}
	return text{s: s}
}

func (t text) len() int {
	if t.units == nil {
		return len(t.s)
	}
	return len(t.units)
}

// slice returns the code units [i, j).
func (t text) slice(i, j int) string {
	if t.units == nil {
		return t.s[i:j]
	}
	return string(utf16.Decode(t.units[i:j]))
}

// index converts a byte offset in t.s into a code unit offset.
func (t text) index(byteOff int) int {
	if t.units == nil || byteOff < 0 {
		return byteOff
	}
	return len(utf16.Encode([]rune(t.s[:byteOff])))
}

func utf16Len(s string) int { return newText(s).len() }
