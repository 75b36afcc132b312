package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fleetModule writes a root module that declares n servers through a map
// variable, each with configurations, firewall rules and a diagnostic
// setting, the way fleet repositories do with for_each.
func fleetModule(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	var vars strings.Builder
	vars.WriteString("servers = {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&vars, "  s%04d = { version = \"16\", public = %v }\n", i, i%3 == 0)
	}
	vars.WriteString("}\n")
	main := `
variable "servers" {
  type = map(object({ version = string, public = bool }))
}
locals {
  parameters = { require_secure_transport = "on", log_connections = "on", "pgaudit.log" = "ddl" }
  server_parameters = merge([for s, _ in var.servers : { for p, v in local.parameters : "${s}/${p}" => { server = s, name = p, value = v } }]...)
  firewall = merge([for s, cfg in var.servers : cfg.public ? { "${s}/office" = { server = s, start = "203.0.113.0", end = "203.0.113.255" }, "${s}/azure" = { server = s, start = "0.0.0.0", end = "0.0.0.0" } } : {}]...)
}
resource "azurerm_postgresql_flexible_server" "this" {
  for_each                      = var.servers
  name                          = "psql-${each.key}"
  resource_group_name           = "rg-fleet"
  location                      = "westeurope"
  version                       = each.value.version
  sku_name                      = "GP_Standard_D2ds_v5"
  public_network_access_enabled = each.value.public
  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
}
resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each  = local.server_parameters
  name      = each.value.name
  server_id = azurerm_postgresql_flexible_server.this[each.value.server].id
  value     = each.value.value
}
resource "azurerm_postgresql_flexible_server_firewall_rule" "this" {
  for_each         = local.firewall
  name             = split("/", each.key)[1]
  server_id        = azurerm_postgresql_flexible_server.this[each.value.server].id
  start_ip_address = each.value.start
  end_ip_address   = each.value.end
}
resource "azurerm_monitor_diagnostic_setting" "this" {
  for_each                   = var.servers
  name                       = "diag"
  target_resource_id         = azurerm_postgresql_flexible_server.this[each.key].id
  log_analytics_workspace_id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
  enabled_log {
    category_group = "allLogs"
  }
}
`
	for name, body := range map[string]string{"main.tf": main, "terraform.tfvars": vars.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func BenchmarkReadModule(b *testing.B) {
	for _, n := range []int{100, 1000, 2000} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			dir := fleetModule(b, n)
			b.ResetTimer()
			var resources int
			for i := 0; i < b.N; i++ {
				in := ReadModule(dir, nil, Options{})
				if len(in.Errors) > 0 {
					b.Fatal(in.Errors[0])
				}
				resources = len(in.Resources)
			}
			b.ReportMetric(float64(resources), "resources")
		})
	}
}
