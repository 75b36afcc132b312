package terraform

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// A resource whose count or for_each is not known is one instance, keyed
// [*], that may be absent, with the reason; a known count of 0 makes none.
func TestUnknownCountMaybeAbsent(t *testing.T) {
	in := ReadModule(filepath.Join("testdata", "maybe-absent"), nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	res := byAddress(t, in)
	const admin = "azurerm_postgresql_flexible_server_active_directory_administrator"
	for _, c := range []struct {
		address, absent string // absent "" = certainly exists
	}{
		{"azurerm_postgresql_flexible_server.this", ""},
		{admin + ".single[*]", "count depends on var.create_entra_admin, which has no value"},
		{admin + ".map[*]", "for_each depends on var.administrators, which has no value"},
		{admin + ".named[*]", ""},
		{"azurerm_postgresql_flexible_server_firewall_rule.office[0]", ""},
		{admin + ".groups[*]", "for_each depends on local.admin_map (from var.administrators, which has no value)"},
		{"module.admins[*]." + admin + ".this", "module.admins: count depends on var.create_entra_admin, which has no value"},
	} {
		r := res[c.address]
		if r == nil {
			t.Errorf("%s: not read", c.address)
			continue
		}
		if r.MaybeAbsent != c.absent {
			t.Errorf("%s: MaybeAbsent %q, want %q", c.address, r.MaybeAbsent, c.absent)
		}
	}
	for addr := range res {
		if strings.HasPrefix(addr, "azurerm_postgresql_flexible_server_firewall_rule.never") {
			t.Errorf("a resource with count 0 exists: %s", addr)
		}
	}
	if n := len(in.Resources); n != 7 {
		t.Errorf("%d resources, want the 7 above", n)
	}
}

// A dynamic block whose for_each is not known may be absent: the server
// settings it would change are Unknown, not the block's values; so is the
// default that depends on a delegated subnet that may be null.
func TestUnknownDynamicBlocks(t *testing.T) {
	files := map[string]string{"main.tf": `
variable "customer_managed_key" {
  type = object({ key_vault_key_id = string })
}
variable "entra_only" {
  type = bool
}
variable "subnet_id" {
  type = string
}
data "azurerm_subnet" "pg" {
  name = "snet-pg"
}
resource "azurerm_postgresql_flexible_server" "dyn" {
  name                = "psql-dynamic"
  resource_group_name = "rg"
  delegated_subnet_id = var.subnet_id
  dynamic "customer_managed_key" {
    for_each = var.customer_managed_key == null ? [] : [var.customer_managed_key]
    content {
      key_vault_key_id = customer_managed_key.value.key_vault_key_id
    }
  }
  dynamic "authentication" {
    for_each = var.entra_only ? ["entra"] : []
    content {
      active_directory_auth_enabled = true
      password_auth_enabled         = true
    }
  }
  dynamic "high_availability" {
    for_each = var.entra_only ? ["ha"] : []
    content {
      mode = "ZoneRedundant"
    }
  }
}
resource "azurerm_postgresql_flexible_server" "known" {
  name                = "psql-known"
  resource_group_name = "rg"
  delegated_subnet_id = data.azurerm_subnet.pg.id
  dynamic "customer_managed_key" {
    for_each = toset([var.subnet_id])
    content {
      key_vault_key_id = "https://kv.vault.azure.net/keys/k"
    }
  }
}
`}
	in := ReadModule(writeModule(t, files), nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	res := byAddress(t, in)
	dyn, known := res["azurerm_postgresql_flexible_server.dyn"], res["azurerm_postgresql_flexible_server.known"]
	for _, c := range []struct {
		path, reason string // reason "" = known, want is then the value
		want         any
	}{
		{"properties.dataEncryption.type", `the for_each of dynamic "customer_managed_key" depends on var.customer_managed_key, which has no value`, nil},
		{"properties.authConfig.activeDirectoryAuth", `the for_each of dynamic "authentication" depends on var.entra_only, which has no value`, nil},
		{"properties.authConfig.passwordAuth", "", "Enabled"}, // the same with or without the block
		{"properties.highAvailability.mode", `the for_each of dynamic "high_availability" depends on var.entra_only, which has no value`, nil},
		{"properties.network.publicNetworkAccess", "delegated_subnet_id", nil},
	} {
		got := get(t, dyn, c.path)
		if c.reason == "" {
			if got != c.want {
				t.Errorf("%s = %#v, want %v", c.path, got, c.want)
			}
			continue
		}
		if u, ok := got.(arm.Unknown); !ok || !strings.Contains(u.Reason, c.reason) {
			t.Errorf("%s = %#v, want unknown because %q", c.path, got, c.reason)
		}
	}
	if got := get(t, known, "properties.network.publicNetworkAccess"); got != "Disabled" {
		t.Errorf("a server on a data source's subnet (certainly set): publicNetworkAccess = %#v", got)
	}
	if got := get(t, known, "properties.dataEncryption.type"); got != "AzureKeyVault" {
		t.Errorf("a dynamic block over a set certainly not empty: dataEncryption.type = %#v", got)
	}
}
