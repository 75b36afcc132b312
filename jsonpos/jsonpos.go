// Package jsonpos decodes JSON into plain Go values (map[string]any, []any,
// string, float64, bool and nil, as encoding/json does for an any) while
// remembering the line on which every object and object member starts.
//
// Scanners use it so that a finding can point at the line of the property that
// caused it. Syntax errors carry the byte offset, line and column, and nesting
// is bounded so that hostile input cannot exhaust the stack.
package jsonpos

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects that Decode accepts.
const MaxDepth = 1000

// SyntaxError describes malformed JSON.
type SyntaxError struct {
	Msg    string // what is wrong
	Offset int    // byte offset of the error
	Line   int    // 1-based line
	Column int    // 1-based column, in bytes
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Decode parses data, which must hold exactly one JSON value, optionally
// surrounded by white space and preceded by a UTF-8 byte order mark.
// Bytes that are not UTF-8 decode as U+FFFD (see CheckUTF8); a UTF-16
// document is a SyntaxError that says so.
func Decode(data []byte) (any, *Index, error) { return decode(data, parallelMin) }

// decode is Decode with arrays of at least parallel bytes at the top of the
// document decoded in parallel.
func decode(data []byte, parallel int) (any, *Index, error) {
	// About one object in 192 bytes of pretty-printed JSON; a document
	// decoded in parallel keeps its objects in the segments' tables.
	hint := len(data) / 192
	if len(data) >= parallel {
		hint = 64
	}
	if err := utf16Error(data); err != nil {
		return nil, nil, err
	}
	d := decoder{data: data, idx: &Index{}, tab: newTable(hint), line: 1, parallelMin: parallel}
	d.idx.tables = append(d.idx.tables, d.tab)
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		d.pos = 3
		d.lineStart = 3
	}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, nil, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, nil, d.errorf("unexpected %s after the top-level value", d.describe())
	}
	return v, d.idx, nil
}

type decoder struct {
	data      []byte
	pos       int
	line      int
	lineStart int
	idx       *Index
	// tab receives the positions of the objects this decoder decodes.
	tab *table
	// pending holds the members of the objects being decoded (a stack:
	// an object's members from the base it noted when it started).
	pending []keyLine
	// seen is scratch space for collides.
	seen map[uint32]string
	// parallelMin is the size from which top-level arrays are decoded in
	// parallel (see parallelArray).
	parallelMin int
	// intern holds the short strings already decoded, so that member names
	// and repeated values ("properties", "Enabled", ...) are allocated once
	// per document rather than once per occurrence.
	intern map[string]string
}

// Interning limits: strings up to maxInterned bytes, at most maxInternSize
// distinct ones per document (unique names beyond that are allocated as
// usual).
const (
	maxInterned   = 48
	maxInternSize = 16 << 10
)

// makeString returns b as a string, interned when it is short.
func (d *decoder) makeString(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	if s, ok := d.intern[string(b)]; ok { // no allocation: the compiler converts in place for lookups
		return s
	}
	s := string(b)
	if len(d.intern) < maxInternSize {
		if d.intern == nil {
			d.intern = make(map[string]string, 256)
		}
		d.intern[s] = s
	}
	return s
}

func (d *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: d.pos, Line: d.line, Column: d.pos - d.lineStart + 1}
}

func (d *decoder) describe() string {
	if d.pos >= len(d.data) {
		return "end of input"
	}
	c := d.data[d.pos]
	if c >= 0x20 && c < 0x7f {
		return strconv.Quote(string(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\r':
			d.pos++
		case '\n':
			d.pos++
			d.line++
			d.lineStart = d.pos
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("unexpected %s, expected a JSON value", d.describe())
	}
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return d.errorf("invalid literal, expected %q", word)
	}
	d.pos += len(word)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.errorf("nesting deeper than %d levels", MaxDepth)
	}
	// The members wait in d.pending until the closing brace, so that the
	// map is made at its final size.
	line, base := d.line, len(d.pending)
	d.pos++ // {
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.finishObject(line, base), nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in an object")
		}
		if d.data[d.pos] != '"' {
			return nil, d.errorf("unexpected %s, expected a member name in double quotes", d.describe())
		}
		kl := d.line
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("unexpected %s, expected ':' after a member name", d.describe())
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.pending = append(d.pending, keyLine{key, kl, v})
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in an object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return d.finishObject(line, base), nil
		default:
			return nil, d.errorf("unexpected %s, expected ',' or '}'", d.describe())
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.errorf("nesting deeper than %d levels", MaxDepth)
	}
	if depth <= 2 {
		if arr, ok := d.parallelArray(depth); ok {
			return arr, nil
		}
	}
	d.pos++ // [
	arr := make([]any, 0, 4)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in an array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return arr, nil
		default:
			return nil, d.errorf("unexpected %s, expected ',' or ']'", d.describe())
		}
	}
}

func (d *decoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes, valid ASCII or UTF-8.
	for d.pos < len(d.data) {
		if d.pos = plainString(d.data, d.pos); d.pos >= len(d.data) {
			break
		}
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			if !utf8.Valid(s) {
				return string(toValidUTF8(s)), nil
			}
			return d.makeString(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character 0x%02x in a string", c)
		}
		d.pos++
	}
	buf := make([]byte, 0, d.pos-start+16)
	buf = append(buf, d.data[start:d.pos]...)
	for {
		if d.pos >= len(d.data) {
			return "", d.errorf("unexpected end of input in a string")
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(toValidUTF8(buf)), nil
		case c < 0x20:
			return "", d.errorf("control character 0x%02x in a string", c)
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			return "", d.errorf("unexpected end of input in a string escape")
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					var ok2 bool
					if r2, ok2 = d.hex4(); !ok2 {
						d.pos = save
						r2 = -1
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.pos--
			return "", d.errorf("invalid escape character %s", d.describe())
		}
	}
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := d.data[d.pos+i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	d.pos += 4
	return r, true
}

func toValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r)
		b = b[n:]
	}
	return out
}

func (d *decoder) number() (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.errorf("invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.errorf("invalid number: no digits after the decimal point")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number: no digits in the exponent")
		}
	}
	if f, ok := smallInt(d.data[start:d.pos]); ok {
		return f, nil
	}
	f, err := strconv.ParseFloat(string(d.data[start:d.pos]), 64)
	if err != nil || math.IsInf(f, 0) {
		d.pos = start
		return nil, d.errorf("number out of range")
	}
	return f, nil
}

// smallInt parses an integer literal of at most 15 digits (exactly
// representable as a float64) without going through strconv.
func smallInt(b []byte) (float64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		if n == 0 {
			return math.Copysign(0, -1), true
		}
		n = -n
	}
	return float64(n), true
}
