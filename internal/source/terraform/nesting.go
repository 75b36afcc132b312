package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/internal/source"
)

// MaxNesting is the deepest nesting an HCL file, a --var value or a
// jsondecode argument may have: brackets, braces, parentheses, blocks,
// template interpolations and directives, and chains of operators in one
// expression (each operator is one level of the parsed expression). HCL's
// parser and evaluator recurse once per level: without a bound, 60,000
// nested brackets (120 KB) overflowed the stack and killed the process.
const MaxNesting = 500

// nestingError is the error for a file nested deeper than MaxNesting at a
// line: the file is not parsed.
func nestingError(file string, line int) *source.Error {
	return &source.Error{File: file, Line: line, Msg: fmt.Sprintf("nesting deeper than %d levels; the file is not read", MaxNesting)}
}

// checkNesting returns the error for HCL source (native syntax, or JSON
// when the file name ends in .json) nested deeper than MaxNesting, or nil.
func checkNesting(file string, src []byte) *source.Error {
	var line int
	if strings.HasSuffix(file, ".json") {
		line = jsonNestingLine(src, MaxNesting)
	} else {
		line = nestingLine(src, MaxNesting)
	}
	if line > 0 {
		return nestingError(file, line)
	}
	return nil
}

// Scanner modes: a frame of the scanner's stack is an expression (inside a
// bracket, brace or parenthesis, or a template interpolation) or a
// template (a quoted string or a heredoc).
const (
	frameExpr = iota
	frameInterp
	frameString
	frameHeredoc
)

type nestFrame struct {
	kind   int
	open   byte   // '(', '[' or '{' for frameExpr
	marker []byte // heredoc end marker
	// ops counts the operators (and template directives) pending in the
	// frame's current expression: each nests the parsed expression one
	// level deeper.
	ops int
}

// nestingLine returns the line at which HCL native syntax src (a
// configuration file when template is false) nests deeper than max
// levels, or 0 when it does not. It is a byte scan that follows the HCL
// scanner's modes (comments, quoted strings, heredocs and their
// interpolations) and counts each open bracket, interpolation and pending
// operator as a level; it never recurses and allocates one frame per
// level, so that it is safe on any input. Unbalanced input may be counted
// deeper than it is, never shallower.
func nestingLine(src []byte, max int) int { return scanNesting(src, max, false) }

// templateNestingLine is nestingLine for a template (the text of a
// quoted string, without its quotes, or of a JSON string).
func templateNestingLine(src []byte, max int) int { return scanNesting(src, max, true) }

func scanNesting(src []byte, max int, template bool) int {
	stack := []nestFrame{{kind: frameExpr, open: '{'}} // the body
	depth := 0                                         // levels beyond the body: frames and pending operators
	if template {
		// A heredoc without an end: quoted strings' template rules, with
		// no escapes left to undo.
		stack = append(stack, nestFrame{kind: frameHeredoc})
	}
	line := 1
	push := func(f nestFrame) bool {
		stack = append(stack, f)
		depth++
		return depth <= max
	}
	pop := func() {
		top := &stack[len(stack)-1]
		depth -= 1 + top.ops
		stack = stack[:len(stack)-1]
	}
	op := func() bool {
		stack[len(stack)-1].ops++
		depth++
		return depth <= max
	}
	endExpr := func() {
		top := &stack[len(stack)-1]
		depth -= top.ops
		top.ops = 0
	}
	isIdentStart := func(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }
	isIdent := func(c byte) bool { return isIdentStart(c) || c == '-' || c >= '0' && c <= '9' }
	// atLineStart is set at the start of each line, for heredoc ends.
	atLineStart := true
	for i := 0; i < len(src); {
		c := src[i]
		top := &stack[len(stack)-1]
		if top.kind == frameString || top.kind == frameHeredoc {
			if top.kind == frameHeredoc && atLineStart && top.marker != nil {
				j := i
				for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				if bytes.HasPrefix(src[j:], top.marker) {
					k := j + len(top.marker)
					if k == len(src) || src[k] == '\n' || src[k] == '\r' {
						pop()
						i = k
						atLineStart = false
						continue
					}
				}
			}
			atLineStart = false
			switch {
			case c == '\n':
				line++
				atLineStart = true
				i++
			case c == '\\' && top.kind == frameString:
				if i+1 < len(src) && src[i+1] != '\n' {
					i += 2
				} else {
					i++
				}
			case c == '"' && top.kind == frameString:
				pop()
				i++
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 3 // $${ and %%{ are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if c == '%' {
					// A directive: if and for open a level until their
					// endif or endfor.
					j := i + 2
					for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '~') {
						j++
					}
					k := j
					for k < len(src) && isIdent(src[k]) {
						k++
					}
					switch string(src[j:k]) {
					case "if", "for":
						if !op() {
							return line
						}
					case "endif", "endfor":
						if top.ops > 0 {
							top.ops--
							depth--
						}
					}
				}
				if !push(nestFrame{kind: frameInterp}) {
					return line
				}
				i += 2
			default:
				i++
			}
			continue
		}
		atLineStart = false
		switch {
		case c == '\n':
			line++
			atLineStart = true
			if top.kind == frameExpr && top.open == '{' {
				endExpr() // an attribute or object element ends
			}
			i++
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i += 2
			for i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/') {
				if src[i] == '\n' {
					line++
				}
				i++
			}
			i += 2
		case c == '"':
			if !push(nestFrame{kind: frameString}) {
				return line
			}
			i++
		case c == '<' && i+1 < len(src) && src[i+1] == '<':
			j := i + 2
			if j < len(src) && src[j] == '-' {
				j++
			}
			k := j
			for k < len(src) && isIdent(src[k]) {
				k++
			}
			if k > j && k < len(src) && (src[k] == '\n' || src[k] == '\r' && k+1 < len(src) && src[k+1] == '\n') {
				if !push(nestFrame{kind: frameHeredoc, marker: src[j:k]}) {
					return line
				}
				if src[k] == '\r' {
					k++
				}
				line++
				atLineStart = true
				i = k + 1
				continue
			}
			if !op() {
				return line
			}
			i += 2
		case c == '(' || c == '[' || c == '{':
			if !push(nestFrame{kind: frameExpr, open: c}) {
				return line
			}
			i++
		case c == ')' || c == ']' || c == '}':
			want := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
			switch {
			case len(stack) == 1:
			case top.kind == frameExpr && top.open == want:
				pop()
			case top.kind == frameInterp && c == '}':
				pop()
			}
			// A closer that matches nothing is passed over: the input is
			// then counted deeper than it is, never shallower.
			i++
		case c == ',':
			endExpr()
			i++
		case c == '=' && i+1 < len(src) && src[i+1] == '>':
			endExpr()
			i += 2
		case c == '=' && i+1 < len(src) && src[i+1] == '=', c == '!' && i+1 < len(src) && src[i+1] == '=',
			c == '<' && i+1 < len(src) && src[i+1] == '=', c == '>' && i+1 < len(src) && src[i+1] == '=',
			c == '&' && i+1 < len(src) && src[i+1] == '&', c == '|' && i+1 < len(src) && src[i+1] == '|':
			if !op() {
				return line
			}
			i += 2
		case c == '=':
			endExpr() // an attribute's or object element's value begins
			i++
		case c == '+' || c == '-' || c == '*' || c == '/' || c == '%' || c == '!' || c == '<' || c == '>' || c == '?':
			if !op() {
				return line
			}
			i++
		case isIdentStart(c):
			for i < len(src) && isIdent(src[i]) {
				i++
			}
		case c >= '0' && c <= '9':
			for i < len(src) && (src[i] >= '0' && src[i] <= '9' || src[i] == '.') {
				i++
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
				i++
				if i < len(src) && (src[i] == '+' || src[i] == '-') {
					i++
				}
			}
		default:
			i++
		}
	}
	return 0
}

// jsonNestingLine returns the line at which a JSON document (a
// .tfvars.json file) nests deeper than max levels, or 0. Its strings are
// HCL templates when they are evaluated: their interpolations count too.
func jsonNestingLine(src []byte, max int) int {
	depth, line := 0, 1
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line++
		case '[', '{':
			depth++
			if depth > max {
				return line
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '"':
			start := i
			i++
			for i < len(src) && src[i] != '"' {
				if src[i] == '\\' {
					i++
				} else if src[i] == '\n' {
					line++
				}
				i++
			}
			if i >= len(src) {
				return 0 // the parser reports the unterminated string
			}
			raw := src[start : i+1]
			if !bytes.Contains(raw, []byte("{")) {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			if max-depth < 1 || templateNestingLine([]byte(s), max-depth) > 0 {
				return line
			}
		}
	}
	return 0
}
