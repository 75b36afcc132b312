# Hardened PostgreSQL flexible servers in the style of the Azure Verified
# Module avm-res-dbforpostgresql-flexibleserver: Microsoft Entra-only
# authentication, no public network access (private endpoint),
# customer-managed keys (with a geo-backup key in the paired region),
# high availability, geo-redundant backups, and all logs to Log Analytics.
#
# The local module is called twice: once with for_each, one server per
# application in var.servers, and once with count for the analytics server.
#
# examples/exports/terraform-hardened.json is what Azure Resource Manager
# returns for the resources this configuration deploys; the tests check
# that both reach the same verdicts.

terraform {
  required_version = ">= 1.6"
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

locals {
  prefix = "${var.workload}-${var.environment}"

  # Server parameters shared by every server; a server may add its own.
  server_parameters = {
    require_secure_transport   = "on"
    ssl_min_protocol_version   = "TLSv1.3"
    log_connections            = "on"
    log_disconnections         = "on"
    log_checkpoints            = "on"
    log_line_prefix            = "%t-%c-user=%u,db=%d,app=%a,client=%h"
    "logfiles.retention_days"  = "7"
    "pgaudit.log"              = "ddl,role"
    shared_preload_libraries   = "pgaudit,pg_stat_statements"
  }

  servers = {
    for name, s in var.servers : name => merge(s, {
      parameters = merge(local.server_parameters, s.extra_parameters)
    })
  }

  # Every server encrypts with the same versionless keys: the primary key in
  # this region, the geo-backup key in the paired region.
  customer_managed_key = {
    key_vault_key_id                     = azurerm_key_vault_key.postgres.versionless_id
    primary_user_assigned_identity_id    = azurerm_user_assigned_identity.cmk.id
    geo_backup_key_vault_key_id          = azurerm_key_vault_key.postgres_geo.versionless_id
    geo_backup_user_assigned_identity_id = azurerm_user_assigned_identity.cmk_geo.id
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-${local.prefix}"
  location = var.location
  tags     = var.tags
}

resource "azurerm_resource_group" "dr" {
  name     = "rg-${local.prefix}-dr"
  location = var.paired_location
  tags     = var.tags
}

resource "azurerm_virtual_network" "this" {
  name                = "vnet-${local.prefix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = [var.address_space]
}

resource "azurerm_subnet" "endpoints" {
  name                 = "snet-private-endpoints"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [cidrsubnet(var.address_space, 8, 1)]
}

resource "azurerm_network_security_group" "endpoints" {
  name                = "nsg-${local.prefix}-endpoints"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name

  security_rule {
    name                       = "deny-internet-postgres"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["5432", "6432"]
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "endpoints" {
  subnet_id                 = azurerm_subnet.endpoints.id
  network_security_group_id = azurerm_network_security_group.endpoints.id
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "log-${local.prefix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  retention_in_days   = 90
}

resource "azurerm_user_assigned_identity" "cmk" {
  name                = "id-${local.prefix}-cmk"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

resource "azurerm_key_vault" "this" {
  name                       = "kv-${local.prefix}"
  location                   = azurerm_resource_group.this.location
  resource_group_name        = azurerm_resource_group.this.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "premium"
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  rbac_authorization_enabled = true
}

resource "azurerm_key_vault_key" "postgres" {
  name         = "psql-${local.prefix}-cmk"
  key_vault_id = azurerm_key_vault.this.id
  key_type     = "RSA-HSM"
  key_size     = 3072
  key_opts     = ["unwrapKey", "wrapKey"]

  rotation_policy {
    automatic {
      time_before_expiry = "P30D"
    }
    expire_after         = "P365D"
    notify_before_expiry = "P29D"
  }
}

# Geo-redundant backups are restored in the paired region, so their key and
# identity live there too.
resource "azurerm_user_assigned_identity" "cmk_geo" {
  name                = "id-${local.prefix}-cmk-geo"
  location            = azurerm_resource_group.dr.location
  resource_group_name = azurerm_resource_group.dr.name
}

resource "azurerm_key_vault" "dr" {
  name                       = "kv-${local.prefix}-dr"
  location                   = azurerm_resource_group.dr.location
  resource_group_name        = azurerm_resource_group.dr.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "premium"
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  rbac_authorization_enabled = true
}

resource "azurerm_key_vault_key" "postgres_geo" {
  name         = "psql-${local.prefix}-cmk-geo"
  key_vault_id = azurerm_key_vault.dr.id
  key_type     = "RSA-HSM"
  key_size     = 3072
  key_opts     = ["unwrapKey", "wrapKey"]

  rotation_policy {
    automatic {
      time_before_expiry = "P30D"
    }
    expire_after         = "P365D"
    notify_before_expiry = "P29D"
  }
}

module "postgresql" {
  source   = "../modules/postgresql"
  for_each = local.servers

  name                = "psql-${local.prefix}-${each.key}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  postgresql_version  = each.value.version
  sku_name            = each.value.sku_name

  authentication = {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
  entra_administrator = var.entra_administrator

  high_availability = {
    mode                      = "ZoneRedundant"
    standby_availability_zone = "2"
  }

  customer_managed_key = local.customer_managed_key

  server_configuration       = each.value.parameters
  private_endpoint_subnet_id = azurerm_subnet.endpoints.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  tags                       = var.tags
}

# The second call of the module: the analytics server, only where analytics
# is enabled. It relies on the module's defaults for authentication
# (Microsoft Entra only) and takes the shared parameters plus its own.
module "analytics" {
  source = "../modules/postgresql"
  count  = var.analytics_enabled ? 1 : 0

  name                = "psql-${local.prefix}-analytics"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  postgresql_version  = "17"
  sku_name            = "GP_Standard_D8ds_v5"
  entra_administrator = var.entra_administrator

  high_availability = {
    mode = "SameZone"
  }

  customer_managed_key = local.customer_managed_key
  server_configuration = merge(local.server_parameters, {
    log_statement = "ddl"
  })
  private_endpoint_subnet_id = azurerm_subnet.endpoints.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  tags                       = merge(var.tags, { workload = "analytics" })
}
