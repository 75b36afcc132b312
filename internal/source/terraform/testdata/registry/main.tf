# A root module shaped like the Azure Verified Modules usage example:
# the flexible server comes from the public registry, downloaded by
# `terraform init` to .terraform/modules/postgresql.

terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-pg-avm"
  location = "eastus"
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "law-pg-avm"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

resource "random_password" "admin" {
  length = 32
}

module "postgresql" {
  source  = "Azure/avm-res-dbforpostgresql-flexibleserver/azurerm"
  version = "0.1.4"

  name                   = "psql-avm-demo"
  location               = azurerm_resource_group.this.location
  resource_group_name    = azurerm_resource_group.this.name
  administrator_login    = "psqladmin"
  administrator_password = random_password.admin.result
  server_version         = "16"
  sku_name               = "GP_Standard_D2s_v3"
  zone                   = "1"
  high_availability = {
    standby_availability_zone = "2"
  }
  diagnostic_settings = {
    to_law = {
      workspace_resource_id = azurerm_log_analytics_workspace.this.id
    }
  }
}
