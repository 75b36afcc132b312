package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCases names each format's golden file.
var goldenCases = []struct {
	file   string
	format Format
	opts   func(*Options)
}{
	{"report.json", FormatJSON, nil},
	{"report.txt", FormatTable, nil},
	{"report.color.txt", FormatTable, func(o *Options) { o.Color = true; o.Width = 80 }},
	{"report.sarif", FormatSARIF, nil},
	{"report.xml", FormatJUnit, nil},
	{"report.csv", FormatCSV, nil},
	{"report.md", FormatMarkdown, nil},
	{"report.html", FormatHTML, nil},
}

func render(t testing.TB, f Format, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, fixtureReport(), f, o); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			o := fixtureOptions()
			if c.opts != nil {
				c.opts(&o)
			}
			got := render(t, c.format, o)
			path := filepath.Join("testdata", "golden", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; run go test ./report -run TestGolden -update and review the diff.\n%s",
					c.format, path, firstDiff(got, want))
			}
			// Writing twice gives the same bytes (no map-order leaks).
			if again := render(t, c.format, o); !bytes.Equal(got, again) {
				t.Errorf("%s is not deterministic:\n%s", c.format, firstDiff(again, got))
			}
		})
	}
}

// firstDiff shows the first differing line of two outputs.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + itoa(i+1) + ":\n got: " + string(gl) + "\nwant: " + string(wl)
		}
	}
	return "(no line differs)"
}

func itoa(i int) string { return string(bytes.TrimSpace([]byte(formatInt(i)))) }

func formatInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
