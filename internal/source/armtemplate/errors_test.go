package armtemplate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const schema = `"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"`

// A good resource that every bad template below also holds: it must come
// through whatever else is wrong.
const goodResource = `{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "good", "properties": {"version": "16"}}`

func TestBadTemplates(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string // members of the template after $schema, written over lines
		path, msg string
		line      int
		resources int // including the good one
	}{
		{"unknown function", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "bad",
 "properties": {
  "version": "[nosuch('16')]"}}]`, "resources[1].properties.version", "nosuch: unknown function", 5, 2},
		{"wrong number of arguments", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01",
 "name": "[toLower('a', 'b')]"}]`, "resources[1].name", "toLower: takes 1 arguments, got 2", 4, 1},
		{"missing parameter", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "bad",
 "properties": {"network": {
   "publicNetworkAccess": "[parameters('access')]"}}}]`, "resources[1].properties.network.publicNetworkAccess", `the template has no parameter "access"`, 5, 2},
		{"missing variable", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01",
 "name": "[variables('serverName')]"}]`, "resources[1].name", `the template has no variable "serverName"`, 4, 1},
		{"circular variables", `"variables": {
 "a": "[variables('b')]",
 "b": "[concat(variables('a'), 'x')]"},
"resources": [` + goodResource + `, {"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "[variables('a')]"}]`,
			"variables.b", `variable "a" refers to itself (a circular reference)`, 4, 1},
		{"copy count over the limit", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "[format('s{0}', copyIndex())]",
 "copy": {"name": "c",
   "count": 801}}]`, "resources[1].copy.count", "the copy count 801 is over ARM's limit of 800", 5, 1},
		{"negative property copy count", `"resources": [` + goodResource + `,
{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-01-01", "name": "vnet",
 "properties": {"copy": [{"name": "subnets",
   "count": -1, "input": {"name": "x"}}]}}]`, "resources[1].properties.copy[0].count", "the copy count -1 is negative", 5, 2},
		{"empty name", `"resources": [` + goodResource + `,
{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
 "name": "[parameters('n')]"}], "parameters": {"n": {"type": "string", "defaultValue": ""}}`, "resources[1].name", "the resource name is empty", 4, 1},
		{"name that does not fit the type", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "apiVersion": "2024-08-01",
 "name": "only-one-segment"}]`, "resources[1].name", `the name "only-one-segment" has 1 segments, but the type "Microsoft.DBforPostgreSQL/flexibleServers/configurations" needs 2`, 4, 1},
		{"syntax error in an expression", `"resources": [` + goodResource + `,
{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "bad",
 "tags": {"a": "[concat('x']"}}]`, "resources[1].tags.a", "invalid expression", 4, 2},
		{"resource that is not an object", `"resources": [` + goodResource + `, 42]`, "resources[1]", "a resource must be an object", 2, 1},
		{"condition that is not a boolean", `"resources": [` + goodResource + `,
{"condition": "[parameters('p')]", "type": "Microsoft.KeyVault/vaults", "name": "kv"}], "parameters": {"p": {"type": "string", "defaultValue": "maybe"}}`,
			"resources[1].condition", "the condition must be a boolean, not string", 3, 1},
		{"copyIndex outside a loop", `"resources": [` + goodResource + `,
{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
 "name": "[format('kv{0}', copyIndex())]"}]`, "resources[1].name", "outside a resource copy loop", 4, 1},
		{"nested deployment without a template", `"resources": [` + goodResource + `,
{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d",
 "properties": {"mode": "Incremental"}}]`, "resources[1].properties", "needs a template or a templateLink", 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := "{" + schema + ",\n" + tc.body + "}"
			in := Expand("bad.json", []byte(data), Options{})
			var found bool
			for _, e := range in.Errors {
				if e.File == "bad.json" && e.Path == tc.path && e.Line == tc.line && strings.Contains(e.Msg, tc.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error at bad.json:%d %s containing %q; got %v", tc.line, tc.path, tc.msg, in.Errors)
			}
			if len(in.Resources) != tc.resources || in.Resources[0].Name != "good" {
				t.Errorf("%d resources, want %d starting with the good one", len(in.Resources), tc.resources)
			}
		})
	}
}

func TestDeploymentsNestedTooDeep(t *testing.T) {
	// Each level is an inline nested deployment; the innermost creates a vault.
	inner := `{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv"}`
	for i := 0; i < 4; i++ {
		inner = fmt.Sprintf(`{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "level%d",
"properties": {"mode": "Incremental", "template": {%s, "resources": [%s]}}}`, i, schema, inner)
	}
	data := "{" + schema + `, "resources": [` + goodResource + ", " + inner + "]}"
	if in := Expand("deep.json", []byte(data), Options{}); len(in.Resources) != 2 || len(in.Errors) != 0 {
		t.Errorf("4 levels within the default limit: %d resources, %v", len(in.Resources), in.Errors)
	}
	in := Expand("deep.json", []byte(data), Options{MaxDepth: 2})
	if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Msg, "deployments are nested deeper than 2 levels") ||
		!strings.HasPrefix(in.Errors[0].Path, "resources[1].properties.template.resources[0].properties.template.resources[0]") || len(in.Resources) != 1 {
		t.Errorf("MaxDepth 2: %d resources, %v", len(in.Resources), in.Errors)
	}
}

func TestBadFiles(t *testing.T) {
	if in := Expand("broken.json", []byte("{\n  \"$schema\": \"deploymentTemplate\",\n  \"resources\": [\n}"), Options{}); len(in.Errors) != 1 || in.Errors[0].Line != 4 {
		t.Errorf("syntax error: %v", in.Errors)
	}
	if in := Expand("array.json", []byte(`[1, 2]`), Options{}); len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Msg, "not a deployment template") {
		t.Errorf("not a template: %v", in.Errors)
	}
	// An invalid paired parameter file is reported with its line; the
	// template still expands.
	dir := t.TempDir()
	tpl := filepath.Join(dir, "main.json")
	os.WriteFile(tpl, []byte("{"+schema+`, "parameters": {"n": {"type": "string", "defaultValue": "kv"}}, "resources": [{"type": "Microsoft.KeyVault/vaults", "name": "[parameters('n')]"}]}`), 0o600)
	os.WriteFile(filepath.Join(dir, "main.parameters.json"), []byte("{\n\"parameters\": {\n\"n\": {\"valu\": 1}}}"), 0o600)
	data, _ := os.ReadFile(tpl)
	in := Expand(tpl, data, Options{ParamFiles: []string{filepath.Join(dir, "missing.json")}})
	if len(in.Resources) != 1 || len(in.Errors) != 2 || in.Errors[0].Line != 3 || in.Errors[0].Path != "parameters.n" || !strings.Contains(in.Errors[1].Msg, "no such file") {
		t.Errorf("bad parameter files: %d resources, %v", len(in.Resources), in.Errors)
	}
}

// TestEncodings checks that a template or a parameter file saved as
// Latin-1 is an error naming the file and the line, with the resources
// still expanded; that a UTF-8 byte order mark is accepted; and that a
// UTF-16 template is an error that says so.
func TestEncodings(t *testing.T) {
	dir := t.TempDir()
	tmpl := "{" + schema + `,
 "parameters": {"owner": {"type": "string", "defaultValue": "Ren` + "\xe9" + `e"}, "login": {"type": "string"}},
 "resources": [` + goodResource + `,
  {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2022-09-01", "name": "st", "location": "westus",
   "tags": {"owner": "[parameters('owner')]", "login": "[parameters('login')]"}}]}`
	file := filepath.Join(dir, "main.json")
	params := "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#\",\n" +
		" \"parameters\": {\"login\": {\"value\": \"Jos\xe9\"}}}"
	for name, data := range map[string]string{file: tmpl, filepath.Join(dir, "main.parameters.json"): params} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in := Expand(file, []byte(tmpl), Options{})
	var got []string
	for _, e := range in.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		file + ":2:65: not UTF-8 at line 2, column 65: byte 0xE9 is not valid UTF-8 (the file may be Latin-1 or Windows-1252)",
		filepath.Join(dir, "main.parameters.json") + ":2:40: not UTF-8 at line 2, column 40: byte 0xE9",
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error\n  %s\nwant\n  %s...", got[i], want[i])
		}
	}
	if len(in.Resources) != 2 || in.Resources[1].GetString("tags.owner") != "Ren\ufffde" || in.Resources[1].GetString("tags.login") != "Jos\ufffd" {
		t.Errorf("%d resources", len(in.Resources))
	}

	bom := "\xef\xbb\xbf{" + schema + `,
 "resources": [` + goodResource + `]}`
	if in := Expand(filepath.Join(dir, "bom.json"), []byte(bom), Options{}); len(in.Errors) != 0 || len(in.Resources) != 1 || in.Resources[0].Origin.Line != 2 {
		t.Errorf("BOM: %d resources, errors %v", len(in.Resources), in.Errors)
	}
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range "{" + schema + "}" {
		utf16 = append(utf16, byte(c), 0)
	}
	in = Expand("utf16.json", utf16, Options{})
	if len(in.Errors) != 1 || !strings.HasPrefix(in.Errors[0].Error(), "utf16.json:1:1: invalid JSON at byte offset 0: the file is UTF-16, not UTF-8; JSON must be UTF-8") {
		t.Errorf("UTF-16: %v", in.Errors)
	}
}
