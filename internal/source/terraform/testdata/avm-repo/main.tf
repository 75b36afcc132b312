# Shaped like the root of avm-res-dbforpostgresql-flexibleserver: the
# module itself, with examples/ that call it with source = "../../".
resource "azurerm_postgresql_flexible_server" "this" {
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  public_network_access_enabled = var.public_network_access_enabled
}

module "firewall" {
  source    = "./modules/firewall"
  server_id = azurerm_postgresql_flexible_server.this.id
}
