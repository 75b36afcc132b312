resource "azurerm_postgresql_flexible_server" "this" {
  name                = "psql-standalone"
  resource_group_name = "rg-roots"
}
