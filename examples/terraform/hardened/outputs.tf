output "server_fqdns" {
  value = { for k, m in module.postgresql : k => m.fqdn }
}

output "analytics_fqdn" {
  value = one(module.analytics[*].fqdn)
}
