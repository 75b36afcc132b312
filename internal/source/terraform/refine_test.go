package terraform

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// Values unknown before apply carry what is certain about them: a key's id
// is a Key Vault URL, a data source's id is set, a template's literal
// start is its prefix. Nothing else is claimed.
func TestUnknownRefinements(t *testing.T) {
	files := map[string]string{"main.tf": `
variable "vault_name" {
  type = string
}
variable "key_id" {
  type = string
}
data "azurerm_key_vault" "kv" {
  name = var.vault_name
}
data "azurerm_key_vault_key" "existing" {
  name         = "cmk"
  key_vault_id = data.azurerm_key_vault.kv.id
}
data "azurerm_subnet" "pg" {
  name = "snet-pg"
}
resource "azurerm_key_vault_key" "cmk" {
  name         = "cmk"
  key_vault_id = data.azurerm_key_vault.kv.id
  key_type     = "RSA"
}
resource "random_password" "pw" {
  length = 32
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                = "psql-refined"
  resource_group_name = "rg"
  delegated_subnet_id = data.azurerm_subnet.pg.id
  private_dns_zone_id = random_password.pw.result
  customer_managed_key {
    key_vault_key_id                  = azurerm_key_vault_key.cmk.id
    geo_backup_key_vault_key_id       = azurerm_key_vault_key.cmk.versionless_id
    primary_user_assigned_identity_id = "https://${var.vault_name}.vault.azure.net/keys/cmk"
    geo_backup_user_assigned_identity_id = var.key_id
  }
}
resource "azurerm_postgresql_flexible_server" "t" {
  name                = "psql-refined-data"
  resource_group_name = "rg"
  customer_managed_key {
    key_vault_key_id = data.azurerm_key_vault_key.existing.id
  }
}
`}
	in := ReadModule(writeModule(t, files), nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	res := byAddress(t, in)
	s, d := res["azurerm_postgresql_flexible_server.s"], res["azurerm_postgresql_flexible_server.t"]
	if s == nil || d == nil {
		t.Fatalf("servers: %v", res)
	}
	for _, c := range []struct {
		r                 *arm.Resource
		path              string
		notNull, nonEmpty bool
		prefix            string
	}{
		{s, "properties.dataEncryption.primaryKeyURI", true, true, "https://"},
		{s, "properties.dataEncryption.geoBackupKeyURI", true, true, "https://"},
		{s, "properties.dataEncryption.primaryUserAssignedIdentityId", true, true, "https://"},
		{s, "properties.network.delegatedSubnetResourceId", true, true, "/subscriptions/"},
		{s, "properties.network.privateDnsZoneArmResourceId", false, false, ""},
		{s, "properties.dataEncryption.geoBackupUserAssignedIdentityId", false, false, ""},
		{d, "properties.dataEncryption.primaryKeyURI", true, true, "https://"},
	} {
		v, _ := c.r.Get(c.path)
		u, ok := v.(arm.Unknown)
		if !ok {
			t.Errorf("%s: %#v, want unknown", c.path, v)
			continue
		}
		if u.NotNull != c.notNull || u.NonEmpty != c.nonEmpty || u.Prefix != c.prefix || u.Reason == "" {
			t.Errorf("%s: %+v, want notNull=%v nonEmpty=%v prefix=%q", c.path, u, c.notNull, c.nonEmpty, c.prefix)
		}
	}
}

// A data source passed whole to a module converts to the type the module
// declares (its attributes are not all known to pgbaseline).
func TestDataSourcePassedWhole(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.tf": `data "azurerm_subnet" "pg" {
  name = "snet-pg"
}
module "pg" {
  source = "./pg"
  subnet = data.azurerm_subnet.pg
  subnet_id = data.azurerm_subnet.pg.id
}`,
		"pg/main.tf": `variable "subnet" {
  type = object({ id = string, address_prefixes = list(string) })
}
variable "subnet_id" {
  type = string
}
resource "azurerm_postgresql_flexible_server" "this" {
  name                = "psql-subnet"
  resource_group_name = "rg"
  delegated_subnet_id = var.subnet.id
  private_dns_zone_id = var.subnet_id
}`,
	})
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	srv := byAddress(t, in)["module.pg.azurerm_postgresql_flexible_server.this"]
	if srv == nil {
		t.Fatal("no server")
	}
	if u, ok := get(t, srv, "properties.network.privateDnsZoneArmResourceId").(arm.Unknown); !ok || u.Prefix != "/subscriptions/" {
		t.Errorf("an attribute of a data source keeps its refinement: %#v", get(t, srv, "properties.network.privateDnsZoneArmResourceId"))
	}
	if _, ok := get(t, srv, "properties.network.delegatedSubnetResourceId").(arm.Unknown); !ok {
		t.Errorf("delegated subnet: %#v", get(t, srv, "properties.network.delegatedSubnetResourceId"))
	}
}
