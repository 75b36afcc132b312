resource "random_password" "administrator" {
  count = var.authentication.password_auth_enabled && var.administrator_password == null ? 1 : 0

  length  = 24
  special = true
}

locals {
  administrator_password = var.authentication.password_auth_enabled ? coalesce(var.administrator_password, try(random_password.administrator[0].result, null)) : null
}

resource "azurerm_postgresql_flexible_server" "this" {
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = var.server_version
  sku_name                      = var.sku_name
  zone                          = var.zone
  administrator_login           = var.authentication.password_auth_enabled ? var.administrator_login : null
  administrator_password        = local.administrator_password
  public_network_access_enabled = var.delegated_subnet_id == null ? var.public_network_access_enabled : false
  delegated_subnet_id           = var.delegated_subnet_id
  private_dns_zone_id           = var.private_dns_zone_id
  backup_retention_days         = var.backup_retention_days
  geo_redundant_backup_enabled  = var.geo_redundant_backup_enabled
  tags                          = var.tags

  authentication {
    active_directory_auth_enabled = var.authentication.active_directory_auth_enabled
    password_auth_enabled         = var.authentication.password_auth_enabled
    tenant_id                     = var.authentication.tenant_id
  }

  dynamic "high_availability" {
    for_each = var.high_availability == null ? [] : [var.high_availability]

    content {
      mode                      = high_availability.value.mode
      standby_availability_zone = high_availability.value.standby_availability_zone
    }
  }

  dynamic "customer_managed_key" {
    for_each = var.customer_managed_key == null ? [] : [var.customer_managed_key]

    content {
      key_vault_key_id                  = customer_managed_key.value.key_vault_key_id
      primary_user_assigned_identity_id = customer_managed_key.value.primary_user_assigned_identity_id
    }
  }

  dynamic "identity" {
    for_each = var.customer_managed_key == null ? [] : [var.customer_managed_key]

    content {
      type         = "UserAssigned"
      identity_ids = [identity.value.primary_user_assigned_identity_id]
    }
  }

  lifecycle {
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "this" {
  for_each = var.ad_administrators

  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = var.resource_group_name
  object_id           = each.value.object_id
  principal_name      = each.value.principal_name
  principal_type      = each.value.principal_type
  tenant_id           = coalesce(each.value.tenant_id, var.authentication.tenant_id)
}

resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each = var.server_configuration

  name      = each.key
  server_id = azurerm_postgresql_flexible_server.this.id
  value     = each.value
}

resource "azurerm_postgresql_flexible_server_firewall_rule" "this" {
  for_each = var.firewall_rules

  name             = each.key
  server_id        = azurerm_postgresql_flexible_server.this.id
  start_ip_address = each.value.start_ip_address
  end_ip_address   = each.value.end_ip_address
}

resource "azurerm_monitor_diagnostic_setting" "this" {
  for_each = var.diagnostic_settings

  name                       = each.value.name != null ? each.value.name : "diag-${var.name}"
  target_resource_id         = azurerm_postgresql_flexible_server.this.id
  log_analytics_workspace_id = each.value.workspace_resource_id
  storage_account_id         = each.value.storage_account_resource_id

  dynamic "enabled_log" {
    for_each = each.value.log_categories
    content {
      category = enabled_log.value
    }
  }

  dynamic "enabled_log" {
    for_each = each.value.log_groups
    content {
      category_group = enabled_log.value
    }
  }

  dynamic "metric" {
    for_each = each.value.metric_categories
    content {
      category = metric.value
    }
  }
}
