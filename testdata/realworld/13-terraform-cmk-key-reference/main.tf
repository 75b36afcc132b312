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

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  name     = "rg-ledger-prod"
  location = "francecentral"
}

resource "azurerm_user_assigned_identity" "pg" {
  name                = "id-psql-ledger"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

resource "azurerm_key_vault" "this" {
  name                       = "kv-ledger-prod-7q2"
  location                   = azurerm_resource_group.this.location
  resource_group_name        = azurerm_resource_group.this.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "premium"
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  rbac_authorization_enabled = true
}

resource "azurerm_key_vault_key" "k" {
  name         = "psql-ledger-cmk"
  key_vault_id = azurerm_key_vault.this.id
  key_type     = "RSA"
  key_size     = 3072
  key_opts     = ["unwrapKey", "wrapKey"]
}

# The key's id is known only after apply, and it is the versioned id.
resource "azurerm_postgresql_flexible_server" "ledger" {
  name                          = "psql-ledger-prod"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  version                       = "16"
  sku_name                      = "GP_Standard_D4ds_v5"
  public_network_access_enabled = false
  zone                          = "1"

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.pg.id]
  }

  customer_managed_key {
    key_vault_key_id                  = azurerm_key_vault_key.k.id
    primary_user_assigned_identity_id = azurerm_user_assigned_identity.pg.id
  }
}

# The same key, referenced without a version (automatic key rotation).
resource "azurerm_postgresql_flexible_server" "ledger_archive" {
  name                          = "psql-ledger-archive"
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

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.pg.id]
  }

  customer_managed_key {
    key_vault_key_id                  = azurerm_key_vault_key.k.versionless_id
    primary_user_assigned_identity_id = azurerm_user_assigned_identity.pg.id
  }
}
