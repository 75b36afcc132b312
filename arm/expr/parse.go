// Package expr implements the ARM template expression language: the
// "[concat('a', parameters('b'))]" strings of deployment templates and of
// Azure Policy rules.
//
// Parsing and evaluation are separate. Parse turns an expression into a tree
// of Nodes once; Eval runs it against a Context many times. The function
// library is data: a Library maps case-insensitive names to Funcs, so that
// deployment templates and policy rules each add their own functions
// (parameters, variables, field, current, resourceId, ...) to one shared
// core.
//
// Accessors include Bicep's safe dereference as ARM evaluates it: x.?name
// and x[?index] give null when x is null or has no such member, and the
// rest of the chain then short-circuits to null.
//
// Values are the JSON values of encoding/json (string, bool, nil,
// map[string]any, []any) with numbers as int64 or float64.
package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// Node is a parsed expression.
type Node interface {
	// Eval evaluates the node.
	Eval(c *Context) (any, error)
	// String returns the node in expression syntax, without brackets.
	String() string
}

// Literal is a constant: a string, an int64, a bool or nil.
type Literal struct{ Value any }

// Call is a function call, such as concat('a', 'b').
type Call struct {
	Name string // as written; names compare case-insensitively
	Args []Node
	Pos  int // byte offset of the name in the expression
}

// Member is a property access: x.name.
type Member struct {
	Target Node
	Name   string
}

// Index is an index access: x[0] or x['name'].
type Index struct {
	Target Node
	Index  Node
}

// SafeMember is a safe property access, x.?name: null when x is null or
// has no property name. Chained marks a plain access (x.name) that follows
// a safe access in the same chain, as in a[?0].name: it gives null when x
// is null (the chain short-circuits), but a missing property is an error.
type SafeMember struct {
	Target  Node
	Name    string
	Chained bool
}

// SafeIndex is a safe index access, x[?i]: null when x is null, or i is
// out of the array's range or no property of the object. Chained marks a
// plain index access that follows a safe access in the same chain.
type SafeIndex struct {
	Target  Node
	Index   Node
	Chained bool
}

// SyntaxError is an error in the text of an expression.
type SyntaxError struct {
	Expr   string // the expression text
	Offset int    // byte offset of the error in Expr
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid expression at offset %d: %s", e.Offset, e.Msg)
}

// MaxDepth bounds the nesting of calls and accesses in one expression.
const MaxDepth = 128

// IsExpression reports whether a JSON string is an expression: it starts
// with '[' and ends with ']' and does not start with the "[[" escape.
func IsExpression(s string) bool {
	return len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' && s[1] != '['
}

// Unescape returns the literal value of a JSON string that is not an
// expression: a leading "[[" stands for "[".
func Unescape(s string) string {
	if strings.HasPrefix(s, "[[") {
		return s[1:]
	}
	return s
}

// ParseString parses a JSON string that may be an expression. For a plain
// string it returns a Literal of the unescaped value.
func ParseString(s string) (Node, error) {
	if !IsExpression(s) {
		return Literal{Unescape(s)}, nil
	}
	return Parse(s[1 : len(s)-1])
}

// Parse parses the text of an expression, without its brackets.
func Parse(src string) (Node, error) {
	p := parser{src: src}
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.errorf("empty expression")
	}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, p.errorf("unexpected %q after the expression", p.src[p.pos:])
	}
	return n, nil
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) space() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdent(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func (p *parser) expr(depth int) (Node, error) {
	if depth > MaxDepth {
		return nil, p.errorf("expression nested deeper than %d levels", MaxDepth)
	}
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of expression")
	}
	var n Node
	c := p.src[p.pos]
	switch {
	case c == '\'':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n = Literal{s}
	case c == '-' || (c >= '0' && c <= '9'):
		v, err := p.number()
		if err != nil {
			return nil, err
		}
		n = Literal{v}
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.src) && (isIdent(p.src[p.pos]) || (p.src[p.pos] == '.' && p.pos+1 < len(p.src) && isIdentStart(p.src[p.pos+1]) && p.namespaced())) {
			p.pos++
		}
		name := p.src[start:p.pos]
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == '(' {
			args, err := p.args(depth)
			if err != nil {
				return nil, err
			}
			n = &Call{Name: name, Args: args, Pos: start}
		} else {
			switch strings.ToLower(name) {
			case "true":
				n = Literal{true}
			case "false":
				n = Literal{false}
			case "null":
				n = Literal{nil}
			default:
				p.pos = start
				return nil, p.errorf("%q is not a function call; expected '(' after it", name)
			}
		}
	default:
		return nil, p.errorf("unexpected %q", string(c))
	}
	// Accessors. After a safe access (.?name or [?index]) the rest of the
	// chain short-circuits: it gives null when the safe access did.
	inSafe := false
	for {
		p.space()
		if p.pos >= len(p.src) {
			return n, nil
		}
		switch p.src[p.pos] {
		case '.':
			p.pos++
			p.space()
			safe := p.pos < len(p.src) && p.src[p.pos] == '?'
			if safe {
				p.pos++
				p.space()
			}
			start := p.pos
			for p.pos < len(p.src) && (isIdent(p.src[p.pos]) && (p.pos > start || isIdentStart(p.src[p.pos]))) {
				p.pos++
			}
			if start == p.pos {
				return nil, p.errorf("expected a property name after '.'")
			}
			name := p.src[start:p.pos]
			switch {
			case safe:
				n, inSafe = &SafeMember{Target: n, Name: name}, true
			case inSafe:
				n = &SafeMember{Target: n, Name: name, Chained: true}
			default:
				n = &Member{Target: n, Name: name}
			}
		case '[':
			p.pos++
			p.space()
			safe := p.pos < len(p.src) && p.src[p.pos] == '?'
			if safe {
				p.pos++
			}
			idx, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			p.space()
			if p.pos >= len(p.src) || p.src[p.pos] != ']' {
				return nil, p.errorf("expected ']'")
			}
			p.pos++
			switch {
			case safe:
				n, inSafe = &SafeIndex{Target: n, Index: idx}, true
			case inSafe:
				n = &SafeIndex{Target: n, Index: idx, Chained: true}
			default:
				n = &Index{Target: n, Index: idx}
			}
		default:
			return n, nil
		}
		depth++
		if depth > MaxDepth {
			return nil, p.errorf("expression nested deeper than %d levels", MaxDepth)
		}
	}
}

// namespaced reports whether the '.' at p.pos is inside a namespaced
// function name (ns.fn followed by '('), rather than a property access.
func (p *parser) namespaced() bool {
	i := p.pos + 1
	for i < len(p.src) && isIdent(p.src[i]) {
		i++
	}
	for i < len(p.src) && p.src[i] == ' ' {
		i++
	}
	if i >= len(p.src) || p.src[i] != '(' {
		return false
	}
	// Only a bare identifier before the dot can be a namespace.
	j := p.pos - 1
	for j >= 0 && isIdent(p.src[j]) {
		j--
	}
	return j < 0 || p.src[j] != '.'
}

func (p *parser) args(depth int) ([]Node, error) {
	p.pos++ // (
	var args []Node
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
		return args, nil
	}
	for {
		a, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.space()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unexpected end of expression: expected ',' or ')'")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return args, nil
		default:
			return nil, p.errorf("unexpected %q: expected ',' or ')'", string(p.src[p.pos]))
		}
	}
}

func (p *parser) str() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\'' {
			if p.pos+1 < len(p.src) && p.src[p.pos+1] == '\'' {
				b.WriteByte('\'')
				p.pos += 2
				continue
			}
			p.pos++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", p.errorf("unterminated string literal")
}

func (p *parser) number() (any, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits {
		return nil, p.errorf("invalid number")
	}
	isFloat := false
	if p.pos < len(p.src) && p.src[p.pos] == '.' && p.pos+1 < len(p.src) && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
		isFloat = true
		p.pos++
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
	}
	text := p.src[start:p.pos]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, &SyntaxError{Expr: p.src, Offset: start, Msg: "invalid number " + text}
		}
		return f, nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, &SyntaxError{Expr: p.src, Offset: start, Msg: "integer out of range: " + text}
	}
	return i, nil
}

// String implementations render nodes back to expression syntax.

func (l Literal) String() string {
	switch v := l.Value.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case nil:
		return "null()"
	case float64:
		t := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(t, ".") {
			t += ".0"
		}
		return t
	default:
		return fmt.Sprint(v)
	}
}

func (c *Call) String() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return c.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (m *Member) String() string { return m.Target.String() + "." + m.Name }

func (x *Index) String() string { return x.Target.String() + "[" + x.Index.String() + "]" }

func (m *SafeMember) String() string {
	if m.Chained {
		return m.Target.String() + "." + m.Name
	}
	return m.Target.String() + ".?" + m.Name
}

func (x *SafeIndex) String() string {
	if x.Chained {
		return x.Target.String() + "[" + x.Index.String() + "]"
	}
	return x.Target.String() + "[?" + x.Index.String() + "]"
}
