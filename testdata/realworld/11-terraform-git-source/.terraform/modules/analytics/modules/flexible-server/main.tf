variable "name" {
  type = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type = string
}

variable "public_access" {
  type    = bool
  default = false
}

resource "azurerm_postgresql_flexible_server" "this" {
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = "15"
  sku_name                      = "MO_Standard_E4ds_v5"
  public_network_access_enabled = var.public_access

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
}

output "id" {
  value = azurerm_postgresql_flexible_server.this.id
}
