variable "server_name" {
  type = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type = string
}

variable "workspace_id" {
  type = string
}

variable "allowed_ranges" {
  type    = map(list(string))
  default = {}
}

variable "entra_admin_group" {
  type = object({
    object_id = string
    name      = string
  })
  default = {
    object_id = "8e6c4a2f-0d1b-4f3e-9a7c-5b3d1f9e7a2c"
    name      = "sg-postgres-admins"
  }
}

data "azurerm_client_config" "current" {}

resource "azurerm_postgresql_flexible_server" "this" {
  name                          = var.server_name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = "16"
  sku_name                      = "GP_Standard_D4ds_v5"
  storage_mb                    = 65536
  backup_retention_days         = 30
  geo_redundant_backup_enabled  = true
  public_network_access_enabled = length(var.allowed_ranges) > 0
  zone                          = "1"

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  high_availability {
    mode                      = "ZoneRedundant"
    standby_availability_zone = "2"
  }
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "this" {
  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = var.resource_group_name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  object_id           = var.entra_admin_group.object_id
  principal_name      = var.entra_admin_group.name
  principal_type      = "Group"
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "this" {
  for_each = var.allowed_ranges

  name             = each.key
  server_id        = azurerm_postgresql_flexible_server.this.id
  start_ip_address = each.value[0]
  end_ip_address   = each.value[1]
}

resource "azurerm_monitor_diagnostic_setting" "this" {
  name                       = "to-ops"
  target_resource_id         = azurerm_postgresql_flexible_server.this.id
  log_analytics_workspace_id = var.workspace_id

  enabled_log {
    category_group = "audit"
  }

  metric {
    category = "AllMetrics"
  }
}

output "id" {
  value = azurerm_postgresql_flexible_server.this.id
}
