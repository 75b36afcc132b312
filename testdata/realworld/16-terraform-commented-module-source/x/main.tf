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

resource "azurerm_resource_group" "this" {
  name     = "rg-events-prod"
  location = "centralus"
}

resource "azurerm_postgresql_flexible_server" "events" {
  name                          = "psql-events-prod"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  version                       = "16"
  sku_name                      = "GP_Standard_D2ds_v5"
  public_network_access_enabled = true
  geo_redundant_backup_enabled  = true
  zone                          = "1"

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "azure_services" {
  name             = "AllowAzureServices"
  server_id        = azurerm_postgresql_flexible_server.events.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}
