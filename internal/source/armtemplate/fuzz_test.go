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
	f.Add([]byte(`{"$schema": "deploymentTemplate", "functions": [{"namespace": "f", "members": {"g": {"parameters": [], "output": {"value": "[concat(f.g(), f.g())]"}}}}], "resources": [{"type": "A.B/c", "name": "[f.g()]", "copy": {"name": "c", "count": 800}}]}`))
	f.Add([]byte(`{"$schema": "deploymentTemplate", "languageVersion": "2.0", "resources": {"a": {"type": "A.B/c", "name": "[resourceInfo('a').name]"}}}`))
	for _, file := range []string{"testdata/avm-flexible-server/main.json", "testdata/quickstart-flexible-server-vnet/azuredeploy.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Nullable parameters, null to a default, safe dereference, fail().
	f.Add([]byte(`{"$schema": "deploymentTemplate", "parameters": {"n": {"type": "object", "nullable": true}, "r": {"$ref": "#/definitions/r"}, "d": {"type": "string", "defaultValue": "[parameters('d')]"}}, "definitions": {"r": {"$ref": "#/definitions/r"}}, "resources": [{"type": "A.B/c", "name": "[coalesce(parameters('n').?a[?0].b, parameters('r'), 'x')]", "properties": {"f": "[if(empty(parameters('n')), null(), fail(parameters('n')))]", "g": "[fail(reference('x'))]"}}]}`))
	// Expressions as nested deployment parameters; unknown copy counts and
	// conditions; a template that is not known.
	f.Add([]byte(`{"$schema": "deploymentTemplate", "resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "condition": "[reference('c').ok]", "copy": {"name": "l", "count": "[length(reference('x').items)]"}, "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "parameters": "[if(equals(copyIndex(), 0), createObject('p', createObject('value', null())), reference('p'))]", "template": {"$schema": "deploymentTemplate", "parameters": {"p": {"type": "array", "nullable": true}}, "resources": [{"type": "A.B/c", "name": "x", "properties": {"copy": [{"name": "q", "count": "[length(parameters('p'))]", "input": "[copyIndex('q')]"}]}}]}}}, {"type": "Microsoft.Resources/deployments", "name": "e", "properties": {"template": "[reference('t')]", "parameters": {"a": "[createObject('value', '/subscriptions/s/resourceGroups/r/providers/A.B/c/x')]", "b": "[createObject()]"}}}]}`))
	// Expansion bombs: values that double with every variable, in
	// strings and in arrays, and a string that grows by replace().
	f.Add([]byte(`{"$schema": "deploymentTemplate", "variables": {"v0": "ab", "v1": "[concat(variables('v0'), variables('v0'))]", "v2": "[concat(variables('v1'), variables('v1'))]", "v3": "[concat(variables('v2'), variables('v2'), variables('v2'), variables('v2'))]", "v4": "[replace(variables('v3'), 'a', variables('v3'))]", "v5": "[replace(variables('v4'), 'a', variables('v4'))]", "w": "[createArray(variables('v5'), variables('v5'))]", "x": "[concat(variables('w'), variables('w'))]"}, "resources": [{"type": "A.B/c", "name": "n", "properties": {"a": "[variables('x')]", "b": "[padLeft('', 9999999)]", "c": "[range(0, 100000000)]"}}]}`))
	f.Add([]byte(`{"$schema": "deploymentTemplate", "resources": [{"type": "A.B/c", "name": "n", "properties": {"a": "[string(reduce(range(0, 8), createObject('k', 'v'), lambda('acc', 'i', createObject('a', lambdaVariables('acc'), 'b', lambdaVariables('acc')))))]", "f": "[format('{0}{0}{0}{0:D99}', 'abc')]"}}]}`))
	// A byte order mark, and Latin-1 text.
	f.Add([]byte("\xef\xbb\xbf{\"$schema\": \"deploymentTemplate\", \"resources\": [{\"type\": \"A.B/c\", \"name\": \"caf\xe9\", \"tags\": {\"a\": \"[concat('\xe9', 'x')]\"}}]}"))
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
