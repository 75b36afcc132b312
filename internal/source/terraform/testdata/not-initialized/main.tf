# Module calls from git and from the registry, never downloaded (no
# `terraform init`): their resources cannot be judged.
resource "azurerm_postgresql_flexible_server" "main" {
  name                          = "psql-not-init"
  resource_group_name           = "rg-not-init"
  location                      = "eastus"
  public_network_access_enabled = false
}

module "diagnostics" {
  source = "git::https://github.com/example/terraform-azurerm-diagnostics.git?ref=v1.2.0"

  target_resource_id = azurerm_postgresql_flexible_server.main.id
}

/* An unrelated module call without references to any resource. */
module "naming" {
  source  = "Azure/naming/azurerm"
  version = "0.4.1"
  suffix  = ["pg"]
}
