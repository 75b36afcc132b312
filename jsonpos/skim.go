package jsonpos

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"strconv"
	"sync"
)

// Span is the extent of one JSON value in a document: data[Start:End],
// whose first byte is on Line (1-based), a line that starts at byte
// LineStart.
type Span struct {
	Start, End      int
	Line, LineStart int
}

// Member is one member of an outlined object: its name, decoded, and the
// extent of its value. Elements lists the elements of the value when it is
// an array that Skim outlines (an array member of the top-level object).
type Member struct {
	Name     string
	Value    Span
	Elements []Element
}

// Element is one element of an outlined array. For an object element,
// Members holds the members that Skim's keep function accepted (their
// values are not outlined further), and Object is set.
type Element struct {
	Span
	Object  bool
	Members []Member
}

// Outline describes a validated JSON document without decoding it: see
// Skim.
type Outline struct {
	// Root is the extent of the top-level value.
	Root Span
	// Kind is the first byte of the top-level value: '{', '[', '"', ...
	Kind byte
	// Members are the members of a top-level object, in document order.
	Members []Member
	// Elements are the elements of a top-level array.
	Elements []Element
}

// Skim validates data exactly as Decode would, without building any value,
// and outlines it: the members of a top-level object, the elements of a
// top-level array and of each array member of a top-level object, and, for
// each such element that is an object, its members whose names keep
// accepts (keep may be nil: no members). Large arrays are validated on
// every core.
//
// It lets a reader find the parts of a large document and decode them one
// at a time with a Decoder. Skim returns an error for any document that
// Decode rejects; the error's position is not always the one Decode would
// give, so a caller that reports it should decode the document for the
// exact message.
func Skim(data []byte, keep func(name string) bool) (*Outline, error) {
	s := skimmer{data: data, line: 1, keep: keep, parallelMin: parallelMin}
	return s.skim()
}

func (s *skimmer) skim() (*Outline, error) {
	data := s.data
	if err := utf16Error(data); err != nil {
		return nil, err
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		s.pos = 3
		s.lineStart = 3
	}
	s.space()
	out := &Outline{Root: s.span()}
	if s.pos < len(data) {
		out.Kind = data[s.pos]
	}
	var err error
	switch out.Kind {
	case '{':
		out.Members, err = s.outlineObject()
	case '[':
		out.Elements, err = s.outlineArray(1)
	default:
		err = s.value(0)
	}
	if err != nil {
		return nil, err
	}
	out.Root.End = s.pos
	s.space()
	if s.pos < len(data) {
		return nil, s.fail("unexpected content after the top-level value")
	}
	return out, nil
}

// skimmer validates JSON with the decoder's rules (grammar, escapes,
// control characters, number range, MaxDepth) and allocates only the
// outline.
type skimmer struct {
	data            []byte
	pos             int
	line, lineStart int
	keep            func(string) bool
	parallelMin     int
	names           map[string]string // interned member names
}

// name decodes a member name token, interning the names without escapes
// (an export repeats a few names for every element).
func (s *skimmer) name(tok []byte) (string, error) {
	body := tok[1 : len(tok)-1]
	if len(body) > maxInterned || bytes.IndexByte(body, '\\') >= 0 {
		return decodeString(tok)
	}
	if n, ok := s.names[string(body)]; ok {
		return n, nil
	}
	n, err := decodeString(tok)
	if err == nil && len(s.names) < maxInternSize {
		if s.names == nil {
			s.names = map[string]string{}
		}
		s.names[string(body)] = n
	}
	return n, err
}

func (s *skimmer) span() Span { return Span{Start: s.pos, Line: s.line, LineStart: s.lineStart} }

func (s *skimmer) fail(msg string) error {
	return &SyntaxError{Msg: msg, Offset: s.pos, Line: s.line, Column: s.pos - s.lineStart + 1}
}

func (s *skimmer) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r':
			s.pos++
		case '\n':
			s.pos++
			s.line++
			s.lineStart = s.pos
		default:
			return
		}
	}
}

// outlineObject validates the top-level object and lists its members,
// outlining array values.
func (s *skimmer) outlineObject() ([]Member, error) {
	var out []Member
	err := s.members(1, func(name string, v Span) error {
		m := Member{Name: name, Value: v}
		var err error
		if s.data[s.pos] == '[' {
			m.Elements, err = s.outlineArray(2)
		} else {
			err = s.value(1)
		}
		m.Value.End = s.pos
		out = append(out, m)
		return err
	})
	return out, err
}

// members walks the object at s.pos (on its '{', at depth) and calls fn on
// each member with s.pos on the member's value; fn must consume the value.
func (s *skimmer) members(depth int, fn func(name string, value Span) error) error {
	if depth > MaxDepth {
		return s.fail("nesting too deep")
	}
	s.pos++
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.fail("expected a member name")
		}
		nameStart := s.pos
		if err := s.str(); err != nil {
			return err
		}
		nameEnd := s.pos
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.fail("expected ':'")
		}
		s.pos++
		s.space()
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input")
		}
		if fn == nil {
			if err := s.value(depth); err != nil {
				return err
			}
		} else {
			name, err := s.name(s.data[nameStart:nameEnd])
			if err != nil {
				return err
			}
			if err := fn(name, s.span()); err != nil {
				return err
			}
		}
		s.space()
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input in an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

// outlineArray validates the array at s.pos (at depth) and lists its
// elements, on every core when it is large.
func (s *skimmer) outlineArray(depth int) ([]Element, error) {
	if depth > MaxDepth {
		return nil, s.fail("nesting too deep")
	}
	if out, ok, err := s.parallelArray(depth); ok || err != nil {
		return out, err
	}
	s.pos++ // [
	s.space()
	var out []Element
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return out, nil
	}
	for {
		s.space()
		el, err := s.element(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, el)
		s.space()
		if s.pos >= len(s.data) {
			return nil, s.fail("unexpected end of input in an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return out, nil
		default:
			return nil, s.fail("expected ',' or ']'")
		}
	}
}

// element validates one array element at depth and outlines it.
func (s *skimmer) element(depth int) (Element, error) {
	el := Element{Span: s.span()}
	if s.pos < len(s.data) && s.data[s.pos] == '{' {
		el.Object = true
		var kept [4]Member // most elements keep a few members: one allocation of the right size
		n := 0
		var more []Member
		err := s.members(depth+1, func(name string, v Span) error {
			if err := s.value(depth + 1); err != nil {
				return err
			}
			if s.keep != nil && s.keep(name) {
				v.End = s.pos
				if n < len(kept) {
					kept[n] = Member{Name: name, Value: v}
					n++
				} else {
					more = append(more, Member{Name: name, Value: v})
				}
			}
			return nil
		})
		if n > 0 {
			el.Members = make([]Member, 0, n+len(more))
			el.Members = append(append(el.Members, kept[:n]...), more...)
		}
		el.End = s.pos
		return el, err
	}
	err := s.value(depth)
	el.End = s.pos
	return el, err
}

// parallelArray outlines a large array on every core: the array is cut
// into segments at commas between elements by the decoder's quick scan,
// and each segment is validated and outlined by its own goroutine. It
// reports false (and no error) when the array is small or the quick scan
// gives up; the caller then goes sequentially.
func (s *skimmer) parallelArray(depth int) ([]Element, bool, error) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(s.data)-s.pos < s.parallelMin {
		return nil, false, nil
	}
	segs, ok := s.guessSplit(4 * workers)
	if !ok {
		d := decoder{data: s.data, pos: s.pos, line: s.line, lineStart: s.lineStart}
		var closing int
		if segs, closing, ok = d.split(4 * workers); !ok || len(segs) < 2 {
			return nil, false, nil
		}
		segs[len(segs)-1].end = closing
	}
	parts := make([][]Element, len(segs))
	errs := make([]error, len(segs))
	ends := make([]skimmer, len(segs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i, seg := range segs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			last := i == len(segs)-1
			data := s.data
			if !last {
				data = data[:seg.end]
			}
			sub := skimmer{data: data, pos: seg.start, line: seg.line, lineStart: seg.lineStart, keep: s.keep,
				parallelMin: math.MaxInt}
			parts[i] = make([]Element, 0, (seg.end-seg.start)/256+1)
			for {
				sub.space()
				el, err := sub.element(depth)
				if err != nil {
					errs[i] = err
					return
				}
				parts[i] = append(parts[i], el)
				sub.space()
				if !last && sub.pos == seg.end {
					break
				}
				if sub.pos >= len(sub.data) {
					errs[i] = sub.fail("unexpected end of input in an array")
					return
				}
				if last && sub.data[sub.pos] == ']' {
					sub.pos++
					break
				}
				if sub.data[sub.pos] != ',' {
					errs[i] = sub.fail("expected ',' or ']'")
					return
				}
				sub.pos++
			}
			ends[i] = sub
		}()
	}
	wg.Wait()
	n := 0
	for i := range parts {
		if errs[i] != nil {
			// A guessed cut may be wrong, or the array malformed: the
			// caller outlines it sequentially, and reports any error.
			return nil, false, nil
		}
		n += len(parts[i])
	}
	out := make([]Element, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	last := ends[len(ends)-1]
	s.pos, s.line, s.lineStart = last.pos, last.line, last.lineStart
	return out, true, nil
}

// guessSplit cuts the array at s.pos into about n segments without reading
// all of it: when its first element is an object that starts a line, as
// in indented JSON, the object elements that follow end with a closing
// brace that starts a line at the same indentation, followed by a comma
// (after white space). It looks for that
// near each cut point. The last segment's end is not known (the segment
// runs to the array's closing bracket). A wrong guess makes a segment
// fail to validate (a segment that validates as whole values separated by
// commas, from a true boundary, ends at one), and the caller then falls
// back to a full scan.
func (s *skimmer) guessSplit(n int) ([]segment, bool) {
	data := s.data
	p := s.pos + 1
	for p < len(data) && (data[p] == ' ' || data[p] == '\t' || data[p] == '\r' || data[p] == '\n') {
		p++
	}
	if p >= len(data) || data[p] != '{' {
		return nil, false
	}
	ls := bytes.LastIndexByte(data[:p], '\n')
	if ls < s.pos {
		return nil, false // the element does not start a line
	}
	indent := data[ls+1 : p]
	for _, c := range indent {
		if c != ' ' && c != '\t' {
			return nil, false
		}
	}
	pattern := make([]byte, 0, len(indent)+2)
	pattern = append(append(append(pattern, '\n'), indent...), '}')
	size := len(data) - p
	segs := []segment{{start: s.pos + 1, line: s.line, lineStart: s.lineStart}}
	line, counted := s.line, s.pos
	for k := 1; k < n; k++ {
		from := max(p+k*size/n, segs[len(segs)-1].start)
		comma := -1
		for from < len(data) {
			i := bytes.Index(data[from:], pattern)
			if i < 0 {
				break
			}
			// The brace, then white space and a comma.
			j := from + i + len(pattern)
			for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
				j++
			}
			if j < len(data) && data[j] == ',' {
				comma = j
				break
			}
			from = j
		}
		if comma < 0 {
			break
		}
		segs[len(segs)-1].end = comma
		line += bytes.Count(data[counted:comma+1], []byte{'\n'})
		counted = comma + 1
		segs = append(segs, segment{start: comma + 1, line: line, lineStart: bytes.LastIndexByte(data[:comma+1], '\n') + 1})
	}
	segs[len(segs)-1].end = len(data) // at most
	return segs, len(segs) >= 2
}

// value validates the value at s.pos, at depth (its container's).
func (s *skimmer) value(depth int) error {
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.members(depth+1, nil)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("expected a JSON value")
}

func (s *skimmer) literal(word string) error {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return s.fail("invalid literal")
	}
	s.pos += len(word)
	return nil
}

func (s *skimmer) array(depth int) error {
	if depth > MaxDepth {
		return s.fail("nesting too deep")
	}
	s.pos++
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		s.space()
		if err := s.value(depth); err != nil {
			return err
		}
		s.space()
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input in an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}

// str validates the string at s.pos (on its opening quote) as the
// decoder's str does: no control characters, valid escapes (an invalid
// surrogate pair is accepted and replaced by the decoder).
func (s *skimmer) str() error {
	s.pos++
	for s.pos < len(s.data) {
		s.pos = plainString(s.data, s.pos)
		if s.pos >= len(s.data) {
			break
		}
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return nil
		case c < 0x20:
			return s.fail("control character in a string")
		case c == '\\':
			s.pos++
			if s.pos >= len(s.data) {
				return s.fail("unexpected end of input in a string escape")
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				s.pos++
				if len(s.data)-s.pos < 4 || !isHex(s.data[s.pos]) || !isHex(s.data[s.pos+1]) || !isHex(s.data[s.pos+2]) || !isHex(s.data[s.pos+3]) {
					return s.fail("invalid \\u escape")
				}
				s.pos += 4
			default:
				return s.fail("invalid escape character")
			}
		default:
			s.pos++
		}
	}
	return s.fail("unexpected end of input in a string")
}

// SWAR constants: the byte 0x01 and 0x80 in every lane.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// plainString returns the index of the first byte at or after i that ends
// a run of plain string bytes: a quote, a backslash or a control
// character; len(data) when there is none. It tests eight bytes at a time.
func plainString(data []byte, i int) int {
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		// A lane is flagged below 0x20 or equal to '"' or '\\' (a zero
		// lane after XOR); borrows may flag lanes above a flagged one, so
		// the bytes of a flagged word are looked at one by one.
		q, b := x^('"'*lanes01), x^('\\'*lanes01)
		bad := ((x - 0x20*lanes01) &^ x) | ((q - lanes01) &^ q) | ((b - lanes01) &^ b)
		if bad&lanes80 == 0 {
			continue
		}
		break
	}
	for ; i < len(data); i++ {
		if c := data[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (s *skimmer) number() error {
	start := s.pos
	if s.data[s.pos] == '-' {
		s.pos++
	}
	digits := func() int {
		n := 0
		for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return s.fail("invalid number")
	}
	simple := true
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		simple = false
		if digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		simple = false
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return s.fail("invalid number")
		}
	}
	// Only a long mantissa or an exponent can overflow a float64.
	if !simple || s.pos-start > 15 {
		if _, ok := smallInt(s.data[start:s.pos]); !ok {
			f, err := strconv.ParseFloat(string(s.data[start:s.pos]), 64)
			if err != nil || math.IsInf(f, 0) {
				s.pos = start
				return s.fail("number out of range")
			}
		}
	}
	return nil
}

// decodeString decodes a validated string token (quotes included) as the
// decoder does.
func decodeString(tok []byte) (string, error) {
	body := tok[1 : len(tok)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(toValidUTF8(body)), nil
	}
	d := decoder{data: tok} // with an escape, str never interns
	return d.str()
}

// String decodes the string value at sp, as Decode would; it fails when
// the value is not a string.
func String(data []byte, sp Span) (string, bool) {
	if sp.Start >= len(data) || data[sp.Start] != '"' || sp.End > len(data) {
		return "", false
	}
	s, err := decodeString(data[sp.Start:sp.End])
	return s, err == nil
}

// A Decoder decodes parts of one document, located by Skim, with the
// document's line numbers. Decoding several parts with one Decoder shares
// its interned strings and its Index; a Decoder is not safe for concurrent
// use.
type Decoder struct {
	d decoder
}

// NewDecoder returns a Decoder of parts of data whose positions go to a
// new Index.
func NewDecoder(data []byte) *Decoder {
	dec := &Decoder{d: decoder{data: data, idx: &Index{}, tab: newTable(16), parallelMin: math.MaxInt}}
	dec.d.idx.tables = append(dec.d.idx.tables, dec.d.tab)
	return dec
}

// Reset starts a new Index for the parts decoded next, keeping the
// interned strings. The previous Index stays valid.
func (dec *Decoder) Reset() {
	dec.d.idx = &Index{}
	dec.d.tab = newTable(16)
	dec.d.idx.tables = append(dec.d.idx.tables, dec.d.tab)
}

// Index returns the index of the positions of the parts decoded since the
// Decoder was made or last Reset.
func (dec *Decoder) Index() *Index { return dec.d.idx }

// Decode decodes the value at sp.
func (dec *Decoder) Decode(sp Span) (any, error) {
	d := &dec.d
	d.pos, d.line, d.lineStart = sp.Start, sp.Line, sp.LineStart
	saved := d.data
	d.data = d.data[:sp.End]
	defer func() { d.data = saved }()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != sp.End {
		return nil, d.errorf("unexpected %s after the value", d.describe())
	}
	return v, nil
}
