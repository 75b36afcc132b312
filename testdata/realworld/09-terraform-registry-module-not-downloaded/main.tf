terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "reporting_admin_password" {
  type      = string
  sensitive = true
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "data" {
  name     = "rg-data-platform"
  location = "northeurope"
}

# The platform team's server, from the public registry. `terraform init`
# has not been run: .terraform/modules does not exist.
module "orders_db" {
  source  = "Azure/avm-res-dbforpostgresql-flexibleserver/azurerm"
  version = "0.1.4"

  name                = "psql-orders-platform"
  resource_group_name = azurerm_resource_group.data.name
  location            = azurerm_resource_group.data.location
  server_version      = "16"
  sku_name            = "GP_Standard_D2ds_v5"

  authentication = {
    tenant_id = data.azurerm_client_config.current.tenant_id
  }

  enable_telemetry = false
}

# A server written by hand in the same root.
resource "azurerm_postgresql_flexible_server" "reporting" {
  name                          = "psql-reporting"
  resource_group_name           = azurerm_resource_group.data.name
  location                      = azurerm_resource_group.data.location
  version                       = "16"
  sku_name                      = "B_Standard_B1ms"
  storage_mb                    = 32768
  administrator_login           = "reportingadmin"
  administrator_password        = var.reporting_admin_password
  public_network_access_enabled = true
  zone                          = "1"
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "everyone" {
  name             = "AllowAll"
  server_id        = azurerm_postgresql_flexible_server.reporting.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "255.255.255.255"
}
