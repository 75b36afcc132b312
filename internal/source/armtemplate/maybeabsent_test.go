package armtemplate

import (
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// TestMaybeAbsent: a copy loop whose count is not known before deployment
// gives one representative instance, and a resource whose condition is not
// known is kept; both are MaybeAbsent with the reason, naming the loop or
// the condition, and the input has a note at the template line. Resources
// of a nested deployment inherit it.
func TestMaybeAbsent(t *testing.T) {
	const endpoint = `"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-11-01",
 "properties": {"privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', 'psql')]", "groupIds": ["postgresqlServer"]}}]}`
	cases := []struct {
		name, body string
		// present are names of resources that must exist and not be
		// MaybeAbsent; absent maps names to a part of their MaybeAbsent.
		present []string
		absent  map[string]string
		notes   []string // parts of the notes, one each
	}{
		{
			name: "copy count from reference()",
			body: `"resources": [{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql"},
{"copy": {"name": "endpoints",
  "count": "[length(reference('vnet').subnets)]"},
 "name": "[format('pe-{0}', copyIndex())]", ` + endpoint + `}]`,
			present: []string{"psql"},
			absent: map[string]string{
				"pe-0": `the copy loop "endpoints" has a count not known before deployment (reference()`,
				// The connection the endpoint would make.
				"pe-0.": `the copy loop "endpoints"`,
			},
			notes: []string{`main.json:4: resources[1].copy.count: the copy loop "endpoints" has a count not known`},
		},
		{
			name: "copy count from a parameter without a value",
			body: `"parameters": {"n": {"type": "int"}},
"resources": [{"copy": {"name": "servers", "count": "[parameters('n')]"}, "type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "[format('psql-{0}', copyIndex(1))]"}]`,
			absent: map[string]string{"psql-1": `parameter "n" has no value`},
			notes:  []string{`main.json:3: resources[0].copy.count: the copy loop "servers"`},
		},
		{
			name: "condition not known",
			body: `"parameters": {"deployEndpoint": {"type": "bool"}},
"resources": [{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql"},
{"condition": "[parameters('deployEndpoint')]", "name": "pe", ` + endpoint + `}]`,
			present: []string{"psql"},
			absent: map[string]string{
				"pe":  `the condition of resources[1] is not known before deployment (parameter "deployEndpoint" has no value`,
				"pe.": `the condition of resources[1] is not known`,
			},
			notes: []string{`main.json:4: resources[1].condition: the condition of resources[1] is not known`},
		},
		{
			name: "nested deployment under an unknown condition",
			body: `"resources": [{"condition": "[equals(reference('kv').enabled, true())]", "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "module",
 "properties": {"mode": "Incremental", "template": {` + schema + `, "resources": [
  {"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql",
   "resources": [{"type": "configurations", "apiVersion": "2024-08-01", "name": "log_connections", "properties": {"value": "on"}}]}]}}}]`,
			absent: map[string]string{
				"psql":            "the condition of resources[0] is not known",
				"log_connections": "the condition of resources[0] is not known",
			},
			notes: []string{"resources[0].condition"},
		},
		{
			// The private endpoints of an AVM-style module whose list comes
			// from another deployment's output: the count and the
			// deployment's name are unknown, and the endpoint inside is
			// still expanded, linked, and may be absent.
			name: "module loop over an output",
			body: `"resources": [{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql"},
{"copy": {"name": "server_privateEndpoints",
  "count": "[length(coalesce(reference('network').outputs.endpoints.value, createArray()))]"},
 "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
 "name": "[coalesce(tryGet(reference('network').outputs.endpoints.value[copyIndex()], 'name'), format('pe-{0}', copyIndex()))]",
 "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
  "parameters": {"index": {"value": "[copyIndex()]"}},
  "template": {` + schema + `, "parameters": {"index": {"type": "int"}},
   "resources": [{"name": "[format('pe-{0}', parameters('index'))]", ` + endpoint + `}]}}}]`,
			present: []string{"psql"},
			absent: map[string]string{
				"pe-0":  `the copy loop "server_privateEndpoints" has a count not known`,
				"pe-0.": `the copy loop "server_privateEndpoints" has a count not known`,
			},
			notes: []string{`resources[1].copy.count: the copy loop "server_privateEndpoints"`},
		},
		{
			name:    "known count and condition",
			body:    `"resources": [{"copy": {"name": "servers", "count": 2}, "condition": "[equals(copyIndex(), 1)]", "type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "[format('psql-{0}', copyIndex())]"}]`,
			present: []string{"psql-1"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, _ := expandWith(t, c.body, "")
			noErrors(t, in)
			got := map[string]*arm.Resource{}
			for _, r := range in.Resources {
				name := r.Name
				if strings.Contains(name, ".") {
					name = name[:strings.Index(name, ".")+1]
				}
				got[name] = r
			}
			if len(got) != len(c.present)+len(c.absent) {
				t.Errorf("%d resources, want %d", len(in.Resources), len(c.present)+len(c.absent))
			}
			for _, n := range c.present {
				if r := got[n]; r == nil || r.MaybeAbsent != "" {
					t.Errorf("%s: %+v, want it present", n, r)
				}
			}
			for n, why := range c.absent {
				if r := got[n]; r == nil || !strings.Contains(r.MaybeAbsent, why) {
					t.Errorf("%s: want MaybeAbsent containing %q, got %+v", n, why, r)
				}
			}
			if len(in.Notes) != len(c.notes) {
				t.Fatalf("notes %q, want %d", in.Notes, len(c.notes))
			}
			for i, n := range c.notes {
				if !strings.Contains(in.Notes[i], n) || !strings.Contains(in.Notes[i], "main.json") {
					t.Errorf("note %q does not name the file and contain %q", in.Notes[i], n)
				}
			}
		})
	}
}

// TestPropertyCopyOfUnknownCount: a property copy loop whose count is not
// known gives an Unknown property, not an empty array that would read as
// "none".
func TestPropertyCopyOfUnknownCount(t *testing.T) {
	body := `"parameters": {"rules": {"type": "array"}},
"resources": [{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-11-01", "name": "nsg",
 "properties": {"copy": [{"name": "securityRules", "count": "[length(parameters('rules'))]", "input": "[parameters('rules')[copyIndex('securityRules')]]"}]}}]`
	in, _ := expandWith(t, body, "")
	noErrors(t, in)
	v, _ := in.Resources[0].Get("properties.securityRules")
	if u, ok := v.(arm.Unknown); !ok || !strings.Contains(u.Reason, `the copy loop "securityRules"`) {
		t.Errorf("securityRules %#v, want Unknown naming the loop", v)
	}
}

// TestUnresolvedDeployments: a nested deployment that cannot be expanded
// adds an arm.Unresolved, scoped to the resource its parameters name when
// they name one, so that existence checks on what it may create are
// Unknown; the error or the emitted deployment stays as before.
func TestUnresolvedDeployments(t *testing.T) {
	const server = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql"
	cases := []struct {
		name, props string
		scope       string
		reason      string
		err         string
	}{
		{"template link to a URL", `"templateLink": {"uri": "https://example.com/pe.json?sv=secret-token"},
  "parameters": {"serverId": {"value": "` + server + `"}, "name": {"value": "pe"}}`,
			server, "the linked template https://example.com/pe.json?... is not read offline", ""},
		{"two resource ids in the parameters", `"templateLink": {"uri": "https://example.com/pe.json"},
  "parameters": {"serverId": {"value": "` + server + `"}, "subnetId": {"value": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"}}`,
			"", "is not read offline", ""},
		{"template spec", `"templateLink": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Resources/templateSpecs/pg/versions/1"}`,
			"", "names no local file", ""},
		{"template not known", `"template": "[reference('spec').template]"`,
			"", "its template is not known before deployment", ""},
		{"missing linked file", `"templateLink": {"relativePath": "nested/missing.json"}`,
			"", "does not exist", ""},
		{"neither template nor link", `"mode": "Incremental"`,
			"", "neither a template nor a templateLink", "needs a template or a templateLink"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `"resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "pe-module",
 "properties": {` + c.props + `}}]`
			in, file := expandWith(t, body, "")
			if c.err == "" {
				noErrors(t, in)
			} else if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Msg, c.err) {
				t.Errorf("errors %v, want one containing %q", in.Errors, c.err)
			}
			if len(in.Unresolved) != 1 {
				t.Fatalf("unresolved %+v, want one", in.Unresolved)
			}
			u := in.Unresolved[0]
			if u.Scope != c.scope || u.Type != "" || u.Origin.File != file || u.Origin.Line != 2 ||
				!strings.Contains(u.Reason, "pe-module") || !strings.Contains(u.Reason, c.reason) {
				t.Errorf("unresolved %+v, want scope %q and a reason naming pe-module and containing %q", u, c.scope, c.reason)
			}
			if strings.Contains(u.Reason, "secret-token") {
				t.Errorf("the reason %q prints the link's SAS token", u.Reason)
			}
		})
	}
}
