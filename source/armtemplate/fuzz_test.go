package armtemplate

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzExpand checks that no template, however malformed, makes Expand
// panic or run away.
func FuzzExpand(f *testing.F) {
	for _, file := range []string{
		"postgres-flexible-server/azuredeploy.json", "server-fleet/main.json", "bicep-avm/main.json",
		"literal-secrets/main.json", "linked-template/main.json",
	} {
		data, err := os.ReadFile(filepath.Join(examples, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"$schema": "deploymentTemplate", "variables": {"a": "[variables('a')]"}, "resources": [{"type": "A.B/c", "name": "[variables('a')]"}]}`))
	f.Add([]byte(`{"$schema": "deploymentTemplate", "resources": [{"type": "A.B/c", "name": "[string(copyIndex())]", "copy": {"name": "x", "count": 30}, "properties": {"copy": [{"name": "p", "count": 30, "input": "[copyIndex('p')]"}]}}]}`))
	f.Add([]byte(`{"$schema": "deploymentTemplate", "functions": [{"namespace": "f", "members": {"g": {"parameters": [], "output": {"value": "[f.g()]"}}}}], "resources": [{"type": "A.B/c", "name": "[f.g()]"}]}`))
	f.Add([]byte(`{"$schema": "deploymentTemplate", "languageVersion": "2.0", "resources": {"a": {"type": "A.B/c", "name": "[resourceInfo('a').name]"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := Expand("fuzz.json", data, Options{MaxDepth: 3})
		if in == nil || in.Kind != "arm-template" {
			t.Fatalf("input %+v", in)
		}
		for _, r := range in.Resources {
			_ = r.Line("properties.network.publicNetworkAccess")
		}
	})
}

// BenchmarkExpandFleet expands 800 servers in a copy loop, each with two
// child configurations: 2,400 resources.
func BenchmarkExpandFleet(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(examples, "server-fleet", "main.json"))
	if err != nil {
		b.Fatal(err)
	}
	pf := filepath.Join(b.TempDir(), "fleet.parameters.json")
	os.WriteFile(pf, []byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {"serverCount": {"value": 800}}}`), 0o600)
	o := Options{ParamFiles: []string{pf}}
	b.ReportAllocs()
	for b.Loop() {
		in := Expand("main.json", data, o)
		if len(in.Resources) != 2400 || len(in.Errors) != 0 {
			b.Fatalf("%d resources, %v", len(in.Resources), in.Errors)
		}
	}
}
