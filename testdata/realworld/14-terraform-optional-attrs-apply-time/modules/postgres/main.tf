terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 3.116, < 5.0"
    }
  }
}

variable "name" {
  type = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type = string
}

variable "network" {
  type = object({
    delegated_subnet_id           = optional(string)
    private_dns_zone_id           = optional(string)
    public_network_access_enabled = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "security" {
  type = object({
    entra_auth_enabled    = optional(bool, true)
    password_auth_enabled = optional(bool, false)
    tenant_id             = optional(string)
    admin_group = optional(object({
      object_id = string
      name      = string
    }))
  })
  default  = {}
  nullable = false
}

variable "backup" {
  type = object({
    retention_days = optional(number, 14)
    geo_redundant  = optional(bool, true)
  })
  default  = {}
  nullable = false
}

resource "azurerm_postgresql_flexible_server" "this" {
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = "16"
  sku_name                      = "GP_Standard_D2ds_v5"
  delegated_subnet_id           = var.network.delegated_subnet_id
  private_dns_zone_id           = var.network.private_dns_zone_id
  public_network_access_enabled = var.network.public_network_access_enabled
  backup_retention_days         = var.backup.retention_days
  geo_redundant_backup_enabled  = var.backup.geo_redundant
  zone                          = "1"

  authentication {
    active_directory_auth_enabled = var.security.entra_auth_enabled
    password_auth_enabled         = var.security.password_auth_enabled
    tenant_id                     = var.security.tenant_id
  }

  high_availability {
    mode = "ZoneRedundant"
  }
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "this" {
  count = var.security.admin_group == null ? 0 : 1

  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = var.resource_group_name
  tenant_id           = var.security.tenant_id
  object_id           = var.security.admin_group.object_id
  principal_name      = var.security.admin_group.name
  principal_type      = "Group"
}

output "id" {
  value = azurerm_postgresql_flexible_server.this.id
}
