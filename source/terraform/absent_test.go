package terraform

import (
	"path/filepath"
	"strings"
	"testing"
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
