// Package fleet generates synthetic fleets of Azure Database for
// PostgreSQL flexible servers for benchmarks and scale tests, in each input
// format pgbaseline reads: an ARM export, a Terraform module and an ARM
// template. Server i is hardened when i is even and weak when it is odd, so
// that every rule has both outcomes; the output is deterministic.
package fleet

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteExport writes an ARM export ({"value": [...]}) of n servers to w,
// about 11 resources and 5.3 KB a server.
func WriteExport(w io.Writer, n int) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("  ", "  ")
	if _, err := io.WriteString(w, "{\n  \"value\": [\n  "); err != nil {
		return err
	}
	first := true
	emit := func(v any) error {
		if !first {
			if _, err := io.WriteString(w, "  ,"); err != nil {
				return err
			}
		}
		first = false
		return enc.Encode(v)
	}
	for i := 0; i < n; i++ {
		for _, r := range server(i) {
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	_, err := io.WriteString(w, "  ]\n}\n")
	return err
}

func server(i int) []map[string]any {
	sub := fmt.Sprintf("%08x-0000-4000-8000-%012x", i/2000, i/2000)
	rg := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-%d", sub, i/100)
	name := fmt.Sprintf("psql-%06d", i)
	id := rg + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name
	hardened := i%2 == 0
	onOff := map[bool]string{true: "on", false: "off"}[hardened]
	enabled := map[bool]string{true: "Enabled", false: "Disabled"}
	props := map[string]any{
		"version": "16", "state": "Ready", "administratorLogin": "pgadmin",
		"fullyQualifiedDomainName": name + ".postgres.database.azure.com",
		"storage":                  map[string]any{"storageSizeGB": 128, "autoGrow": "Enabled", "tier": "P10"},
		"authConfig":               map[string]any{"activeDirectoryAuth": "Enabled", "passwordAuth": enabled[!hardened]},
		"backup":                   map[string]any{"backupRetentionDays": 7 + 7*(i%4), "geoRedundantBackup": enabled[hardened]},
		"network":                  map[string]any{"publicNetworkAccess": enabled[!hardened]},
		"highAvailability":         map[string]any{"mode": map[bool]string{true: "ZoneRedundant", false: "Disabled"}[hardened]},
		"dataEncryption":           map[string]any{"type": "SystemManaged"},
	}
	out := []map[string]any{{"id": id, "name": name, "type": "Microsoft.DBforPostgreSQL/flexibleServers",
		"location": "westeurope", "sku": map[string]any{"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
		"tags": map[string]any{"env": "prod"}, "properties": props}}
	for _, c := range [][2]string{{"require_secure_transport", onOff}, {"log_checkpoints", "on"}, {"log_connections", "on"},
		{"log_disconnections", onOff}, {"ssl_min_protocol_version", "TLSv1.2"}} {
		out = append(out, map[string]any{"id": id + "/configurations/" + c[0], "name": c[0],
			"type":       "Microsoft.DBforPostgreSQL/flexibleServers/configurations",
			"properties": map[string]any{"value": c[1], "source": "user-override", "dataType": "Boolean"}})
	}
	start := map[bool]string{true: "203.0.113.0", false: "0.0.0.0"}[hardened]
	end := map[bool]string{true: "203.0.113.31", false: "255.255.255.255"}[hardened]
	out = append(out,
		map[string]any{"id": id + "/firewallRules/office", "name": "office", "type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
			"properties": map[string]any{"startIpAddress": start, "endIpAddress": end}},
		map[string]any{"id": id + "/administrators/5b7c9d1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e", "name": "5b7c9d1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e",
			"type":       "Microsoft.DBforPostgreSQL/flexibleServers/administrators",
			"properties": map[string]any{"principalType": "Group", "principalName": "dba", "objectId": "5b7c9d1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e"}},
		map[string]any{"id": id + "/advancedThreatProtectionSettings/Default", "name": "Default",
			"type":       "Microsoft.DBforPostgreSQL/flexibleServers/advancedThreatProtectionSettings",
			"properties": map[string]any{"state": enabled[hardened]}},
		map[string]any{"id": id + "/databases/app", "name": "app", "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
			"properties": map[string]any{"charset": "UTF8", "collation": "en_US.utf8"}},
		map[string]any{"id": id + "/providers/Microsoft.Insights/diagnosticSettings/law", "name": "law", "type": "Microsoft.Insights/diagnosticSettings",
			"properties": map[string]any{"workspaceId": "/subscriptions/" + sub + "/resourceGroups/mon/providers/Microsoft.OperationalInsights/workspaces/law",
				"logs": []any{map[string]any{"categoryGroup": "allLogs", "enabled": hardened}}}},
	)
	return out
}
