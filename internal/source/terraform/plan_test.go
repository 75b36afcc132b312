package terraform

import (
	"os"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

func readPlanFile(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := jsonpos.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestReadPlan(t *testing.T) {
	in, ok := ReadPlan("testdata/plan.json", readPlanFile(t, "testdata/plan.json"))
	if !ok {
		t.Fatal("plan not detected")
	}
	if len(in.Errors) > 0 || in.Kind != "terraform-plan" {
		t.Fatalf("%s %v", in.Kind, in.Errors)
	}
	res := byAddress(t, in)
	srv := res["azurerm_postgresql_flexible_server.main"]
	if srv == nil {
		t.Fatalf("no server: %d resources", len(in.Resources))
	}
	if srv.ID != sub+"/resourceGroups/rg-plan/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-plan" {
		t.Errorf("placeholder id: %s", srv.ID)
	}
	for path, want := range map[string]any{
		"properties.network.publicNetworkAccess":    "Disabled",
		"properties.authConfig.passwordAuth":        "Disabled",
		"properties.authConfig.activeDirectoryAuth": "Enabled",
		"properties.backup.backupRetentionDays":     14.0,
		"properties.backup.geoRedundantBackup":      "Enabled",
		"properties.highAvailability.mode":          "Disabled",
	} {
		if got, _ := srv.Get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if v, _ := srv.Get("properties.authConfig.tenantId"); v != (arm.Unknown{Reason: "known only after apply"}) {
		t.Errorf("after_unknown value: %#v", v)
	}
	conf := res[`module.params["a"].azurerm_postgresql_flexible_server_configuration.this`]
	if conf == nil || conf.Name != "require_secure_transport" {
		t.Fatalf("configuration: %+v", conf)
	}
	if strings.Contains(stringify(srv.Object), "Plan-Pa55") {
		t.Error("the plan's password was copied into the resource")
	}
	if _, ok := ReadPlan("x.json", map[string]any{"value": []any{}}); ok {
		t.Error("an export was taken for a plan")
	}
}

// TestPlanReferences checks that a resource created in the same plan, whose
// id is unknown, is linked to its parent through the configuration.
func TestPlanReferences(t *testing.T) {
	doc := map[string]any{
		"format_version": "1.2",
		"planned_values": map[string]any{"root_module": map[string]any{"resources": []any{
			map[string]any{"address": "azurerm_postgresql_flexible_server.main", "mode": "managed", "type": "azurerm_postgresql_flexible_server", "name": "main",
				"values": map[string]any{"name": "psql", "resource_group_name": "rg"}},
			map[string]any{"address": "azurerm_postgresql_flexible_server_firewall_rule.all", "mode": "managed", "type": "azurerm_postgresql_flexible_server_firewall_rule", "name": "all",
				"values": map[string]any{"name": "all", "start_ip_address": "0.0.0.0", "end_ip_address": "255.255.255.255"}},
		}}},
		"resource_changes": []any{
			map[string]any{"address": "azurerm_postgresql_flexible_server_firewall_rule.all", "change": map[string]any{"after_unknown": map[string]any{"server_id": true, "id": true}}},
		},
		"configuration": map[string]any{"root_module": map[string]any{"resources": []any{
			map[string]any{"address": "azurerm_postgresql_flexible_server_firewall_rule.all", "mode": "managed", "type": "azurerm_postgresql_flexible_server_firewall_rule", "name": "all",
				"expressions": map[string]any{"server_id": map[string]any{"references": []any{"azurerm_postgresql_flexible_server.main.id", "azurerm_postgresql_flexible_server.main"}}}},
		}}},
	}
	in, ok := ReadPlan("plan.json", doc)
	if !ok || len(in.Resources) != 2 {
		t.Fatalf("%v %+v", ok, in)
	}
	if arm.ParentID(in.Resources[1].ID) != in.Resources[0].ID {
		t.Errorf("firewall rule %s not linked to server %s", in.Resources[1].ID, in.Resources[0].ID)
	}
}
