package armtemplate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
)

// expandWith writes a template (members after $schema) and optional
// parameter file values to a temporary directory and expands it.
func expandWith(t *testing.T, body, params string) (*source.Input, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "main.json")
	data := "{" + schema + ",\n" + body + "}"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if params != "" {
		pf := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {` + params + `}}`
		os.WriteFile(filepath.Join(dir, "main.parameters.json"), []byte(pf), 0o600)
	}
	return Expand(file, []byte(data), Options{}), file
}

// tagsOf returns the tags of the one resource named name.
func tagsOf(t *testing.T, in *source.Input, name string) map[string]any {
	t.Helper()
	for _, r := range in.Resources {
		if r.Name == name {
			tags, _ := r.Get("tags")
			m, _ := tags.(map[string]any)
			return m
		}
	}
	t.Fatalf("no resource %s among %d", name, len(in.Resources))
	return nil
}

// TestNullableParameters: an optional parameter compiled by bicep
// ("nullable": true) with no value is null, and null passed to a
// parameter with a default gives the default, as in ARM.
func TestNullableParameters(t *testing.T) {
	const params = `"parameters": {
 "subnet": {"type": "string", "nullable": true},
 "lock": {"$ref": "#/definitions/lockType"},
 "rules": {"type": "array", "nullable": true},
 "network": {"type": "object", "nullable": true},
 "access": {"type": "string", "defaultValue": "Disabled"},
 "required": {"type": "string"}},
"definitions": {"lockType": {"type": "object", "nullable": true, "properties": {"kind": {"type": "string"}}}},`
	cases := []struct {
		name, tag, values string
		want              any // the tag's value; nil means null
		unknown           bool
	}{
		{"nullable without a value", "[parameters('subnet')]", "", nil, false},
		{"empty() of it", "[empty(parameters('subnet'))]", "", true, false},
		{"nullable through a $ref", "[parameters('lock')]", "", nil, false},
		{"tryGet on null", "[coalesce(tryGet(parameters('lock'), 'kind'), 'None')]", "", "None", false},
		{"safe dereference on null", "[coalesce(parameters('network').?delegatedSubnetResourceId, 'public')]", "", "public", false},
		{"safe index on null", "[coalesce(parameters('rules')[?0], 'no rule')]", "", "no rule", false},
		{"safe index chain", "[parameters('network')[?'subnet'].id]", "", nil, false},
		{"coalesce on an array", "[length(coalesce(parameters('rules'), createArray()))]", "", int64(0), false},
		{"a value given", "[parameters('network').?delegatedSubnetResourceId]", `"network": {"value": {"delegatedSubnetResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pg"}}`,
			"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pg", false},
		{"null given to a parameter with a default", "[parameters('access')]", `"access": {"value": null}`, "Disabled", false},
		{"null given to a nullable parameter", "[parameters('subnet')]", `"subnet": {"value": null}`, nil, false},
		{"required without a value stays unknown", "[parameters('required')]", "", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := params + `"resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv", "tags": {"t": "` + c.tag + `"}}]`
			in, _ := expandWith(t, body, c.values)
			noErrors(t, in)
			got := tagsOf(t, in, "kv")["t"]
			if c.unknown {
				if _, ok := got.(arm.Unknown); !ok {
					t.Errorf("%s = %#v, want Unknown", c.tag, got)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s = %#v, want %#v", c.tag, got, c.want)
			}
		})
	}
}

// TestNestedNullToDefault: null passed by a nested deployment to a
// parameter with a default gives the default; to a nullable one, null.
func TestNestedNullToDefault(t *testing.T) {
	body := `"resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d",
 "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
  "parameters": {"access": {"value": "[null()]"}, "conns": "[createObject('value', null())]"},
  "template": {` + schema + `, "languageVersion": "2.0",
   "parameters": {"access": {"type": "string", "defaultValue": "Disabled"}, "conns": {"type": "array", "nullable": true}},
   "resources": {"pe": {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-11-01", "name": "pe",
    "tags": {"access": "[parameters('access')]"},
    "properties": {"privateLinkServiceConnections": "[coalesce(parameters('conns'), createArray())]"}}}}}}]`
	in, _ := expandWith(t, body, "")
	noErrors(t, in)
	if got := tagsOf(t, in, "pe")["access"]; got != "Disabled" {
		t.Errorf("access %#v, want the default Disabled", got)
	}
	if got, _ := in.Resources[0].Get("properties.privateLinkServiceConnections"); !reflect.DeepEqual(got, []any{}) {
		t.Errorf("connections %#v, want []", got)
	}
}

// TestFail: fail() is an error of the deployment naming the template's
// message, where it is evaluated; in a branch of if() not taken, or under
// a condition not known, it does not fire.
func TestFail(t *testing.T) {
	const msg = "Setting ''autoRotationEnabled'' to false without a ''keyVersion'' is not allowed."
	cases := []struct {
		name, param, value string
		fires              bool
	}{
		{"branch taken", "bool", "false", true},
		{"branch not taken", "bool", "true", false},
		{"condition not known", "bool", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := `"type": "` + c.param + `"`
			if c.value != "" {
				def += `, "defaultValue": ` + c.value
			}
			body := `"parameters": {"autoRotate": {` + def + `}},
"resources": [{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql",
 "properties": {"dataEncryption":
   "[if(parameters('autoRotate'), createObject('type', 'AzureKeyVault'), fail('` + msg + `'))]"}}]`
			in, file := expandWith(t, body, "")
			if len(in.Resources) != 1 {
				t.Fatalf("%d resources", len(in.Resources))
			}
			if !c.fires {
				noErrors(t, in)
				return
			}
			want := "fail() is called: Setting 'autoRotationEnabled' to false without a 'keyVersion' is not allowed."
			if len(in.Errors) != 1 || in.Errors[0].Msg != want || in.Errors[0].File != file || in.Errors[0].Line != 4 ||
				in.Errors[0].Path != "resources[0].properties.dataEncryption" {
				t.Errorf("errors %v, want one at %s:4 saying %q", in.Errors, file, want)
			}
		})
	}
}

// TestNestedParameterExpressions: ARM accepts an expression for a nested
// deployment's whole parameters object, for one parameter's {"value": ...}
// object, and for the value; AVM modules pass private endpoint connections
// this way.
func TestNestedParameterExpressions(t *testing.T) {
	const server = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql"
	const conn = "createArray(createObject('name', 'c', 'properties', createObject('privateLinkServiceId', '" + server + "', 'groupIds', createArray('postgresqlServer'))))"
	cases := []struct {
		name, params string
		tag          any // the tag the child sets from parameter "label"
		conns        int // private link service connections
		errs         string
	}{
		{"per parameter, if() of createObject", `{"label": {"value": "x"}, "conns": "[if(empty(parameters('endpoints')), createObject(), createObject('value', ` + conn + `))]"}`, "x", 1, ""},
		{"per parameter, empty createObject gives the default", `{"conns": "[if(true(), createObject(), createObject('value', ` + conn + `))]"}`, "default", 0, ""},
		{"whole parameters object", `"[createObject('label', createObject('value', 'y'), 'conns', createObject('value', ` + conn + `))]"`, "y", 1, ""},
		{"whole parameters with a value that looks like an expression", `"[createObject('label', createObject('value', '[toUpper(''data'')]'))]"`, "[toUpper('data')]", 0, ""},
		{"whole parameters not known", `"[reference('x').params]"`, nil, -1, ""},
		{"a parameter entry that is not an object", `{"label": "[createArray(1)]"}`, "default", 0, "must be {\"value\": ...}"},
		{"whole parameters that are not an object", `"[createArray()]"`, "default", 0, "must be an object, not array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `"parameters": {"endpoints": {"type": "array", "defaultValue": [{"subnet": "s"}]}},
"resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "pe-deployment",
 "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
  "parameters": ` + c.params + `,
  "template": {` + schema + `, "languageVersion": "2.0",
   "parameters": {"label": {"type": "string", "defaultValue": "default"}, "conns": {"type": "array", "nullable": true}},
   "resources": {"pe": {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-11-01", "name": "pe",
    "tags": {"label": "[parameters('label')]"},
    "properties": {"privateLinkServiceConnections": "[coalesce(parameters('conns'), createArray())]"}}}}}}]`
			in, _ := expandWith(t, body, "")
			if c.errs == "" {
				noErrors(t, in)
			} else if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Msg, c.errs) {
				t.Errorf("errors %v, want one containing %q", in.Errors, c.errs)
			}
			var pe *arm.Resource
			for _, r := range in.Resources {
				if r.Type == "Microsoft.Network/privateEndpoints" {
					pe = r
				}
			}
			if pe == nil {
				t.Fatalf("no private endpoint among %d resources", len(in.Resources))
			}
			label, _ := pe.Get("tags.label")
			conns, _ := pe.Get("properties.privateLinkServiceConnections")
			if c.conns < 0 {
				if _, ok := label.(arm.Unknown); !ok {
					t.Errorf("label %#v, want Unknown", label)
				}
				if _, ok := conns.(arm.Unknown); !ok {
					t.Errorf("connections %#v, want Unknown", conns)
				}
				return
			}
			if label != c.tag {
				t.Errorf("label %#v, want %#v", label, c.tag)
			}
			if list, ok := conns.([]any); !ok || len(list) != c.conns {
				t.Errorf("connections %#v, want %d", conns, c.conns)
			}
			linked := 0
			for _, r := range in.Resources {
				if r.Type == "Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections" && strings.HasPrefix(r.ID, server+"/") {
					linked++
				}
			}
			if linked != c.conns {
				t.Errorf("%d private endpoint connections on the server, want %d", linked, c.conns)
			}
		})
	}
}
