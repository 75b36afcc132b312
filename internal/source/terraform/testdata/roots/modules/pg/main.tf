variable "name" {
  type = string
}
resource "azurerm_postgresql_flexible_server" "this" {
  name                = var.name
  resource_group_name = "rg-roots"
}
