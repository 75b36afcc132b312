package terraform

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// optional() attribute defaults apply to a module argument that holds
// values known only after apply, and those values stay unknown.
func TestOptionalDefaultsWithUnknowns(t *testing.T) {
	files := map[string]string{
		"main.tf": `
resource "azurerm_user_assigned_identity" "cmk" {
  name                = "id-cmk"
  resource_group_name = "rg"
}
data "azurerm_key_vault_key" "cmk" {
  name = "cmk"
}
module "pg" {
  source = "./pg"
  server = {
    name = "psql-optional"
    customer_managed_key = {
      key_vault_key_id                  = data.azurerm_key_vault_key.cmk.id
      primary_user_assigned_identity_id = azurerm_user_assigned_identity.cmk.principal_id
    }
  }
  administrators = {
    dba = {
      object_id = azurerm_user_assigned_identity.cmk.principal_id
    }
  }
}`,
		"pg/main.tf": `
variable "server" {
  type = object({
    name                          = string
    public_network_access_enabled = optional(bool, false)
    backup_retention_days         = optional(number, 35)
    authentication = optional(object({
      active_directory_auth_enabled = optional(bool, true)
      password_auth_enabled         = optional(bool, false)
    }), {})
    customer_managed_key = optional(object({
      key_vault_key_id                  = string
      primary_user_assigned_identity_id = optional(string)
    }))
  })
}
variable "administrators" {
  type = map(object({
    object_id      = string
    principal_name = optional(string, "dba-group")
    principal_type = optional(string, "Group")
  }))
  default = {}
}
resource "azurerm_postgresql_flexible_server" "this" {
  name                          = var.server.name
  resource_group_name           = "rg"
  public_network_access_enabled = var.server.public_network_access_enabled
  backup_retention_days         = var.server.backup_retention_days
  authentication {
    active_directory_auth_enabled = var.server.authentication.active_directory_auth_enabled
    password_auth_enabled         = var.server.authentication.password_auth_enabled
  }
  dynamic "customer_managed_key" {
    for_each = var.server.customer_managed_key == null ? [] : [var.server.customer_managed_key]
    content {
      key_vault_key_id                  = customer_managed_key.value.key_vault_key_id
      primary_user_assigned_identity_id = customer_managed_key.value.primary_user_assigned_identity_id
    }
  }
}
resource "azurerm_postgresql_flexible_server_active_directory_administrator" "this" {
  for_each            = var.administrators
  server_name         = azurerm_postgresql_flexible_server.this.name
  resource_group_name = "rg"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  object_id           = each.value.object_id
  principal_name      = each.value.principal_name
  principal_type      = each.value.principal_type
}`,
	}
	in := ReadModule(writeModule(t, files), nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	res := byAddress(t, in)
	srv := res["module.pg.azurerm_postgresql_flexible_server.this"]
	if srv == nil {
		t.Fatalf("no server: %v", res)
	}
	for path, want := range map[string]any{
		"name":                                      "psql-optional",
		"properties.network.publicNetworkAccess":    "Disabled",
		"properties.backup.backupRetentionDays":     35.0,
		"properties.authConfig.activeDirectoryAuth": "Enabled",
		"properties.authConfig.passwordAuth":        "Disabled",
		"properties.dataEncryption.type":            "AzureKeyVault",
	} {
		if got := get(t, srv, path); got != want {
			t.Errorf("%s = %#v, want %v", path, got, want)
		}
	}
	for _, path := range []string{"properties.dataEncryption.primaryKeyURI", "properties.dataEncryption.primaryUserAssignedIdentityId"} {
		if u, ok := get(t, srv, path).(arm.Unknown); !ok || !u.NotNull {
			t.Errorf("%s = %#v, want a set unknown", path, get(t, srv, path))
		}
	}
	adm := res[`module.pg.azurerm_postgresql_flexible_server_active_directory_administrator.this["dba"]`]
	if adm == nil {
		t.Fatalf("no administrator: %v", res)
	}
	if got := get(t, adm, "properties.principalType"); got != "Group" {
		t.Errorf("principalType = %#v", got)
	}
	if _, ok := get(t, adm, "properties.objectId").(arm.Unknown); !ok {
		t.Errorf("objectId = %#v, want unknown", get(t, adm, "properties.objectId"))
	}
}
