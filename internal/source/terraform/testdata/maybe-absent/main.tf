# Entra administrators created conditionally, as community modules and the
# AVM module write them: whether they exist depends on variables this
# configuration gives no value.

variable "create_entra_admin" {
  type = bool
}

variable "administrators" {
  type = map(object({
    object_id      = string
    principal_name = string
    principal_type = optional(string, "Group")
  }))
}

variable "enable_firewall" {
  type    = bool
  default = true
}

variable "admin_group_name" {
  type = string
}

resource "azurerm_postgresql_flexible_server" "this" {
  name                = "psql-conditional"
  resource_group_name = "rg-conditional"
  location            = "eastus"
  authentication {
    active_directory_auth_enabled = true
    tenant_id                     = "00000000-0000-0000-0000-000000000001"
  }
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "single" {
  count               = var.create_entra_admin ? 1 : 0
  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = "rg-conditional"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  object_id           = "00000000-0000-0000-0000-0000000000aa"
  principal_name      = "pg-admins"
  principal_type      = "Group"
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "map" {
  for_each            = var.administrators
  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = "rg-conditional"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  object_id           = each.value.object_id
  principal_name      = each.value.principal_name
  principal_type      = each.value.principal_type
}

# A set with one element whose value is unknown: one instance, certainly.
resource "azurerm_postgresql_flexible_server_active_directory_administrator" "named" {
  for_each            = toset([var.admin_group_name])
  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = "rg-conditional"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  object_id           = "00000000-0000-0000-0000-0000000000bb"
  principal_name      = each.key
  principal_type      = "Group"
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "office" {
  count            = var.enable_firewall ? 1 : 0
  name             = "office"
  server_id        = azurerm_postgresql_flexible_server.this.id
  start_ip_address = "203.0.113.10"
  end_ip_address   = "203.0.113.10"
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "never" {
  count            = 0
  name             = "never"
  server_id        = azurerm_postgresql_flexible_server.this.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "255.255.255.255"
}

module "admins" {
  source      = "./admins"
  count       = var.create_entra_admin ? 1 : 0
  server_name = azurerm_postgresql_flexible_server.this.name
}

locals {
  admin_map = { for k, v in var.administrators : k => v if v.principal_type == "Group" }
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "groups" {
  for_each            = local.admin_map
  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = "rg-conditional"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  object_id           = each.value.object_id
  principal_name      = each.key
  principal_type      = "Group"
}
