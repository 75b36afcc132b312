package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// writeJSON writes the contract's JSON report, indented by two spaces, as
// json.MarshalIndent would, but encodes the resources and results one at a
// time, without reflection, so that no second copy of a large report is
// built in memory. Nil lists are written as [].
func writeJSON(w *bufio.Writer, r *Report) error {
	if err := writeJSONHead(w, r, true); err != nil {
		return err
	}
	for i := range r.Results {
		b := w.AvailableBuffer()
		b = append(b, ResultSeparator(i)...)
		b, err := AppendResultJSON(b, &r.Results[i])
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if len(r.Results) > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("]")
	if err := writeJSONTail(w, r); err != nil {
		return err
	}
	_, err := w.WriteString("\n}\n")
	return err
}

// jsonField writes one member of the report object, indented as
// json.MarshalIndent with indent "  " writes it.
func jsonField(w *bufio.Writer, first bool, name string, v any) error {
	if !first {
		w.WriteString(",")
	}
	w.WriteString("\n  \"" + name + "\": ")
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writeJSONHead writes the report object up to the opening of the results
// array, finishedAt included when withFinish is set.
func writeJSONHead(w *bufio.Writer, r *Report, withFinish bool) error {
	w.WriteString("{")
	schema := r.SchemaVersion
	if schema == 0 {
		schema = SchemaVersion
	}
	if err := jsonField(w, true, "schemaVersion", schema); err != nil {
		return err
	}
	fields := []struct {
		name string
		v    any
	}{{"tool", r.Tool}, {"benchmark", r.Benchmark}, {"startedAt", r.StartedAt}}
	if withFinish {
		fields = append(fields, struct {
			name string
			v    any
		}{"finishedAt", r.FinishedAt})
	}
	fields = append(fields, struct {
		name string
		v    any
	}{"targets", orEmpty(r.Targets)})
	for _, f := range fields {
		if err := jsonField(w, false, f.name, f.v); err != nil {
			return err
		}
	}
	w.WriteString(",\n  \"resources\": [")
	for i := range r.Resources {
		b := w.AvailableBuffer()
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = appendResourceJSON(b, &r.Resources[i])
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if len(r.Resources) > 0 {
		w.WriteString("\n  ")
	}
	_, err := w.WriteString("],\n  \"results\": [")
	return err
}

// writeJSONTail writes the members after the results array; notes only
// when there are any.
func writeJSONTail(w *bufio.Writer, r *Report) error {
	if err := jsonField(w, false, "controls", orEmpty(r.Controls)); err != nil {
		return err
	}
	if err := jsonField(w, false, "errors", orEmpty(r.Errors)); err != nil {
		return err
	}
	if len(r.Notes) > 0 {
		if err := jsonField(w, false, "notes", r.Notes); err != nil {
			return err
		}
	}
	return jsonField(w, false, "summary", r.Summary)
}

// JSONStream writes the JSON report while the results are still being
// obtained, so that a scan need not hold them: Begin writes the report up to
// the results array, Results appends results already encoded with
// AppendResultJSON, and End writes the rest. The bytes are those Write
// writes for the same report, except that "finishedAt", known only once the
// last result is written, comes last instead of after "startedAt".
type JSONStream struct {
	w *bufio.Writer
	n int
}

// BeginJSON writes r's header (schemaVersion, tool, benchmark, startedAt,
// targets and resources) and opens the results array.
func BeginJSON(w io.Writer, r *Report) (*JSONStream, error) {
	s := &JSONStream{w: bufio.NewWriterSize(w, 256<<10)}
	head := *r
	head.Results, head.Controls, head.Errors = nil, nil, nil
	if err := writeJSONHead(s.w, &head, false); err != nil {
		return nil, err
	}
	return s, nil
}

// ResultSeparator returns what goes before the i-th result (from 0) of the
// results array: a newline and the indentation, after a comma for all but
// the first.
func ResultSeparator(i int) string {
	if i == 0 {
		return "\n    "
	}
	return ",\n    "
}

// Results writes n results, encoded each after its ResultSeparator by
// AppendResultJSON, in order.
func (s *JSONStream) Results(encoded []byte, n int) error {
	s.n += n
	_, err := s.w.Write(encoded)
	return err
}

// End closes the results array and writes r's controls, errors and summary,
// then finishedAt, and flushes.
func (s *JSONStream) End(r *Report) error {
	if s.n > 0 {
		s.w.WriteString("\n  ")
	}
	s.w.WriteString("]")
	if err := writeJSONTail(s.w, r); err != nil {
		return err
	}
	s.w.WriteString(",\n  \"finishedAt\": ")
	b, err := json.Marshal(r.FinishedAt)
	if err != nil {
		return err
	}
	s.w.Write(b)
	s.w.WriteString("\n}\n")
	return s.w.Flush()
}

// The indentation of a result's members inside the report's results array.
const (
	memberIndent = "\n      "   // a result's members
	nestedIndent = "\n        " // members of a result's objects
	closeNested  = "\n      }"
	closeResult  = "\n    }"
)

// appendResourceJSON appends one entry of the report's resources list as
// json.MarshalIndent with prefix "    " and indent "  " writes it.
func appendResourceJSON(b []byte, r *Resource) []byte {
	b = append(b, '{')
	b = appendMember(b, memberIndent, "id", r.ID)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "type", r.Type)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "name", r.Name)
	if r.Origin != nil {
		b = append(b, ","+memberIndent+`"origin": {`...)
		b = appendMember(b, nestedIndent, "file", r.Origin.File)
		if r.Origin.Line != 0 {
			b = append(b, ","+nestedIndent+`"line": `...)
			b = strconv.AppendInt(b, int64(r.Origin.Line), 10)
		}
		b = append(b, closeNested...)
	}
	return append(b, closeResult...)
}

// AppendResultJSON appends r to b exactly as the JSON report writes it
// inside its results array: the bytes a json.Encoder with indent prefix
// "    " and indent "  " writes, without the trailing newline. It encodes
// without reflection; evidence values other than strings, numbers, booleans
// and null go through encoding/json.
func AppendResultJSON(b []byte, r *Result) ([]byte, error) {
	b = appendRulePart(b, r)
	b = appendResourcePart(b, r)
	b = appendStatusPart(b, r)
	b = appendMessagePart(b, r.Message)
	b, err := appendEvidencePart(b, r.Evidence)
	if err != nil {
		return b, err
	}
	if l := r.Location; l != nil {
		b = appendLocationFile(b, l.File)
		b = appendLocationLines(b, l)
	}
	if m := r.Remediation; m != nil {
		b = appendRemediationPart(b, m)
	}
	return append(b, closeResult...), nil
}

// The parts of an encoded result, in order. A ResultEncoder reuses the
// bytes of the parts that results share.

// appendRulePart appends the opening brace and the members that come
// from the rule: ruleId to policyDefinitionId.
func appendRulePart(b []byte, r *Result) []byte {
	b = append(b, '{')
	b = appendMember(b, memberIndent, "ruleId", r.RuleID)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "controlId", r.ControlID)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "feature", r.Feature)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "title", r.Title)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "severity", string(r.Severity))
	if r.PolicyDefinitionID != "" {
		b = append(b, ',')
		b = appendMember(b, memberIndent, "policyDefinitionId", r.PolicyDefinitionID)
	}
	return b
}

// appendResourcePart appends resourceId, resourceType and resourceName.
func appendResourcePart(b []byte, r *Result) []byte {
	b = append(b, ',')
	b = appendMember(b, memberIndent, "resourceId", r.ResourceID)
	b = append(b, ',')
	b = appendMember(b, memberIndent, "resourceType", r.ResourceType)
	b = append(b, ',')
	return appendMember(b, memberIndent, "resourceName", r.ResourceName)
}

// appendStatusPart appends status and effect.
func appendStatusPart(b []byte, r *Result) []byte {
	b = append(b, ',')
	b = appendMember(b, memberIndent, "status", string(r.Status))
	if r.Effect != "" {
		b = append(b, ',')
		b = appendMember(b, memberIndent, "effect", r.Effect)
	}
	return b
}

func appendMessagePart(b []byte, msg string) []byte {
	b = append(b, ',')
	return appendMember(b, memberIndent, "message", msg)
}

// appendEvidencePart appends the evidence object, keys sorted, when there
// is evidence.
func appendEvidencePart(b []byte, ev map[string]any) ([]byte, error) {
	if len(ev) == 0 {
		return b, nil
	}
	b = append(b, ","+memberIndent+`"evidence": {`...)
	// The members taken in one pass over the map, then sorted by key.
	type member struct {
		k string
		v any
	}
	var buf [8]member
	members := buf[:0]
	for k, v := range ev {
		members = append(members, member{k, v})
	}
	if len(members) > 1 {
		slices.SortFunc(members, func(x, y member) int { return strings.Compare(x.k, y.k) })
	}
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, nestedIndent...)
		b = appendJSONString(b, m.k)
		b = append(b, ": "...)
		var err error
		if b, err = appendEvidenceValue(b, m.v); err != nil {
			return b, err
		}
	}
	return append(b, closeNested...), nil
}

// appendLocationFile opens the location object with its file.
func appendLocationFile(b []byte, file string) []byte {
	b = append(b, ","+memberIndent+`"location": {`...)
	return appendMember(b, nestedIndent, "file", file)
}

// appendLocationLines appends the location's lines and closes it.
func appendLocationLines(b []byte, l *Location) []byte {
	if l.StartLine != 0 {
		b = append(b, ","+nestedIndent+`"startLine": `...)
		b = strconv.AppendInt(b, int64(l.StartLine), 10)
	}
	if l.EndLine != 0 {
		b = append(b, ","+nestedIndent+`"endLine": `...)
		b = strconv.AppendInt(b, int64(l.EndLine), 10)
	}
	return append(b, closeNested...)
}

func appendRemediationPart(b []byte, m *Remediation) []byte {
	b = append(b, ","+memberIndent+`"remediation": {`...)
	n := 0
	for _, f := range [...]struct{ name, v string }{
		{"summary", m.Summary}, {"azureCli", m.AzureCLI}, {"terraform", m.Terraform}, {"bicep", m.Bicep}, {"sql", m.SQL},
	} {
		if f.v == "" {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendMember(b, nestedIndent, f.name, f.v)
	}
	if n == 0 {
		return append(b, '}')
	}
	return append(b, closeNested...)
}

// A ResultEncoder appends results exactly as AppendResultJSON does, faster
// for a report's runs of results that share a rule or a resource: the
// encoded members that come from the rule (ids, title, severity, its
// compliant message, remediation) and from the resource are kept and
// copied. A cached part is used only when the result's strings equal the
// cached ones (cheap when they are the same strings, as the scan engine
// gives them). It is not safe for concurrent use.
type ResultEncoder struct {
	rules        map[string]*encodedRule
	remediations map[*Remediation]*encodedRemediation
	resource     [3]string // id, type, name of res
	res          []byte
	file         string
	fileEnc      []byte
}

// encodedRemediation is a remediation as it was encoded.
type encodedRemediation struct {
	was Remediation
	enc []byte
}

// encodedRule holds the encoded parts of one rule's results.
type encodedRule struct {
	key  [6]string // ruleId, controlId, feature, title, severity, policyDefinitionId
	head []byte
	// verdicts are the last two (status, effect, message) encoded, since
	// a fleet's servers often alternate between two verdicts of a rule;
	// next is the one to replace.
	verdicts [2]encodedVerdict
	next     int
}

// encodedVerdict is a result's status, effect and message, encoded.
type encodedVerdict struct {
	key [3]string // status, effect, message
	enc []byte
}

// Append appends r to b as AppendResultJSON does.
func (e *ResultEncoder) Append(b []byte, r *Result) ([]byte, error) {
	if e.rules == nil {
		e.rules = map[string]*encodedRule{}
		e.remediations = map[*Remediation]*encodedRemediation{}
	}
	key := [6]string{r.RuleID, r.ControlID, r.Feature, r.Title, string(r.Severity), r.PolicyDefinitionID}
	rule := e.rules[r.RuleID]
	if rule == nil || rule.key != key {
		rule = &encodedRule{key: key, head: appendRulePart(nil, r)}
		if len(e.rules) < 4096 {
			e.rules[r.RuleID] = rule
		}
	}
	b = append(b, rule.head...)
	if e.res == nil || e.resource != [3]string{r.ResourceID, r.ResourceType, r.ResourceName} {
		e.resource = [3]string{r.ResourceID, r.ResourceType, r.ResourceName}
		e.res = appendResourcePart(e.res[:0], r)
	}
	b = append(b, e.res...)
	vk := [3]string{string(r.Status), r.Effect, r.Message}
	var verdict *encodedVerdict
	for i := range rule.verdicts {
		if v := &rule.verdicts[i]; v.enc != nil && v.key == vk {
			verdict = v
			break
		}
	}
	if verdict == nil {
		verdict = &rule.verdicts[rule.next]
		rule.next = (rule.next + 1) % len(rule.verdicts)
		verdict.key = vk
		verdict.enc = appendMessagePart(appendStatusPart(verdict.enc[:0], r), r.Message)
	}
	b = append(b, verdict.enc...)
	b, err := appendEvidencePart(b, r.Evidence)
	if err != nil {
		return b, err
	}
	if l := r.Location; l != nil {
		if e.fileEnc == nil || e.file != l.File {
			e.file = l.File
			e.fileEnc = appendLocationFile(e.fileEnc[:0], l.File)
		}
		b = append(b, e.fileEnc...)
		b = appendLocationLines(b, l)
	}
	if m := r.Remediation; m != nil {
		enc := e.remediations[m]
		if enc == nil || enc.was != *m {
			enc = &encodedRemediation{was: *m, enc: appendRemediationPart(nil, m)}
			if len(e.remediations) < 4096 {
				e.remediations[m] = enc
			}
		}
		b = append(b, enc.enc...)
	}
	return append(b, closeResult...), nil
}

// appendMember appends indent, then "name": "value".
func appendMember(b []byte, indent, name, value string) []byte {
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `": `...)
	return appendJSONString(b, value)
}

// appendEvidenceValue appends one evidence value at the depth of the
// evidence object's members.
func appendEvidenceValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendJSONFloat(b, x), nil
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, data, strings.TrimPrefix(nestedIndent, "\n"), "  "); err != nil {
		return b, err
	}
	return append(b, out.Bytes()...), nil
}

// appendJSONFloat formats f as encoding/json does (ES6 number formatting).
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// SWAR constants: the byte 0x01 and 0x80 in every lane.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// plainRun returns the index of the first byte of s at or after i that
// appendJSONString must look at (a control character, '"', '\\', '<',
// '>', '&' or a non-ASCII byte), or len(s). It tests eight bytes at a time.
func plainRun(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A lane is flagged when it is below 0x20, has its high bit set,
		// or equals one of the five special bytes (a zero lane after
		// XOR). Borrows may flag lanes above a flagged one too: the bytes
		// of a flagged word are looked at one by one.
		bad := (x - 0x20*lanes01) | x
		for _, v := range [...]uint64{'"' * lanes01, '\\' * lanes01, '<' * lanes01, '>' * lanes01, '&' * lanes01} {
			y := x ^ v
			bad |= (y - lanes01) &^ y
		}
		if bad&lanes80 == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if special(s[j]) {
				return j
			}
		}
	}
	for ; i < len(s); i++ {
		if special(s[i]) {
			return i
		}
	}
	return i
}

// special reports whether appendJSONString must look at the byte c.
func special(c byte) bool {
	return c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&'
}

// appendJSONString appends s quoted as encoding/json quotes it, with HTML
// escaping: control characters, quote and backslash escaped, <, > and &
// as \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, and invalid
// UTF-8 replaced by \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = plainRun(s, i); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// orEmpty turns a nil slice into an empty one, so that it encodes as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// jsonMarshalNoEscape encodes v compactly without HTML escaping (for text
// that the caller escapes for its own output).
func jsonMarshalNoEscape(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
