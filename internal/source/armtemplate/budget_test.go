package armtemplate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/source"
)

// hostileTemplate builds a template with the given variables and one
// storage account that reads the value under test, after a first
// resource that the bomb must not lose.
func hostileTemplate(t *testing.T, vars map[string]any, props map[string]any) []byte {
	t.Helper()
	tmpl := map[string]any{
		"$schema":        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
		"contentVersion": "1.0.0.0",
		"variables":      vars,
		"resources": []any{
			map[string]any{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01", "name": "first", "location": "westus"},
			map[string]any{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2022-09-01", "name": "bomb", "location": "westus",
				"dependsOn": []any{"first"}, "properties": props},
		},
	}
	data, err := json.MarshalIndent(tmpl, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sharedObject is an expression whose value has 2^40 leaves, made of 40
// objects that each hold the one before twice.
const sharedObject = "reduce(range(0, 40), createObject('k', 'v'), lambda('acc', 'i', createObject('a', lambdaVariables('acc'), 'b', lambdaVariables('acc'))))"

// doubling returns variables v0..v40 where each is f of the one before.
func doubling(v0 any, f string) map[string]any {
	vars := map[string]any{"v0": v0}
	for i := 1; i <= 40; i++ {
		vars[fmt.Sprintf("v%d", i)] = fmt.Sprintf(f, fmt.Sprintf("variables('v%d')", i-1))
	}
	return vars
}

// expandWithin expands data and fails the test if that takes more than
// a minute (each case takes well under a second).
func expandWithin(t *testing.T, name string, data []byte, o Options) *source.Input {
	t.Helper()
	done := make(chan *source.Input, 1)
	start := time.Now()
	go func() { done <- Expand(name, data, o) }()
	select {
	case in := <-done:
		t.Logf("%s: expanded in %v", name, time.Since(start).Round(time.Millisecond))
		return in
	case <-time.After(time.Minute):
		t.Fatalf("%s: expansion still running after a minute", name)
	}
	return nil
}

// TestExpansionBudget expands templates that would build terabytes and
// checks that each is an error naming the file, the path and the
// expression, that it stops quickly, and that the resource expanded
// before the bomb is kept.
func TestExpansionBudget(t *testing.T) {
	for _, c := range []struct {
		name  string
		vars  map[string]any
		props map[string]any
		want  []string // in the error's text
	}{
		{"string doubling", doubling("abcdefgh", "[concat(%[1]s, %[1]s)]"), map[string]any{"x": "[variables('v40')]"},
			[]string{"hostile.json:", "variables.v", "expansion budget exceeded", "64 MiB of strings", "concat", "[concat(variables('v"}},
		{"array doubling", doubling([]any{"a", "b"}, "[concat(%[1]s, %[1]s)]"), map[string]any{"x": "[variables('v40')]"},
			[]string{"variables.v", "expansion budget exceeded", "2,000,000 array elements", "concat"}},
		{"replace growth", doubling("aaaaaaaa", "[replace(%s, 'a', 'aaaaaaaa')]"), map[string]any{"x": "[variables('v40')]"},
			[]string{"variables.v", "expansion budget exceeded", "replace would make a value of"}},
		// Within one expression, reduce() shares the halves of the value
		// it doubles: serialising or comparing it is the bomb.
		{"shared object serialised", map[string]any{}, map[string]any{"x": "[string(" + sharedObject + ")]"},
			[]string{"hostile.json:19: resources[1].properties.x: expansion budget exceeded", "string", "stopped at [string(reduce("}},
		{"shared object compared", map[string]any{}, map[string]any{"x": "[equals(" + sharedObject + ", " + sharedObject + ")]"},
			[]string{"resources[1].properties.x", "expansion budget exceeded", "10,000,000 evaluation steps", "equals"}},
		{"shared object copied", map[string]any{}, map[string]any{"x": "[" + sharedObject + "]"},
			[]string{"resources[1].properties.x", "expansion budget exceeded", "2,000,000 array elements and object members"}},
		// Variables are copied when they are evaluated.
		{"object doubling", doubling(map[string]any{"k": "v"}, "[createObject('a', %[1]s, 'b', %[1]s)]"), map[string]any{"x": "[variables('v40')]"},
			[]string{"variables.v", "expansion budget exceeded", "2,000,000 array elements and object members", "stopped at [createObject('a', variables('v"}},
		{"format repetition", map[string]any{"big": "[padLeft('', 16000, 'x')]", "f": "[replace(padLeft('', 4000, 'x'), 'x', '{0}')]"}, map[string]any{"x": "[format(format(variables('f'), variables('big')), 1)]"},
			[]string{"expansion budget exceeded", "64 MiB of strings", "format"}},
		{"join repetition", map[string]any{"big": "[padLeft('', 16000, 'x')]"}, map[string]any{"x": "[join(map(range(0, 10000), lambda('i', variables('big'))), '')]"},
			[]string{"expansion budget exceeded", "join would make a value of"}},
		{"nested property copies", map[string]any{}, map[string]any{"copy": []any{map[string]any{"name": "a", "count": 800, "input": map[string]any{
			"copy": []any{map[string]any{"name": "b", "count": 800, "input": map[string]any{
				"copy": []any{map[string]any{"name": "c", "count": 800, "input": "[copyIndex('c')]"}}}}}}}}},
			[]string{"resources[1].properties.copy[0].input", "expansion budget exceeded", "2,000,000 array elements"}},
		{"precision", map[string]any{}, map[string]any{"x": "[format('{0:D900000000}', 1)]"},
			[]string{"expansion budget exceeded", "format would make a value of 858.3 MiB"}},
		{"range", map[string]any{}, map[string]any{"x": "[range(0, 100000000)]"},
			[]string{"resources[1].properties.x", "the count must not exceed 10000"}},
		{"copy count", map[string]any{}, map[string]any{"copy": []any{map[string]any{"name": "a", "count": 100000000, "input": "x"}}},
			[]string{"the copy count 100000000 is over ARM's limit of 800"}},
		{"long expression", map[string]any{}, map[string]any{"x": "[concat('" + strings.Repeat("a", 24600) + "')]"},
			[]string{"resources[1].properties.x", "the expression is 24,612 characters long, over ARM's limit of 24,576"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := expandWithin(t, "hostile.json", hostileTemplate(t, c.vars, c.props), Options{})
			if len(in.Errors) == 0 {
				t.Fatalf("no error; %d resources", len(in.Resources))
			}
			if len(in.Errors) != 1 {
				t.Errorf("%d errors, want the one that stopped the expansion: %v", len(in.Errors), in.Errors[:min(3, len(in.Errors))])
			}
			msg := in.Errors[0].Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error\n  %s\ndoes not say %q", msg, w)
				}
			}
			if len(msg) > 1000 {
				t.Errorf("the error is %d bytes long", len(msg))
			}
			if len(in.Resources) == 0 || in.Resources[0].Name != "first" {
				t.Errorf("the resource before the bomb is lost: %d resources", len(in.Resources))
			}
		})
	}
}

// TestResourceLimit checks the limit on the resources of one expansion,
// through Options.
func TestResourceLimit(t *testing.T) {
	data := []byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [{"type": "A.B/c", "apiVersion": "1", "name": "[string(copyIndex())]", "copy": {"name": "l", "count": 800}}]}`)
	in := Expand("many.json", data, Options{Limits: Limits{Resources: 500}})
	if len(in.Resources) != 500 || len(in.Errors) != 1 {
		t.Fatalf("%d resources, errors %v", len(in.Resources), in.Errors)
	}
	want := "many.json:2: resources[0]: expansion budget exceeded: the template expands to more than 500 resources; expansion stopped"
	if got := in.Errors[0].Error(); !strings.HasPrefix(got, want) {
		t.Errorf("error\n  %s\nwant\n  %s...", got, want)
	}
	if in := Expand("many.json", data, Options{}); len(in.Resources) != 800 || len(in.Errors) != 0 {
		t.Errorf("default limits: %d resources, errors %v", len(in.Resources), in.Errors)
	}
}

// TestErrorsAreBounded checks that a user-defined function that recurses
// twice per call fails once, with the call's error, and that a copy loop
// of bad resources lists 100 errors and then says that there are more.
func TestErrorsAreBounded(t *testing.T) {
	data := []byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "functions": [{"namespace": "f", "members": {"g": {"parameters": [], "output": {"value": "[concat(f.g(), f.g())]"}}}}],
  "resources": [{"type": "A.B/c", "apiVersion": "1", "name": "[f.g()]"}]}`)
	in := expandWithin(t, "recursion.json", data, Options{})
	if len(in.Errors) != 1 {
		t.Fatalf("%d errors: %v", len(in.Errors), in.Errors[:min(3, len(in.Errors))])
	}
	if got, want := in.Errors[0].Error(), "recursion.json:3: resources[0].name: [f.g()]: f.g: user-defined functions nested deeper than 32 calls"; got != want {
		t.Errorf("error\n  %s\nwant\n  %s", got, want)
	}

	data = []byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [{"type": "A.B/c", "apiVersion": "1", "name": "[concat('a', copyIndex())]", "copy": {"name": "l", "count": 800},
    "properties": {"x": "[int('not a number')]"}}]}`)
	in = expandWithin(t, "bad.json", data, Options{})
	if len(in.Errors) != 101 || len(in.Resources) != 800 {
		t.Fatalf("%d errors, %d resources", len(in.Errors), len(in.Resources))
	}
	if got, want := in.Errors[100].Error(), "bad.json: more than 100 errors in the template; the rest are not listed"; got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
}
