# Two hardened PostgreSQL flexible servers, one per application, in the style
# of the Azure Verified Module avm-res-dbforpostgresql-flexibleserver:
# Microsoft Entra-only authentication, no public network access (private
# endpoint), customer-managed keys, zone-redundant HA, geo-redundant backups,
# and all logs to Log Analytics.

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
    "logfiles.retention_days"  = "7"
    "pgaudit.log"              = "ddl,role"
    shared_preload_libraries   = "pgaudit,pg_stat_statements"
  }

  servers = {
    for name, s in var.servers : name => merge(s, {
      parameters = merge(local.server_parameters, s.extra_parameters)
    })
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-${local.prefix}"
  location = var.location
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

  customer_managed_key = {
    key_vault_key_id                  = azurerm_key_vault_key.postgres.versionless_id
    primary_user_assigned_identity_id = azurerm_user_assigned_identity.cmk.id
  }

  server_configuration       = each.value.parameters
  private_endpoint_subnet_id = azurerm_subnet.endpoints.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  tags                       = var.tags
}
