package fleet

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// WriteARMTemplate writes an ARM deployment template of n servers to w, each
// server a resource of its own with its configurations, a firewall rule,
// an administrator, a diagnostic setting and, when hardened, a private
// endpoint. Names and references use template expressions (parameters,
// resourceId, concat), as hand-written templates do, so a reader must
// expand them.
func WriteARMTemplate(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(`{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "location": {"type": "string", "defaultValue": "westeurope"},
    "adminPassword": {"type": "securestring", "defaultValue": ""},
    "subnetId": {"type": "string", "defaultValue": "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/endpoints"},
    "workspaceId": {"type": "string", "defaultValue": "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law"}
  },
  "resources": [`)
	first := true
	for i := 0; i < n; i++ {
		for _, r := range templateServer(i) {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if !first {
				bw.WriteString(",")
			}
			first = false
			bw.WriteString("\n    ")
			bw.Write(data)
		}
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

func templateServer(i int) []map[string]any {
	hardened := i%2 == 0
	name := fmt.Sprintf("psql-%06d", i)
	serverID := fmt.Sprintf("[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', '%s')]", name)
	enabled := map[bool]string{true: "Enabled", false: "Disabled"}
	props := map[string]any{
		"version": "16", "storage": map[string]any{"storageSizeGB": 128},
		"authConfig":       map[string]any{"activeDirectoryAuth": "Enabled", "passwordAuth": enabled[!hardened]},
		"backup":           map[string]any{"backupRetentionDays": 7 + 7*(i%4), "geoRedundantBackup": enabled[hardened]},
		"network":          map[string]any{"publicNetworkAccess": enabled[!hardened]},
		"highAvailability": map[string]any{"mode": map[bool]string{true: "ZoneRedundant", false: "Disabled"}[hardened]},
	}
	if !hardened {
		props["administratorLogin"] = "pgadmin"
		props["administratorLoginPassword"] = "[parameters('adminPassword')]"
	}
	dep := []any{serverID}
	out := []map[string]any{{
		"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": name,
		"location": "[parameters('location')]", "sku": map[string]any{"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
		"properties": props,
	}}
	onOff := map[bool]string{true: "on", false: "off"}[hardened]
	for _, c := range [][2]string{{"require_secure_transport", onOff}, {"log_checkpoints", "on"}, {"log_connections", "on"},
		{"log_disconnections", onOff}, {"connection_throttle.enable", onOff}} {
		out = append(out, map[string]any{"type": "Microsoft.DBforPostgreSQL/flexibleServers/configurations", "apiVersion": "2024-08-01",
			"name": fmt.Sprintf("[concat('%s', '/', '%s')]", name, c[0]), "dependsOn": dep,
			"properties": map[string]any{"value": c[1], "source": "user-override"}})
	}
	start, end := "203.0.113.0", "203.0.113.31"
	if !hardened {
		start, end = "0.0.0.0", "255.255.255.255"
	}
	out = append(out,
		map[string]any{"type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules", "apiVersion": "2024-08-01",
			"name": name + "/office", "dependsOn": dep, "properties": map[string]any{"startIpAddress": start, "endIpAddress": end}},
		map[string]any{"type": "Microsoft.DBforPostgreSQL/flexibleServers/administrators", "apiVersion": "2024-08-01",
			"name": name + "/5b7c9d1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e", "dependsOn": dep,
			"properties": map[string]any{"principalType": "Group", "principalName": "dba", "tenantId": "[subscription().tenantId]"}},
		map[string]any{"type": "Microsoft.Insights/diagnosticSettings", "apiVersion": "2021-05-01-preview", "name": "law",
			"scope": serverID, "dependsOn": dep,
			"properties": map[string]any{"workspaceId": "[parameters('workspaceId')]",
				"logs": []any{map[string]any{"categoryGroup": map[bool]string{true: "allLogs", false: "audit"}[hardened], "enabled": true}}}},
	)
	if hardened {
		out = append(out, map[string]any{"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-11-01", "name": "pe-" + name,
			"location": "[parameters('location')]", "dependsOn": dep,
			"properties": map[string]any{"subnet": map[string]any{"id": "[parameters('subnetId')]"},
				"privateLinkServiceConnections": []any{map[string]any{"name": "psc-" + name, "properties": map[string]any{
					"privateLinkServiceId": serverID, "groupIds": []any{"postgresqlServer"}}}}}})
	}
	return out
}
