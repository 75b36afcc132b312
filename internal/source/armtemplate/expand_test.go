package armtemplate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/internal/source"
)

const examples = "../../../examples/arm-templates"

const rgID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/resourceGroup"

func expandFile(t *testing.T, file string, o Options) *source.Input {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return Expand(file, data, o)
}

// lineOf returns the line of the n-th (from 1) line of file that contains
// needle.
func lineOf(t *testing.T, file, needle string, n int) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, needle) {
			if n--; n == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("%s has no line %q", file, needle)
	return 0
}

func byID(in *source.Input) map[string]*arm.Resource {
	out := map[string]*arm.Resource{}
	for _, r := range in.Resources {
		out[r.ID] = r
	}
	return out
}

func noErrors(t *testing.T, in *source.Input) {
	t.Helper()
	for _, e := range in.Errors {
		t.Errorf("unexpected error: %v", e)
	}
}

func TestQuickstartServer(t *testing.T) {
	file := filepath.Join(examples, "postgres-flexible-server", "azuredeploy.json")
	in := expandFile(t, file, Options{})
	noErrors(t, in)
	if in.Kind != source.KindARMTemplate || len(in.Findings) != 0 {
		t.Errorf("kind %q, findings %v", in.Kind, in.Findings)
	}
	server := rgID + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-orders-prod"
	identity := rgID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-psql-orders-prod-cmk"
	want := []struct {
		id, typ, name, address, parent string
		line                           int
	}{
		{identity, "Microsoft.ManagedIdentity/userAssignedIdentities", "id-psql-orders-prod-cmk", "resources[0]", "", lineOf(t, file, `"type": "Microsoft.ManagedIdentity`, 1) - 1},
		{server, "Microsoft.DBforPostgreSQL/flexibleServers", "psql-orders-prod", "resources[1]", "", lineOf(t, file, `"type": "Microsoft.DBforPostgreSQL/flexibleServers"`, 1) - 1},
		{server + "/configurations/require_secure_transport", "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "require_secure_transport", "resources[1].resources[0]", server, lineOf(t, file, `"type": "configurations"`, 1) - 1},
		{server + "/administrators/3c1f2a9e-7b44-4e0f-9a51-0d6e2b8c7f13", "Microsoft.DBforPostgreSQL/flexibleServers/administrators", "3c1f2a9e-7b44-4e0f-9a51-0d6e2b8c7f13", "resources[1].resources[1]", server, lineOf(t, file, `"type": "administrators"`, 1) - 1},
		{server + "/configurations/log_checkpoints", "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "log_checkpoints", "resources[2]", server, lineOf(t, file, `"type": "Microsoft.DBforPostgreSQL/flexibleServers/configurations"`, 1) - 1},
		{server + "/configurations/log_connections", "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "log_connections", "resources[2]", server, 0},
		{server + "/configurations/connection_throttle.enable", "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "connection_throttle.enable", "resources[2]", server, 0},
		{server + "/firewallRules/office", "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules", "office", "resources[4]", server, 0},
		{server + "/firewallRules/build-agents", "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules", "build-agents", "resources[4]", server, 0},
		{rgID + "/providers/Microsoft.Network/virtualNetworks/vnet-psql-orders-prod", "Microsoft.Network/virtualNetworks", "vnet-psql-orders-prod", "resources[5]", "", 0},
		{rgID + "/providers/Microsoft.Network/privateEndpoints/pe-psql-orders-prod", "Microsoft.Network/privateEndpoints", "pe-psql-orders-prod", "resources[6]", "", 0},
		{"", "Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections", "", "resources[6]", server, lineOf(t, file, `"privateLinkServiceConnections"`, 1) + 1},
		{server + "/providers/Microsoft.Insights/diagnosticSettings/send-to-log-analytics", "Microsoft.Insights/diagnosticSettings", "send-to-log-analytics", "resources[7]", "", 0},
		{server + "/databases/orders", "Microsoft.DBforPostgreSQL/flexibleServers/databases", "orders", "resources[8].properties.template.resources[0]", server, 0},
		{server + "/databases/billing", "Microsoft.DBforPostgreSQL/flexibleServers/databases", "billing", "resources[8].properties.template.resources[0]", server, 0},
	}
	if len(in.Resources) != len(want) {
		for _, r := range in.Resources {
			t.Log(r.ID)
		}
		t.Fatalf("%d resources, want %d", len(in.Resources), len(want))
	}
	for i, w := range want {
		r := in.Resources[i]
		if (w.id != "" && r.ID != w.id) || r.Type != w.typ || (w.name != "" && r.Name != w.name) || r.Address != w.address || arm.ParentID(r.ID) != w.parent {
			t.Errorf("resource %d = %s %s %s %s (parent %s), want %+v", i, r.ID, r.Type, r.Name, r.Address, arm.ParentID(r.ID), w)
		}
		if w.line != 0 && r.Origin.Line != w.line {
			t.Errorf("resource %d (%s) at line %d, want %d", i, r.Name, r.Origin.Line, w.line)
		}
		if r.Origin.File != file {
			t.Errorf("resource %d in %q", i, r.Origin.File)
		}
	}

	srv := byID(in)[server]
	checks := map[string]any{
		"apiVersion":                              "2024-08-01",
		"location":                                "westus",
		"sku.name":                                "Standard_D4ds_v5",
		"properties.version":                      "16",
		"properties.administratorLogin":           "pgadmin",
		"properties.authConfig.passwordAuth":      "Disabled",
		"properties.dataEncryption.primaryKeyURI": "https://kv-orders-prod.vault.azure.net/keys/psql-cmk",
		"properties.dataEncryption.primaryUserAssignedIdentityId": identity,
		"properties.network.publicNetworkAccess":                  "Disabled",
		"properties.storage.storageSizeGB":                        float64(128),
	}
	for path, w := range checks {
		if got, _ := srv.Get(path); got != w {
			t.Errorf("server %s = %#v, want %#v", path, got, w)
		}
	}
	if v, _ := srv.Get("properties.administratorLoginPassword"); !expr.IsUnknown(v) {
		t.Errorf("a Key Vault reference must stay Unknown, got %T", v)
	}
	if _, ok := srv.Get("identity.userAssignedIdentities." + identity); ok {
		t.Errorf("identity keys are expressions in the template and are kept as written")
	}
	for path, needle := range map[string]string{
		"properties.network.publicNetworkAccess":  `"publicNetworkAccess"`,
		"properties.dataEncryption.primaryKeyURI": `"primaryKeyURI"`,
		"properties.administratorLoginPassword":   `"administratorLoginPassword": "[`,
		"sku.tier":                                `"tier": "[parameters('skuTier')]"`,
		"properties.highAvailability.mode":        `"mode": "ZoneRedundant"`,
		"name":                                    `"name": "[parameters('serverName')]"`,
	} {
		if got, want := srv.Line(path), lineOf(t, file, needle, 1); got != want {
			t.Errorf("server Line(%s) = %d, want %d", path, got, want)
		}
	}
	// A property the template does not set falls back to the deepest line known.
	if got, want := srv.Line("properties.doesNotExist"), lineOf(t, file, `"version": "[parameters('postgresVersion')]"`, 1)-1; got != want {
		t.Errorf("server Line(properties.doesNotExist) = %d, want the line of properties, %d", got, want)
	}
	// Copy loop instances point at the template lines of their input.
	cfg := byID(in)[server+"/configurations/log_connections"]
	if got, want := cfg.Line("properties.value"), lineOf(t, file, `"value": "[variables('serverConfigurations')[copyIndex()].value]"`, 1); got != want {
		t.Errorf("configuration Line(properties.value) = %d, want %d", got, want)
	}
	if v := cfg.GetString("properties.value"); v != "on" {
		t.Errorf("log_connections = %q", v)
	}
	// The condition removed shared_preload_libraries.
	if byID(in)[server+"/configurations/shared_preload_libraries"] != nil {
		t.Error("a resource whose condition is false was created")
	}
	// The private endpoint's approved connection on the server.
	var pec *arm.Resource
	for _, r := range in.Resources {
		if strings.HasSuffix(r.Type, "/privateEndpointConnections") {
			pec = r
		}
	}
	if pec.Synthesized == "" || pec.GetString("properties.privateLinkServiceConnectionState.status") != "Approved" ||
		pec.GetString("properties.privateEndpoint.id") != rgID+"/providers/Microsoft.Network/privateEndpoints/pe-psql-orders-prod" ||
		!strings.HasPrefix(pec.Name, "pe-psql-orders-prod.") {
		t.Errorf("private endpoint connection: %s %v", pec.ID, pec.Object)
	}
	// An extension resource, indexed on the server.
	set := arm.NewSet(in.Resources...)
	if ds := set.Extensions(server, "Microsoft.Insights/diagnosticSettings"); len(ds) != 1 || ds[0].Line("properties.logs.0.categoryGroup") != lineOf(t, file, `"categoryGroup": "allLogs"`, 1) {
		t.Errorf("diagnostic settings on the server: %v", ds)
	}
	if fw := set.Children(server, "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules"); len(fw) != 2 || fw[1].GetString("properties.startIpAddress") != "198.51.100.0" {
		t.Errorf("firewall rules: %v", fw)
	}
}

func TestServerFleetCopyLoop(t *testing.T) {
	file := filepath.Join(examples, "server-fleet", "main.json")
	in := expandFile(t, file, Options{Subscription: "6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90", ResourceGroup: "rg-fleet", Location: "northeurope"})
	noErrors(t, in)
	if len(in.Resources) != 9 {
		t.Fatalf("%d resources, want 3 servers with 2 configurations each", len(in.Resources))
	}
	set := arm.NewSet(in.Resources...)
	servers := set.OfType("Microsoft.DBforPostgreSQL/flexibleServers")
	wantAccess := []string{"Disabled", "Enabled", "Disabled"}
	for i, s := range servers {
		name := []string{"psql-fleet-001", "psql-fleet-002", "psql-fleet-003"}[i]
		if s.ID != "/subscriptions/6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90/resourceGroups/rg-fleet/providers/Microsoft.DBforPostgreSQL/flexibleServers/"+name {
			t.Errorf("server %d id %s", i, s.ID)
		}
		if s.Location() != "northeurope" || s.GetString("properties.network.publicNetworkAccess") != wantAccess[i] || s.GetString("tags.fleetIndex") != []string{"0", "1", "2"}[i] {
			t.Errorf("server %d: %v", i, s.Object)
		}
		if v, _ := s.Get("properties.backup.backupRetentionDays"); v != int64(7+i) {
			t.Errorf("server %d retention %#v", i, v)
		}
		if got := set.Children(s.ID, "Microsoft.DBforPostgreSQL/flexibleServers/configurations"); len(got) != 2 {
			t.Errorf("server %d has %d configurations", i, len(got))
		}
		if s.Line("properties.network.publicNetworkAccess") != lineOf(t, file, `"publicNetworkAccess"`, 1) {
			t.Errorf("server %d line of publicNetworkAccess %d", i, s.Line("properties.network.publicNetworkAccess"))
		}
	}
	// A parameter file given explicitly changes the count.
	pf := filepath.Join(t.TempDir(), "five.parameters.json")
	os.WriteFile(pf, []byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {"serverCount": {"value": 5}, "undeclared": {"value": 1}}}`), 0o600)
	if in := expandFile(t, file, Options{ParamFiles: []string{pf}}); len(in.Resources) != 15 || len(in.Errors) != 0 {
		t.Errorf("with serverCount 5: %d resources, errors %v", len(in.Resources), in.Errors)
	}
}

func TestBicepCompiledTemplate(t *testing.T) {
	file := filepath.Join(examples, "bicep-avm", "main.json")
	in := expandFile(t, file, Options{})
	noErrors(t, in)
	server := rgID + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-avm-001"
	want := []struct{ address, id string }{
		{"server", server},
		{"serverConfigurations[0]", server + "/configurations/log_checkpoints"},
		{"serverConfigurations[1]", server + "/configurations/log_disconnections"},
		{"secureTransport", server + "/configurations/require_secure_transport"},
		{"diagnostics", server + "/providers/Microsoft.Insights/diagnosticSettings/psql-avm-001-diagnostics"},
	}
	if len(in.Resources) != len(want) {
		for _, r := range in.Resources {
			t.Log(r.Address, r.ID)
		}
		t.Fatalf("%d resources, want %d (existing resources and the lock whose condition is false are not created)", len(in.Resources), len(want))
	}
	for i, w := range want {
		if r := in.Resources[i]; r.Address != w.address || r.ID != w.id || r.Origin.Line != lineOf(t, file, `"`+strings.Split(w.address, "[")[0]+`": {`, 1) {
			t.Errorf("resource %d = %s %s line %d, want %+v", i, r.Address, r.ID, r.Origin.Line, w)
		}
	}
	srv := in.Resources[0]
	if srv.GetString("tags.workload") != "psql:psql-avm-001" || srv.APIVersion() != "2024-08-01" {
		t.Errorf("user-defined function or api version: %v", srv.Object)
	}
	if v, _ := srv.Get("properties.dataEncryption.primaryKeyURI"); !expr.IsUnknown(v) {
		t.Errorf("a key URI read from reference() must be Unknown, got %#v", v)
	}
}

func TestLinkedAndNestedDeployments(t *testing.T) {
	file := filepath.Join(examples, "linked-template", "main.json")
	in := expandFile(t, file, Options{})
	noErrors(t, in)
	sub := "/subscriptions/00000000-0000-0000-0000-000000000000"
	got := byID(in)
	linked := filepath.Join(examples, "linked-template", "nested", "server.json")
	for env, ha := range map[string]string{"dev": "Disabled", "prod": "ZoneRedundant"} {
		r := got[sub+"/resourceGroups/rg-orders-"+env+"/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-orders-"+env]
		if r == nil {
			t.Fatalf("no %s server in %v", env, got)
		}
		if r.Origin.File != linked || r.Origin.Line != lineOf(t, linked, `"type": "Microsoft.DBforPostgreSQL/flexibleServers"`, 1)-1 ||
			r.GetString("properties.highAvailability.mode") != ha || r.Line("properties.highAvailability.mode") != lineOf(t, linked, `"highAvailability"`, 2) {
			t.Errorf("%s server: %s:%d %v", env, r.Origin.File, r.Origin.Line, r.Object)
		}
	}
	mon := got[rgID+"/providers/Microsoft.Resources/deployments/shared-monitoring"]
	if v, _ := mon.Get("properties.template"); !expr.IsUnknown(v) || strings.Contains(v.(arm.Unknown).Reason, "?") {
		t.Errorf("a remote template link must be Unknown: %#v", v)
	}
	if got[rgID+"/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-orders-prod/configurations/log_checkpoints"] == nil {
		t.Error("the outer-scope nested template did not read its parent's parameter")
	}
}

func TestLiteralSecrets(t *testing.T) {
	dir := filepath.Join(examples, "literal-secrets")
	file := filepath.Join(dir, "main.json")
	in := expandFile(t, file, Options{})
	noErrors(t, in)
	if len(in.Findings) != 2 {
		t.Fatalf("findings: %+v", in.Findings)
	}
	params := filepath.Join(dir, "main.parameters.json")
	want := []struct {
		file, needle, param string
		onServer            bool
	}{
		{params, `"value": "another-plain-text-secret"`, "replicationPassword", false},
		{file, `"defaultValue": "Pa55w0rd-in-the-template!"`, "administratorLoginPassword", true},
	}
	for i, w := range want {
		f := in.Findings[i]
		if f.RuleID != RuleLiteralSecret || f.Status != "NonCompliant" || f.File != w.file || f.Line != lineOf(t, w.file, w.needle, 1) ||
			!strings.Contains(f.Message, w.param) || (f.Resource != nil) != w.onServer {
			t.Errorf("finding %d = %+v, want %+v", i, f, w)
		}
		if strings.Contains(f.Message, "Pa55w0rd") || strings.Contains(f.Message, "another-plain") || strings.Contains(expr.CompactJSON(f.Evidence), "Pa55w0rd") {
			t.Errorf("finding %d echoes the secret: %s", i, f.Message)
		}
	}
	if r := in.Findings[1].Resource; r == nil || r.Type != "Microsoft.DBforPostgreSQL/flexibleServers" {
		t.Errorf("the template default should be reported on the server that reads it")
	}
	// Key Vault references and generated defaults are not findings.
	if in := expandFile(t, filepath.Join(examples, "postgres-flexible-server", "azuredeploy.json"), Options{}); len(in.Findings) != 0 {
		t.Errorf("findings on a template whose secret is a Key Vault reference: %+v", in.Findings)
	}
}

func TestReaderDetection(t *testing.T) {
	read := Reader(Options{})
	for _, tc := range []struct {
		name, doc string
		handled   bool
		resources int
	}{
		{"t.json", `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [{"type": "Microsoft.KeyVault/vaults", "name": "kv", "apiVersion": "2023-07-01"}]}`, true, 1},
		{"t.parameters.json", `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}}`, true, -1},
		{"export.json", `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "type": "Microsoft.KeyVault/vaults"}`, false, -1},
		{"package.json", `{"name": "x"}`, false, -1},
	} {
		in, ok := read(tc.name, []byte(tc.doc), mustDecode(t, tc.doc), nil)
		if ok != tc.handled || (tc.resources < 0) != (in == nil) || (in != nil && len(in.Resources) != tc.resources) {
			t.Errorf("%s: handled %v, input %+v", tc.name, ok, in)
		}
	}
}
