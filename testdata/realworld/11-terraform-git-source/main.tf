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

resource "azurerm_resource_group" "app" {
  name     = "rg-payments-prod"
  location = "westeurope"
}

resource "azurerm_log_analytics_workspace" "ops" {
  name                = "law-payments-prod"
  location            = azurerm_resource_group.app.location
  resource_group_name = azurerm_resource_group.app.name
}

# The organisation's own module repository, pinned to a tag.
module "db" {
  source = "git::https://github.com/contoso-platform/terraform-azurerm-postgres.git?ref=v1.2.0"

  server_name         = "psql-payments-prod"
  resource_group_name = azurerm_resource_group.app.name
  location            = azurerm_resource_group.app.location
  workspace_id        = azurerm_log_analytics_workspace.ops.id
  allowed_ranges = {
    office = ["192.0.2.0", "192.0.2.255"]
  }
}

# A sub-module of another tag of the same repository.
module "analytics" {
  source = "git::https://github.com/contoso-platform/terraform-azurerm-postgres.git//modules/flexible-server?ref=v1.1.0"

  name                = "psql-payments-analytics"
  resource_group_name = azurerm_resource_group.app.name
  location            = azurerm_resource_group.app.location
  public_access       = true
}
