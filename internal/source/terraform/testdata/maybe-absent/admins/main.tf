variable "server_name" {
  type = string
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "this" {
  server_name         = var.server_name
  resource_group_name = "rg-conditional"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  object_id           = "00000000-0000-0000-0000-0000000000cc"
  principal_name      = "pg-module-admins"
  principal_type      = "Group"
}
