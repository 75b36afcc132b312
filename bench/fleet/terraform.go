package fleet

import (
	"bufio"
	"fmt"
	"io"
)

// TerraformServerType is the Terraform resource type of a flexible server.
const TerraformServerType = "azurerm_postgresql_flexible_server"

// WriteTerraform writes a Terraform root module of n servers to w as one
// main.tf, each server declared explicitly (no for_each) with its
// configurations, a firewall rule, a diagnostic setting and, when hardened,
// a private endpoint; the resource group, network and Log Analytics
// workspace are shared. Weak servers use password authentication with the
// password from a variable, public access, a firewall rule open to the
// internet, no geo-redundant backup and require_secure_transport off.
func WriteTerraform(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(`terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.116"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "admin_password" {
  type      = string
  sensitive = true
}

resource "azurerm_resource_group" "fleet" {
  name     = "rg-fleet"
  location = "westeurope"
}

resource "azurerm_virtual_network" "fleet" {
  name                = "vnet-fleet"
  resource_group_name = azurerm_resource_group.fleet.name
  location            = azurerm_resource_group.fleet.location
  address_space       = ["10.0.0.0/16"]
}

resource "azurerm_subnet" "endpoints" {
  name                 = "snet-endpoints"
  resource_group_name  = azurerm_resource_group.fleet.name
  virtual_network_name = azurerm_virtual_network.fleet.name
  address_prefixes     = ["10.0.1.0/24"]
}

resource "azurerm_log_analytics_workspace" "fleet" {
  name                = "law-fleet"
  resource_group_name = azurerm_resource_group.fleet.name
  location            = azurerm_resource_group.fleet.location
  sku                 = "PerGB2018"
  retention_in_days   = 90
}
`)
	for i := 0; i < n; i++ {
		writeTerraformServer(bw, i)
	}
	return bw.Flush()
}

func writeTerraformServer(w *bufio.Writer, i int) {
	hardened := i%2 == 0
	r := fmt.Sprintf("s%06d", i)
	fmt.Fprintf(w, `
resource "azurerm_postgresql_flexible_server" "%[1]s" {
  name                          = "psql-%06[2]d"
  resource_group_name           = azurerm_resource_group.fleet.name
  location                      = azurerm_resource_group.fleet.location
  version                       = "16"
  sku_name                      = "GP_Standard_D2ds_v5"
  storage_mb                    = 131072
  zone                          = "1"
  backup_retention_days         = %[3]d
  geo_redundant_backup_enabled  = %[4]t
  public_network_access_enabled = %[5]t
`, r, i, 7+7*(i%4), hardened, !hardened)
	if hardened {
		w.WriteString(`  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
  high_availability {
    mode = "ZoneRedundant"
  }
}
`)
	} else {
		w.WriteString(`  administrator_login           = "pgadmin"
  administrator_password        = var.admin_password
  authentication {
    active_directory_auth_enabled = false
    password_auth_enabled         = true
  }
}
`)
	}
	onOff := map[bool]string{true: "on", false: "off"}[hardened]
	for _, c := range [][2]string{{"require_secure_transport", onOff}, {"log_checkpoints", "on"}, {"log_connections", "on"},
		{"log_disconnections", onOff}, {"connection_throttle.enable", onOff}} {
		fmt.Fprintf(w, `
resource "azurerm_postgresql_flexible_server_configuration" "%[1]s_%[2]s" {
  name      = "%[3]s"
  server_id = azurerm_postgresql_flexible_server.%[1]s.id
  value     = "%[4]s"
}
`, r, tfName(c[0]), c[0], c[1])
	}
	start, end := "203.0.113.0", "203.0.113.31"
	if !hardened {
		start, end = "0.0.0.0", "255.255.255.255"
	}
	fmt.Fprintf(w, `
resource "azurerm_postgresql_flexible_server_firewall_rule" "%[1]s_office" {
  name             = "office"
  server_id        = azurerm_postgresql_flexible_server.%[1]s.id
  start_ip_address = "%[2]s"
  end_ip_address   = "%[3]s"
}

resource "azurerm_monitor_diagnostic_setting" "%[1]s" {
  name                       = "diag"
  target_resource_id         = azurerm_postgresql_flexible_server.%[1]s.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.fleet.id
  enabled_log {
    category_group = "%[4]s"
  }
}
`, r, start, end, map[bool]string{true: "allLogs", false: "audit"}[hardened])
	if hardened {
		fmt.Fprintf(w, `
resource "azurerm_private_endpoint" "%[1]s" {
  name                = "pe-%[1]s"
  resource_group_name = azurerm_resource_group.fleet.name
  location            = azurerm_resource_group.fleet.location
  subnet_id           = azurerm_subnet.endpoints.id
  private_service_connection {
    name                           = "psc-%[1]s"
    private_connection_resource_id = azurerm_postgresql_flexible_server.%[1]s.id
    subresource_names              = ["postgresqlServer"]
    is_manual_connection           = false
  }
}
`, r)
	}
}

// tfName turns a server parameter name into a Terraform resource name.
func tfName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}
