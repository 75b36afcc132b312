module "b" {
  source = "../b"
}
resource "azurerm_postgresql_flexible_server" "a" {
  name                = "psql-cycle-a"
  resource_group_name = "rg-roots"
}
