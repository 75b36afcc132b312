variable "server_id" {
  type = string
}
resource "azurerm_postgresql_flexible_server_firewall_rule" "office" {
  name             = "office"
  server_id        = var.server_id
  start_ip_address = "203.0.113.10"
  end_ip_address   = "203.0.113.10"
}
