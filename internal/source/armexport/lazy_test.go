package armexport

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkLazy checks that when Skim takes data, its entries and the
// resources it reads are those Parse gives: same ids, types, names,
// lines, objects and property lines.
func checkLazy(t *testing.T, data []byte) (lazy bool) {
	t.Helper()
	l := Skim("f.json", data)
	if l == nil {
		return false
	}
	in := Parse("f.json", data)
	// Not UTF-8 is an error that does not stop the reading; the loader
	// reports it for the lazy input as well (EncodingError).
	if e := EncodingError("f.json", data); e != nil && len(in.Errors) > 0 && in.Errors[0].Msg == e.Msg {
		in.Errors = in.Errors[1:]
	}
	if len(in.Errors) > 0 {
		t.Fatalf("Skim took a document Parse rejects: %v", in.Errors[0])
	}
	entries := l.Entries()
	if len(entries) != len(in.Resources) {
		t.Fatalf("%d entries, Parse reads %d resources", len(entries), len(in.Resources))
	}
	all := make([]int, len(entries))
	for i := range all {
		all[i] = i
	}
	read, err := l.NewReader().Read(all)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range in.Resources {
		e, got := entries[i], read[i]
		if e.ID != want.ID || e.Type != want.Type || e.Name != want.Name || e.Line != want.Origin.Line {
			t.Errorf("entry %d = %+v, want %s %s %s line %d", i, e, want.ID, want.Type, want.Name, want.Origin.Line)
		}
		if got.ID != want.ID || got.Type != want.Type || got.Name != want.Name || got.Origin != want.Origin {
			t.Errorf("resource %d = %s %s %s %+v, want %s %s %s %+v", i, got.ID, got.Type, got.Name, got.Origin, want.ID, want.Type, want.Name, want.Origin)
		}
		if !reflect.DeepEqual(got.Object, want.Object) {
			t.Errorf("resource %d: objects differ:\n%#v\n%#v", i, got.Object, want.Object)
		}
		for _, path := range []string{"properties", "properties.version", "properties.network.publicNetworkAccess", "properties.value", "location"} {
			if a, b := got.Line(path), want.Line(path); a != b {
				t.Errorf("resource %d: line of %s = %d, want %d", i, path, a, b)
			}
		}
	}
	return true
}

func TestSkimReadsAsParse(t *testing.T) {
	files, _ := filepath.Glob("../../../examples/exports/*.json")
	files = append(files, "../../scan/testdata/fleet-mixed.json")
	lazy := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			if checkLazy(t, data) {
				lazy++
			}
		})
	}
	if lazy < 5 {
		t.Errorf("only %d of %d exports read lazily", lazy, len(files))
	}
}

// TestSkimDeclines lists documents that Skim leaves to Parse.
func TestSkimDeclines(t *testing.T) {
	for name, doc := range map[string]string{
		"syntax error":          `[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"},]`,
		"one resource":          `{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"}`,
		"object element":        `[{"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"}]}]`,
		"id twice":              `[{"Id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "ID": "/x", "type": "P/t"}]`,
		"name twice":            `[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t", "name": "a", "name": "b"}]`,
		"a template":            `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "value": []}`,
		"a plan":                `{"format_version": "1.2", "value": [{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"}]}`,
		"a snapshot":            `{"pgbaseline": {"kind": "snapshot"}, "value": [{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"}]}`,
		"value not a list":      `{"value": 3}`,
		"value twice":           `{"value": [], "Value": []}`,
		"no resources":          `[1, 2, "x"]`,
		"REST example":          `{"responses": {"200": {"body": {"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"}]}}}}`,
		"type without provider": `[{"id": "/x", "type": "flat"}]`,
	} {
		if Skim("f.json", []byte(doc)) != nil {
			t.Errorf("%s: Skim took %s", name, doc)
		}
	}
	for name, doc := range map[string]string{
		"list":            `[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t"}, 3, ["x"]]`,
		"value":           `{"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n"}], "nextLink": null}`,
		"data":            `{"data": [{"ID": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "TYPE": "P/t", "properties": {}}], "count": 1}`,
		"id and ID":       `[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "ID": "/x", "type": "P/t"}]`,
		"flattened":       `[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t", "version": "16", "network": {"publicNetworkAccess": "Enabled"}}]`,
		"escaped strings": `[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n\u00e9", "type": "P\/t", "name": "\ud83d\ude00"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			if !checkLazy(t, []byte(doc)) {
				t.Errorf("Skim declined %s", doc)
			}
		})
	}
}

// FuzzSkim checks that whatever Skim takes, it reads as Parse does.
func FuzzSkim(f *testing.F) {
	f.Add([]byte(`{"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "type": "P/t", "name": "n", "properties": {"a": [1, {"b": null}]}}, 3]}`))
	f.Add([]byte(`[{"id": "/subscriptions/s/resourceGroups/r/providers/P/t/n", "sku": {"name": "x"}, "version": "16"}]`))
	// A byte order mark and Latin-1 text, which both readers take (with
	// U+FFFD for the Latin-1 byte).
	f.Add([]byte("\xef\xbb\xbf[{\"id\": \"/subscriptions/s/resourceGroups/r/providers/P/t/n\", \"type\": \"P/t\", \"tags\": {\"owner\": \"Ren\xe9e\"}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLazy(t, data)
	})
}
