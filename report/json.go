package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
)

// writeJSON writes the contract's JSON report, indented by two spaces, as
// json.MarshalIndent would, but encodes the results one at a time so that
// no second copy of a large report is built in memory. Nil lists are
// written as [].
func writeJSON(w *bufio.Writer, r *Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("  ", "  ")
	field := func(first bool, name string, v any) error {
		if !first {
			w.WriteString(",")
		}
		w.WriteString("\n  \"" + name + "\": ")
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	w.WriteString("{")
	schema := r.SchemaVersion
	if schema == 0 {
		schema = SchemaVersion
	}
	if err := field(true, "schemaVersion", schema); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{"tool", r.Tool}, {"benchmark", r.Benchmark}, {"startedAt", r.StartedAt},
		{"finishedAt", r.FinishedAt}, {"targets", orEmpty(r.Targets)}, {"resources", orEmpty(r.Resources)},
	} {
		if err := field(false, f.name, f.v); err != nil {
			return err
		}
	}
	// The results, one by one.
	w.WriteString(",\n  \"results\": [")
	enc.SetIndent("    ", "  ")
	for i := range r.Results {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n    ")
		buf.Reset()
		if err := enc.Encode(&r.Results[i]); err != nil {
			return err
		}
		if _, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))); err != nil {
			return err
		}
	}
	if len(r.Results) > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("]")
	enc.SetIndent("  ", "  ")
	for _, f := range []struct {
		name string
		v    any
	}{
		{"controls", orEmpty(r.Controls)}, {"errors", orEmpty(r.Errors)}, {"summary", r.Summary},
	} {
		if err := field(false, f.name, f.v); err != nil {
			return err
		}
	}
	_, err := w.WriteString("\n}\n")
	return err
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
