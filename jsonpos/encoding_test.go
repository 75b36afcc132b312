package jsonpos

import (
	"errors"
	"strings"
	"testing"
)

// latin1 is a document saved as Latin-1: "é" is the single byte 0xE9.
var latin1 = []byte("{\n  \"name\": \"caf\xe9\",\n  \"tags\": {\"owner\": \"Ren\xe9e\"}\n}")

func TestCheckUTF8(t *testing.T) {
	err := CheckUTF8(latin1)
	var ee *EncodingError
	if !errors.As(err, &ee) || ee.Line != 2 || ee.Column != 15 || ee.Byte != 0xE9 || ee.Offset != 16 {
		t.Fatalf("got %#v", err)
	}
	want := "not UTF-8 at line 2, column 15: byte 0xE9 is not valid UTF-8 (the file may be Latin-1 or Windows-1252)"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want it to start %q", err, want)
	}
	for _, ok := range []string{"", "{}", "\ufeff{\"a\": \"caf\u00e9 \U0001F600\"}"} {
		if err := CheckUTF8([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	// The document still decodes, with U+FFFD for the invalid bytes.
	v, _, err := Decode(latin1)
	if err != nil || v.(map[string]any)["name"] != "caf\ufffd" {
		t.Fatalf("Decode: %#v, %v", v, err)
	}
}

func TestUTF16IsSaid(t *testing.T) {
	for _, doc := range [][]byte{
		{0xFF, 0xFE, '{', 0, '}', 0},
		{0xFE, 0xFF, 0, '{', 0, '}'},
		{'{', 0, '}', 0},
	} {
		for name, err := range map[string]error{"Decode": func() error { _, _, err := Decode(doc); return err }(),
			"Skim": func() error { _, err := Skim(doc, nil); return err }()} {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != 1 || !strings.Contains(se.Msg, "the file is UTF-16, not UTF-8") {
				t.Errorf("%s(% x): %v", name, doc, err)
			}
		}
	}
}

func TestBOMIsAccepted(t *testing.T) {
	doc := []byte("\xef\xbb\xbf{\n  \"a\": 1\n}")
	v, idx, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if o := idx.Lookup(v.(map[string]any)); o == nil || o.Line != 1 || o.Keys["a"] != 2 {
		t.Errorf("positions %+v", o)
	}
	if _, err := Skim(doc, nil); err != nil {
		t.Errorf("Skim: %v", err)
	}
}
