module "test" {
  source = "../../"

  name                          = "psql-avm-example"
  resource_group_name           = "rg-avm-example"
  location                      = "eastus"
  public_network_access_enabled = false
}
