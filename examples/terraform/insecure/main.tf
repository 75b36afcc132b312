# An insecure PostgreSQL flexible server, written the way the azurerm
# documentation's first example is, plus a second server from the shared
# module with public access. Every setting here is something pgbaseline
# reports.

terraform {
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

locals {
  # The application's connection string, committed with its password.
  app_connection_string = "postgres://appuser:S3cr3t-Pa55@psql-legacy.postgres.database.azure.com:5432/app"
  insecure_parameters = {
    require_secure_transport = "off"
    log_connections          = "off"
  }
}

resource "azurerm_resource_group" "legacy" {
  name     = "rg-legacy"
  location = "eastus"
}

# pgbaseline:ignore AZP-c29c38cb Legacy clients cannot use TLS until the Q3 upgrade expires=2027-06-30
resource "azurerm_postgresql_flexible_server" "legacy" {
  name                   = "psql-legacy"
  resource_group_name    = azurerm_resource_group.legacy.name
  location               = azurerm_resource_group.legacy.location
  version                = "13"
  administrator_login    = "psqladmin"
  administrator_password = "H@Sh1CoR3!"
  storage_mb             = 32768
  sku_name               = "B_Standard_B1ms"
  backup_retention_days  = 7
}

resource "azurerm_postgresql_flexible_server_configuration" "insecure" {
  for_each  = local.insecure_parameters
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.legacy.id
  value     = each.value
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "everyone" {
  name             = "allow-all"
  server_id        = azurerm_postgresql_flexible_server.legacy.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "255.255.255.255"
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "azure_services" {
  name             = "AllowAllAzureServicesAndResourcesWithinAzureIps"
  server_id        = azurerm_postgresql_flexible_server.legacy.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}

module "reporting" {
  source = "../modules/postgresql"

  name                          = "psql-legacy-reporting"
  location                      = azurerm_resource_group.legacy.location
  resource_group_name           = azurerm_resource_group.legacy.name
  postgresql_version            = "14"
  public_network_access_enabled = true
  geo_redundant_backup_enabled  = false
  backup_retention_days         = 7
  administrator_login           = "reportadmin"
  administrator_password        = var.reporting_password
  authentication = {
    active_directory_auth_enabled = false
    password_auth_enabled         = true
  }
  firewall_rules = {
    office = {
      start_ip_address = "203.0.113.0"
      end_ip_address   = "203.0.113.255"
    }
  }
}
