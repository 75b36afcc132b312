package armexport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

func TestShapes(t *testing.T) {
	server := `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a", "type": "Microsoft.DBforPostgreSQL/flexibleServers", "name": "a", "properties": {"version": "16"}}`
	tests := []struct {
		name  string
		doc   string
		count int
	}{
		{"object", server, 1},
		{"array", "[" + server + "," + server + "]", 2},
		{"rest list", `{"value": [` + server + `], "nextLink": null}`, 1},
		{"resource graph", `{"totalRecords": 1, "count": 1, "data": [` + server + `]}`, 1},
		{"spec example", `{"parameters": {}, "responses": {"200": {"body": ` + server + `}}}`, 1},
		{"empty list", `{"value": []}`, 0},
		{"other json", `{"name": "package", "version": "1.0.0"}`, 0},
		{"type without namespace", `{"id": "x", "type": "server"}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Parse("f.json", []byte(tc.doc))
			if len(in.Resources) != tc.count {
				t.Fatalf("got %d resources, want %d (errors %v)", len(in.Resources), tc.count, in.Errors)
			}
			if tc.count == 0 && len(in.Errors) != 1 {
				t.Fatalf("want one error for a document without resources, got %v", in.Errors)
			}
		})
	}
}

// The az CLI prints a flexible server with its properties flattened beside
// its id; the reader folds them back so that aliases resolve.
func TestFlattenedCLIShape(t *testing.T) {
	doc := `{
  "administratorLogin": "crmadmin",
  "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/crm",
  "location": "East US 2",
  "name": "crm",
  "network": {"publicNetworkAccess": "Enabled"},
  "resourceGroup": "rg",
  "type": "Microsoft.DBforPostgreSQL/flexibleServers"
}`
	in := Parse("show.json", []byte(doc))
	if len(in.Resources) != 1 {
		t.Fatalf("resources: %d, errors %v", len(in.Resources), in.Errors)
	}
	r := in.Resources[0]
	if got := r.GetString("properties.network.publicNetworkAccess"); got != "Enabled" {
		t.Errorf("publicNetworkAccess = %q", got)
	}
	if got := r.GetString("properties.administratorLogin"); got != "crmadmin" {
		t.Errorf("administratorLogin = %q", got)
	}
	if r.Location() != "East US 2" || r.Name != "crm" {
		t.Errorf("envelope lost: location %q name %q", r.Location(), r.Name)
	}
	if got := r.Line("properties.network.publicNetworkAccess"); got != 6 {
		t.Errorf("line of network = %d, want 6", got)
	}
}

func TestLinesPointAtProperties(t *testing.T) {
	data, err := os.ReadFile("../../../testdata/arm-examples/2025-08-01_ServersGet.json")
	if err != nil {
		t.Fatal(err)
	}
	in := Parse("ServersGet.json", data)
	if len(in.Resources) != 1 || len(in.Errors) != 0 {
		t.Fatalf("resources %d errors %v", len(in.Resources), in.Errors)
	}
	r := in.Resources[0]
	if r.Type != "Microsoft.DBforPostgreSQL/flexibleServers" {
		t.Fatalf("type %q", r.Type)
	}
	line := r.Line("properties.network.publicNetworkAccess")
	lines := strings.Split(string(data), "\n")
	if line < 1 || !strings.Contains(lines[line-1], "publicNetworkAccess") {
		t.Fatalf("line %d does not hold publicNetworkAccess", line)
	}
	if r.Origin.Line < 1 || r.Origin.Line >= line {
		t.Errorf("resource line %d should precede property line %d", r.Origin.Line, line)
	}
}

func TestRealExamplesRead(t *testing.T) {
	files, _ := filepath.Glob("../../../testdata/arm-examples/*.json")
	if len(files) < 8 {
		t.Fatalf("examples missing: %v", files)
	}
	for _, f := range files {
		in := ReadFile(f)
		if len(in.Errors) > 0 || len(in.Resources) != 1 {
			t.Errorf("%s: %d resources, errors %v", f, len(in.Resources), in.Errors)
			continue
		}
		r := in.Resources[0]
		if _, ok := arm.ParseID(r.ID); !ok || !strings.HasPrefix(strings.ToLower(r.Type), "microsoft.dbforpostgresql/flexibleservers") {
			t.Errorf("%s: id %q type %q", f, r.ID, r.Type)
		}
	}
}

func TestBadInput(t *testing.T) {
	server := `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a", "type": "Microsoft.DBforPostgreSQL/flexibleServers"}`
	tests := []struct {
		name string
		data string
		want string // substring of the error
		line int
	}{
		{"truncated", "{\n  \"value\": [\n" + server[:40], "unexpected end of input", 3},
		{"not json", "\x00\x01PK\x03\x04garbage", "expected a JSON value", 1},
		{"yaml", "id: x\ntype: y\n", "expected a JSON value", 1},
		{"trailing garbage", server + "\n}", "after the top-level value", 2},
		{"no resource", `{"hello": "world"}`, "no ARM resources found", 1},
		{"deep", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "nesting deeper than", 1},
		{"deep objects", strings.Repeat(`{"a":`, 100000), "nesting deeper than", 1},
		{"bad escape", `{"id": "\q"}`, "invalid escape", 1},
		{"empty", "", "unexpected end of input", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Parse("bad.json", []byte(tc.data))
			if len(in.Errors) != 1 {
				t.Fatalf("want one error, got %v", in.Errors)
			}
			e := in.Errors[0]
			if e.File != "bad.json" || !strings.Contains(e.Error(), tc.want) || e.Line != tc.line {
				t.Fatalf("error %q (line %d), want file bad.json, line %d and %q", e.Error(), e.Line, tc.line, tc.want)
			}
			if !strings.HasPrefix(e.Error(), "bad.json:") {
				t.Errorf("error does not start with the file name: %q", e.Error())
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	in := ReadFile(filepath.Join(t.TempDir(), "nope.json"))
	if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Error(), "no such file") {
		t.Fatalf("errors %v", in.Errors)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../../../testdata/arm-examples/*.json")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"value": [{"id": "/subscriptions/s/providers/A.B/c/d", "type": "A.B/c"}]}`))
	f.Add([]byte(`[{"type":"a/b","id":"x","x":1}]`))
	f.Add([]byte("\xef\xbb\xbf[{\"type\":\"a/b\",\"id\":\"x\",\"name\":\"caf\xe9\"}]"))
	f.Add([]byte{0xFF, 0xFE, '[', 0, ']', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := Parse("fuzz.json", data)
		for _, r := range in.Resources {
			_ = r.Line("properties.a.b")
			_, _ = r.Get("properties.x[0]")
		}
		if len(in.Resources) == 0 && len(in.Errors) == 0 {
			t.Fatal("no resources and no error")
		}
	})
}

// A large export of the az CLI's flattened shape (made into resources on
// every core) keeps every resource in order with the lines of its
// properties.
func TestLargeFlattenedExport(t *testing.T) {
	const n = 5000
	var b strings.Builder
	b.WriteString("[\n")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		name := "s" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		b.WriteString(`{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/` + name + `",` + "\n")
		b.WriteString(`"network": {"publicNetworkAccess": "Enabled"}, "type": "Microsoft.DBforPostgreSQL/flexibleServers"}`)
	}
	b.WriteString("\n]")
	in := Parse("list.json", []byte(b.String()))
	if len(in.Resources) != n || len(in.Errors) != 0 {
		t.Fatalf("resources %d errors %v", len(in.Resources), in.Errors)
	}
	for i, r := range in.Resources {
		if r.Origin.Line != 2+2*i || r.Line("properties.network.publicNetworkAccess") != 3+2*i ||
			r.GetString("properties.network.publicNetworkAccess") != "Enabled" {
			t.Fatalf("resource %d: line %d, property line %d", i, r.Origin.Line, r.Line("properties.network.publicNetworkAccess"))
		}
	}
}

// An export saved as Latin-1 is an error naming the file and the line of
// the first invalid byte, and its resources are still read; a UTF-8 byte
// order mark is accepted.
func TestEncoding(t *testing.T) {
	doc := "[\n{\"id\": \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a\",\n" +
		"\"type\": \"Microsoft.DBforPostgreSQL/flexibleServers\", \"tags\": {\"owner\": \"Ren\xe9e\"}}\n]"
	in := Parse("export.json", []byte(doc))
	if len(in.Resources) != 1 || len(in.Errors) != 1 {
		t.Fatalf("%d resources, errors %v", len(in.Resources), in.Errors)
	}
	want := "export.json:3:76: not UTF-8 at line 3, column 76: byte 0xE9 is not valid UTF-8 (the file may be Latin-1 or Windows-1252)"
	if got := in.Errors[0].Error(); !strings.HasPrefix(got, want) {
		t.Errorf("error\n  %s\nwant\n  %s...", got, want)
	}
	if got := in.Resources[0].GetString("tags.owner"); got != "Ren\ufffde" {
		t.Errorf("tag %q", got)
	}

	in = Parse("bom.json", []byte("\xef\xbb\xbf"+strings.ReplaceAll(doc, "\xe9", "\u00e9")))
	if len(in.Resources) != 1 || len(in.Errors) != 0 || in.Resources[0].Origin.Line != 2 {
		t.Fatalf("BOM: %d resources, errors %v", len(in.Resources), in.Errors)
	}
	in = Parse("utf16.json", []byte{0xFF, 0xFE, '[', 0, ']', 0})
	if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Error(), "utf16.json:1:1: invalid JSON at byte offset 0: the file is UTF-16, not UTF-8") {
		t.Fatalf("UTF-16: errors %v", in.Errors)
	}
}
