terraform {
  required_version = ">= 1.9, < 2.0"

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

locals {
  location = "swedencentral"
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  name     = "rg-avm-pgfs-default"
  location = local.location
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "law-avm-pgfs-default"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
}

# This is the module call, as in the module's README.
module "test" {
  source = "../../"

  name                = "pgfs-avm-default"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  zone                = "1"

  authentication = {
    tenant_id = data.azurerm_client_config.current.tenant_id
  }

  ad_administrators = {
    dba = {
      object_id      = "3e5a7c9b-1d2f-4e6a-8b0c-2d4f6a8c0e1b"
      principal_name = "sg-pgfs-dba"
    }
  }

  high_availability = {
    standby_availability_zone = "2"
  }

  diagnostic_settings = {
    to_law = {
      workspace_resource_id = azurerm_log_analytics_workspace.this.id
    }
  }

  enable_telemetry = false
}
