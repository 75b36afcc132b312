package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{"a": 1, "b": [true, false, null, "x\u00e9\n\"y\"", 1.5e3, -0.25], "c": {}}`,
		`[]`, `"\ud83d\ude00"`, `0`, "\ufeff{\"bom\": 1}",
	}
	for _, d := range docs {
		got, _, err := Decode([]byte(d))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		var want any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(d, "\ufeff")), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v want %#v", d, got, want)
		}
	}
}

func TestLines(t *testing.T) {
	doc := "{\n  \"a\": {\n    \"b\": 1,\n\n    \"c\": [ {\"d\": 2} ]\n  }\n}"
	v, idx, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	root := v.(map[string]any)
	a := root["a"].(map[string]any)
	if o := idx.Lookup(root); o.Line != 1 || o.Keys["a"] != 2 {
		t.Errorf("root %+v", o)
	}
	if o := idx.Lookup(a); o.Line != 2 || o.Keys["b"] != 3 || o.Keys["c"] != 5 {
		t.Errorf("a %+v", o)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		doc, msg  string
		line, col int
	}{
		{"{\n  \"a\": tru\n}", "invalid literal", 2, 8},
		{"[1,\n2,", "unexpected end of input", 2, 3},
		{"{\"a\" 1}", "expected ':'", 1, 6},
		{"[01]", "expected ',' or ']'", 1, 3},
		{"\"a\tb\"", "control character", 1, 3},
		{strings.Repeat("[", MaxDepth+1), "nesting deeper than", 1, MaxDepth + 1},
	}
	for _, tc := range tests {
		_, _, err := Decode([]byte(tc.doc))
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, tc.msg) || se.Line != tc.line || se.Column != tc.col {
			t.Errorf("%q: got %v, want %q at %d:%d", tc.doc, err, tc.msg, tc.line, tc.col)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"x\u0041"`, `[1e5,-0.1]`, `{"a":"\ud800"}`} {
		f.Add([]byte(s))
	}
	// Latin-1, a UTF-8 byte order mark, UTF-16 with and without one.
	f.Add(latin1)
	f.Add([]byte("\xef\xbb\xbf{\"a\": [\"caf\u00e9\"]}"))
	f.Add([]byte{0xFF, 0xFE, '[', 0, '1', 0, ']', 0})
	f.Add([]byte{'[', 0, ']', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _, err := Decode(data)
		var want any
		// A UTF-8 byte order mark is accepted, as Azure accepts it;
		// encoding/json does not.
		stdErr := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &want)
		if (err == nil) != (stdErr == nil) && !strings.Contains(errString(err), "nesting") {
			// encoding/json rejects invalid UTF-8 surrogates differently; only
			// compare acceptance for valid UTF-8 documents.
			if err == nil && stdErr != nil && !json.Valid(data) && strings.ContainsRune(string(data), '\ufffd') {
				return
			}
			t.Fatalf("acceptance differs: ours %v, encoding/json %v", err, stdErr)
		}
		if err == nil && stdErr == nil && !reflect.DeepEqual(v, want) {
			t.Fatalf("value differs: %#v vs %#v", v, want)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
