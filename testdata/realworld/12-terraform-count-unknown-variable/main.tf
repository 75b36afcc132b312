terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
  }
}

provider "azurerm" {
  features {}
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  name     = "rg-catalog-${var.environment}"
  location = "uksouth"
}

resource "azurerm_postgresql_flexible_server" "catalog" {
  name                          = "psql-catalog-${var.environment}"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  version                       = "16"
  sku_name                      = "GP_Standard_D2ds_v5"
  public_network_access_enabled = false
  zone                          = "1"

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }
}

# Only some environments get the administrator: the pipeline passes
# -var create_admin=... and nothing in the repository sets it.
resource "azurerm_postgresql_flexible_server_active_directory_administrator" "dba" {
  count = var.create_admin ? 1 : 0

  server_name         = azurerm_postgresql_flexible_server.catalog.name
  resource_group_name = azurerm_resource_group.this.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  object_id           = var.admin_group_object_id
  principal_name      = "sg-catalog-dba"
  principal_type      = "Group"
}
