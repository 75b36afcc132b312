package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
)

const examples = "../../../examples/terraform"

const sub = "/subscriptions/" + PlaceholderSubscription

func byAddress(t *testing.T, in *source.Input) map[string]*arm.Resource {
	t.Helper()
	out := map[string]*arm.Resource{}
	for _, r := range in.Resources {
		key := r.Address
		if strings.HasSuffix(r.Type, "/privateEndpointConnections") {
			key += "#connection"
		}
		out[key] = r
	}
	return out
}

func get(t *testing.T, r *arm.Resource, path string) any {
	t.Helper()
	v, ok := r.Get(path)
	if !ok {
		t.Fatalf("%s: %s is absent", r.Address, path)
	}
	return v
}

func TestHardenedExample(t *testing.T) {
	dir := filepath.Join(examples, "hardened")
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	if in.Kind != source.KindTerraform || in.Location != dir {
		t.Errorf("input kind/location: %s %s", in.Kind, in.Location)
	}
	if len(in.Findings) != 0 {
		t.Errorf("findings on the hardened example: %+v", in.Findings)
	}
	res := byAddress(t, in)
	const api = `module.postgresql["api"].`
	srv := res[api+"azurerm_postgresql_flexible_server.this"]
	if srv == nil {
		t.Fatalf("no server; got %d resources", len(in.Resources))
	}
	wantID := sub + "/resourceGroups/rg-orders-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-orders-prod-api"
	if srv.ID != wantID || srv.Type != flexserver.ServerType || srv.Name != "psql-orders-prod-api" {
		t.Errorf("server id/type/name: %s %s %s", srv.ID, srv.Type, srv.Name)
	}
	module := filepath.Join(examples, "modules", "postgresql", "main.tf")
	if srv.Origin.File != module || srv.Origin.Line != 19 {
		t.Errorf("server origin: %+v", srv.Origin)
	}
	for path, want := range map[string]any{
		"properties.network.publicNetworkAccess":                  "Disabled",
		"properties.authConfig.passwordAuth":                      "Disabled",
		"properties.authConfig.activeDirectoryAuth":               "Enabled",
		"properties.dataEncryption.type":                          "AzureKeyVault",
		"properties.dataEncryption.primaryKeyURI":                 "https://kv-orders-prod.vault.azure.net/keys/psql-orders-prod-cmk",
		"properties.backup.backupRetentionDays":                   35.0,
		"properties.backup.geoRedundantBackup":                    "Enabled",
		"properties.highAvailability.mode":                        "ZoneRedundant",
		"properties.version":                                      "16",
		"sku.tier":                                                "GeneralPurpose",
		"properties.dataEncryption.primaryUserAssignedIdentityId": sub + "/resourceGroups/rg-orders-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-orders-prod-cmk",
	} {
		if got := get(t, srv, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if _, ok := srv.Get("properties.administratorLogin"); ok {
		t.Error("administratorLogin set although password authentication is off")
	}
	if u, ok := get(t, srv, "properties.authConfig.tenantId").(arm.Unknown); !ok || !strings.Contains(u.Reason, "data.azurerm_client_config.current") {
		t.Errorf("tenantId should be unknown from the data source: %#v", get(t, srv, "properties.authConfig.tenantId"))
	}
	// Lines: the attribute's line, or the block's when the attribute is absent.
	for path, want := range map[string]int{
		"properties.network.publicNetworkAccess":    28,
		"properties.authConfig.passwordAuth":        35,
		"properties.backup.backupRetentionDays":     29,
		"properties.highAvailability.mode":          42,
		"properties.dataEncryption.primaryKeyURI":   58,
		"properties.maintenanceWindow.customWindow": 19,
	} {
		if got := srv.Line(path); got != want {
			t.Errorf("Line(%s) = %d, want %d", path, got, want)
		}
	}
	// The reporting server takes its own version and SKU from tfvars.
	rep := res[`module.postgresql["reporting"].azurerm_postgresql_flexible_server.this`]
	if rep == nil || get(t, rep, "properties.version") != "17" || get(t, rep, "sku.tier") != "MemoryOptimized" {
		t.Fatalf("reporting server: %+v", rep)
	}
	// Configurations from for_each over merged maps link to their server.
	conf := res[api+`azurerm_postgresql_flexible_server_configuration.this["ssl_min_protocol_version"]`]
	if conf == nil || arm.ParentID(conf.ID) != srv.ID || conf.Name != "ssl_min_protocol_version" || get(t, conf, "properties.value") != "TLSv1.3" {
		t.Fatalf("configuration: %+v", conf)
	}
	audit := res[`module.postgresql["reporting"].azurerm_postgresql_flexible_server_configuration.this["pgaudit.log"]`]
	if audit == nil || get(t, audit, "properties.value") != "ddl,role,write" {
		t.Errorf("per-server parameter override: %+v", audit)
	}
	if n := countType(in, flexserver.ConfigurationType); n != 28 {
		t.Errorf("%d configurations, want 28 (9 on each for_each server, 10 on the analytics server)", n)
	}
	// The second call of the module, with count, and the module's defaults.
	an := res[`module.analytics[0].azurerm_postgresql_flexible_server.this`]
	if an == nil || get(t, an, "properties.highAvailability.mode") != "SameZone" || get(t, an, "properties.authConfig.passwordAuth") != "Disabled" ||
		get(t, an, "properties.dataEncryption.geoBackupKeyURI") != "https://kv-orders-prod-dr.vault.azure.net/keys/psql-orders-prod-cmk-geo" {
		t.Errorf("analytics server: %+v", an)
	}
	if n := countType(in, flexserver.ServerType); n != 3 {
		t.Errorf("%d servers, want 3", n)
	}
	admin := res[api+"azurerm_postgresql_flexible_server_active_directory_administrator.this[0]"]
	if admin == nil || arm.ParentID(admin.ID) != srv.ID || get(t, admin, "properties.principalType") != "Group" {
		t.Errorf("Entra administrator: %+v", admin)
	}
	pec := res[api+"azurerm_private_endpoint.this[0]#connection"]
	if pec == nil || arm.ParentID(pec.ID) != srv.ID || get(t, pec, "properties.privateLinkServiceConnectionState.status") != "Approved" {
		t.Errorf("private endpoint connection: %+v", pec)
	}
	diag := res[api+"azurerm_monitor_diagnostic_setting.this[0]"]
	if diag == nil || arm.ScopeID(diag.ID) != srv.ID || get(t, diag, "properties.logs.0.categoryGroup") != "allLogs" ||
		get(t, diag, "properties.logs.0.enabled") != true {
		t.Errorf("diagnostic setting: %+v", diag)
	}
	// The log list points at the first enabled_log block; the metrics,
	// which the code leaves out, at the resource block.
	if l, m := diag.Line("properties.logs[*]"), diag.Line("properties.metrics[*]"); l != 123 || m != 116 {
		t.Errorf("diagnostic setting lines: logs %d, metrics %d; want 123, 116", l, m)
	}
	subnet := res["azurerm_subnet.endpoints"]
	nsg := res["azurerm_network_security_group.endpoints"]
	if subnet == nil || nsg == nil || get(t, subnet, "properties.networkSecurityGroup.id") != nsg.ID {
		t.Errorf("subnet NSG association: %+v", subnet)
	}
	if get(t, subnet, "properties.addressPrefixes.0") != "10.20.1.0/24" {
		t.Errorf("cidrsubnet: %v", get(t, subnet, "properties.addressPrefixes"))
	}
	if get(t, nsg, "properties.securityRules.0.properties.priority") != 100.0 {
		t.Errorf("security rule: %v", get(t, nsg, "properties.securityRules"))
	}
	key := res["azurerm_key_vault_key.postgres"]
	if key == nil || get(t, key, "properties.rotationPolicy.lifetimeActions.0.action.type") != "rotate" {
		t.Errorf("key rotation: %+v", key)
	}
}

func countType(in *source.Input, typ string) int {
	n := 0
	for _, r := range in.Resources {
		if strings.EqualFold(r.Type, typ) {
			n++
		}
	}
	return n
}

func TestInsecureExample(t *testing.T) {
	dir := filepath.Join(examples, "insecure")
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	res := byAddress(t, in)
	srv := res["azurerm_postgresql_flexible_server.legacy"]
	if srv == nil {
		t.Fatal("no legacy server")
	}
	// azurerm defaults for arguments the code leaves out.
	for path, want := range map[string]any{
		"properties.network.publicNetworkAccess":    "Enabled",
		"properties.authConfig.passwordAuth":        "Enabled",
		"properties.authConfig.activeDirectoryAuth": "Disabled",
		"properties.backup.geoRedundantBackup":      "Disabled",
		"properties.highAvailability.mode":          "Disabled",
		"properties.dataEncryption.type":            "SystemManaged",
		"properties.administratorLogin":             "psqladmin",
	} {
		if got := get(t, srv, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if srv.Line("properties.network.publicNetworkAccess") != 34 {
		t.Errorf("a default points at the block: %d", srv.Line("properties.network.publicNetworkAccess"))
	}
	if len(srv.Suppressions) != 1 || srv.Suppressions[0].RuleID != "AZP-c29c38cb" || srv.Suppressions[0].Expires.Format("2006-01-02") != "2027-06-30" ||
		srv.Suppressions[0].Origin.Line != 33 || !strings.HasPrefix(srv.Suppressions[0].Reason, "Legacy clients") {
		t.Errorf("suppressions: %+v", srv.Suppressions)
	}
	fw := res["azurerm_postgresql_flexible_server_firewall_rule.everyone"]
	if fw == nil || arm.ParentID(fw.ID) != srv.ID || get(t, fw, "properties.endIpAddress") != "255.255.255.255" || fw.Line("properties.endIpAddress") != 57 {
		t.Errorf("firewall rule: %+v", fw)
	}
	rts := res[`azurerm_postgresql_flexible_server_configuration.insecure["require_secure_transport"]`]
	if rts == nil || arm.ParentID(rts.ID) != srv.ID || get(t, rts, "properties.value") != "off" {
		t.Errorf("require_secure_transport: %+v", rts)
	}
	mod := res["module.reporting.azurerm_postgresql_flexible_server.this"]
	if mod == nil || get(t, mod, "properties.network.publicNetworkAccess") != "Enabled" {
		t.Fatalf("module server: %+v", mod)
	}

	// Findings: the literal password, the connection string, the tfvars
	// password and the module password that comes from it.
	type want struct {
		file     string
		line     int
		resource string
	}
	wants := []want{
		{filepath.Join(dir, "main.tf"), 40, "azurerm_postgresql_flexible_server.legacy"},
		{filepath.Join(dir, "main.tf"), 21, ""},
		{filepath.Join(dir, "terraform.tfvars"), 1, ""},
		{filepath.Join(examples, "modules", "postgresql", "main.tf"), 27, "module.reporting.azurerm_postgresql_flexible_server.this"},
	}
	if len(in.Findings) != len(wants) {
		t.Errorf("%d findings, want %d: %+v", len(in.Findings), len(wants), in.Findings)
	}
	for _, w := range wants {
		found := false
		for _, f := range in.Findings {
			addr := ""
			if f.Resource != nil {
				addr = f.Resource.Address
			}
			if f.File == w.file && f.Line == w.line && addr == w.resource && f.RuleID == RuleLiteralSecret && f.Status == "NonCompliant" {
				found = true
			}
		}
		if !found {
			t.Errorf("no finding at %s:%d on %q", w.file, w.line, w.resource)
		}
	}
	assertNoSecrets(t, in, "H@Sh1CoR3!", "S3cr3t-Pa55", "Rep0rt!ng-2024")
}

// assertNoSecrets fails when a secret appears in a finding or error.
func assertNoSecrets(t *testing.T, in *source.Input, secrets ...string) {
	t.Helper()
	var texts []string
	for _, f := range in.Findings {
		texts = append(texts, f.Message)
		for k, v := range f.Evidence {
			texts = append(texts, k, strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(stringify(v), "\n", " "), "\t", " ")))
		}
	}
	for _, e := range in.Errors {
		texts = append(texts, e.Error())
	}
	for _, r := range in.Resources {
		texts = append(texts, stringify(r.Object))
	}
	for _, s := range secrets {
		for _, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("secret %q printed in %q", s[:2]+"...", txt)
			}
		}
	}
}

func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		var b strings.Builder
		for k, e := range x {
			b.WriteString(k + "=" + stringify(e) + " ")
		}
		return b.String()
	case []any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(stringify(e) + " ")
		}
		return b.String()
	}
	return ""
}

// writeModule writes files into a new temporary directory.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
