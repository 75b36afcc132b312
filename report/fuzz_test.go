package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

// FuzzWriters puts arbitrary text in a resource name and a message and
// checks that every format still writes, parses back, and keeps the text
// inert.
func FuzzWriters(f *testing.F) {
	for _, s := range []string{scriptName, pwnName, "plain", "a|b\n`c`", "\x1b[31mred", "\xff\xfe", "]]>", "=1+2", "@here"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, msg string) {
		rep := fixtureReport()
		rep.Results[0].ResourceName = name
		rep.Results[0].Message = msg
		o := fixtureOptions()
		for _, format := range Formats {
			var buf bytes.Buffer
			if err := Write(&buf, rep, format, o); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out := buf.Bytes()
			switch format {
			case FormatJSON, FormatSARIF:
				if !json.Valid(out) {
					t.Fatalf("%s: invalid JSON", format)
				}
			case FormatJUnit:
				d := xml.NewDecoder(bytes.NewReader(out))
				for {
					if _, err := d.Token(); err != nil {
						if err.Error() != "EOF" {
							t.Fatalf("junit: %v", err)
						}
						break
					}
				}
			case FormatCSV:
				if _, err := csv.NewReader(bytes.NewReader(out)).ReadAll(); err != nil {
					t.Fatalf("csv: %v", err)
				}
			case FormatTable:
				if bytes.ContainsAny(out, "\x1b\x07") {
					t.Fatal("table: control characters from the input")
				}
			case FormatHTML:
				// The page's script and its data, and nothing else.
				if strings.Count(string(out), "<script") != 2 || strings.Count(string(out), "</script") != 2 {
					t.Fatal("html: a third <script>, or a script element closed early")
				}
				if _, err := htmlEmbeddedData(out); err != nil {
					t.Fatalf("html: %v", err)
				}
			}
		}
	})
}
