output "server_fqdns" {
  value = { for k, m in module.postgresql : k => m.fqdn }
}
