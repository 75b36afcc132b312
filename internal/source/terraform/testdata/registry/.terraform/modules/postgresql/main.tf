# Shaped like avm-res-dbforpostgresql-flexibleserver's main.tf.
resource "azurerm_postgresql_flexible_server" "this" {
  location                      = var.location
  name                          = var.name
  resource_group_name           = var.resource_group_name
  administrator_login           = var.administrator_login
  administrator_password        = var.administrator_password
  public_network_access_enabled = var.public_network_access_enabled
  sku_name                      = var.sku_name
  version                       = var.server_version
  zone                          = var.zone

  dynamic "high_availability" {
    for_each = var.high_availability == null ? [] : ["high_availability"]
    content {
      mode                      = var.high_availability.mode
      standby_availability_zone = var.high_availability.standby_availability_zone
    }
  }
}

resource "azurerm_monitor_diagnostic_setting" "this" {
  for_each = var.diagnostic_settings

  name                       = each.value.name != null ? each.value.name : "diag-${var.name}"
  target_resource_id         = azurerm_postgresql_flexible_server.this.id
  log_analytics_workspace_id = each.value.workspace_resource_id

  dynamic "enabled_log" {
    for_each = each.value.log_groups
    content {
      category_group = enabled_log.value
    }
  }
}
