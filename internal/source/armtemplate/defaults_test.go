package armtemplate

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// TestServerDefaults checks the properties Azure fills in when a template
// creates a flexible server without them.
func TestServerDefaults(t *testing.T) {
	const server = `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {"subnet": {"type": "string", "defaultValue": ""}},
  "resources": [{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql", "location": "westeurope",
    "properties": %s}]}`
	cases := []struct {
		name, props string
		want        map[string]any // path -> value; nil value: absent
	}{
		{"nothing set", `{"version": "16"}`, map[string]any{
			"properties.network.publicNetworkAccess":    "Enabled",
			"properties.authConfig.activeDirectoryAuth": "Disabled",
			"properties.authConfig.passwordAuth":        "Enabled",
			"properties.dataEncryption.type":            "SystemManaged",
			"properties.backup.backupRetentionDays":     float64(7),
			"properties.backup.geoRedundantBackup":      "Disabled",
			"properties.highAvailability.mode":          "Disabled",
			"properties.storage.autoGrow":               "Disabled",
		}},
		{"written values are kept", `{"network": {"publicNetworkAccess": "Disabled"}, "authConfig": {"activeDirectoryAuth": "Enabled"}, "backup": {"backupRetentionDays": 14}}`, map[string]any{
			"properties.network.publicNetworkAccess":    "Disabled",
			"properties.authConfig.activeDirectoryAuth": "Enabled",
			"properties.authConfig.passwordAuth":        "Enabled",
			"properties.backup.backupRetentionDays":     float64(14),
		}},
		{"a delegated subnet means private access", `{"network": {"delegatedSubnetResourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}}`, map[string]any{
			"properties.network.publicNetworkAccess": "Disabled",
		}},
		{"a null subnet (the quickstart's if(..., json('null'), ...)) means public access", `{"network": {"delegatedSubnetResourceId": "[if(empty(parameters('subnet')), json('null'), parameters('subnet'))]"}}`, map[string]any{
			"properties.network.publicNetworkAccess": "Enabled",
		}},
		{"a key without a type is left to Azure", `{"dataEncryption": {"primaryKeyURI": "https://kv.vault.azure.net/keys/k"}}`, map[string]any{
			"properties.dataEncryption.type": nil,
		}},
		{"a replica takes its source's settings", `{"createMode": "Replica", "sourceServerResourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/primary"}`, map[string]any{
			"properties.network.publicNetworkAccess": nil,
			"properties.authConfig.passwordAuth":     nil,
		}},
		{"createMode Create is a new server", `{"createMode": "Create"}`, map[string]any{
			"properties.network.publicNetworkAccess": "Enabled",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "main.json")
			in := Expand(file, []byte(fmt.Sprintf(server, c.props)), Options{})
			noErrors(t, in)
			if len(in.Resources) != 1 {
				t.Fatalf("%d resources", len(in.Resources))
			}
			r := in.Resources[0]
			for path, want := range c.want {
				got, ok := r.Get(path)
				if want == nil {
					if ok {
						t.Errorf("%s = %#v, want it left out", path, got)
					}
					continue
				}
				if !ok || got != want {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
			// A default has no line of its own: it points at the nearest
			// object the template writes.
			if l := r.Line("properties.network.publicNetworkAccess"); l < 1 || l > 5 {
				t.Errorf("line of a default: %d", l)
			}
		})
	}
	// A subnet that is unknown before deployment leaves public access unknown.
	file := filepath.Join(t.TempDir(), "main.json")
	in := Expand(file, []byte(fmt.Sprintf(server, `{"network": {"delegatedSubnetResourceId": "[reference('vnet').subnets[0].id]"}}`)), Options{})
	noErrors(t, in)
	if len(in.Resources) != 1 {
		t.Fatalf("%d resources", len(in.Resources))
	}
	if v, _ := in.Resources[0].Get("properties.network.publicNetworkAccess"); !isUnknown(v) {
		t.Errorf("public access with an unknown subnet: %#v", v)
	}
}

func isUnknown(v any) bool {
	_, ok := v.(arm.Unknown)
	return ok
}
