output "resource_id" {
  description = "The id of the server."
  value       = azurerm_postgresql_flexible_server.this.id
}

output "name" {
  description = "The name of the server."
  value       = azurerm_postgresql_flexible_server.this.name
}

output "fqdn" {
  description = "The server's host name."
  value       = azurerm_postgresql_flexible_server.this.fqdn
}
