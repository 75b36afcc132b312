package arm

import "testing"

const srv = "/subscriptions/s1/resourceGroups/RG/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1"

func TestParseID(t *testing.T) {
	tests := []struct {
		id, typ, parent, scope, sub, rg string
	}{
		{srv, "Microsoft.DBforPostgreSQL/flexibleServers", "", "", "s1", "RG"},
		{srv + "/configurations/log_checkpoints", "Microsoft.DBforPostgreSQL/flexibleServers/configurations", srv, "", "s1", "RG"},
		{srv + "/providers/Microsoft.Insights/diagnosticSettings/ds", "Microsoft.Insights/diagnosticSettings", "", srv, "s1", "RG"},
		{"/subscriptions/s1/providers/Microsoft.Security/pricings/OpenSourceRelationalDatabases", "Microsoft.Security/pricings", "", "", "s1", ""},
		{"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s", "Microsoft.Network/virtualNetworks/subnets", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "", "s1", "rg"},
	}
	for _, tc := range tests {
		p, ok := ParseID(tc.id)
		if !ok {
			t.Fatalf("%s: not parsed", tc.id)
		}
		if p.FullType() != tc.typ || ParentID(tc.id) != tc.parent || p.Scope != tc.scope || p.Subscription != tc.sub || p.ResourceGroup != tc.rg {
			t.Errorf("%s: type %q parent %q scope %q sub %q rg %q", tc.id, p.FullType(), ParentID(tc.id), p.Scope, p.Subscription, p.ResourceGroup)
		}
	}
	if _, ok := ParseID("not an id"); ok {
		t.Error("garbage parsed as an id")
	}
}

func TestSetLinksChildrenCaseInsensitively(t *testing.T) {
	server := New(map[string]any{"id": srv, "type": "Microsoft.DBforPostgreSQL/flexibleServers", "name": "pg1"}, Origin{})
	conf := New(map[string]any{"id": "/SUBSCRIPTIONS/s1/resourcegroups/rg/providers/microsoft.dbforpostgresql/flexibleservers/PG1/configurations/x",
		"type": "microsoft.dbforpostgresql/flexibleservers/configurations", "name": "x"}, Origin{})
	diag := New(map[string]any{"id": srv + "/providers/microsoft.insights/diagnosticSettings/d", "type": "Microsoft.Insights/diagnosticSettings", "name": "d"}, Origin{})
	s := NewSet(server, conf, diag)
	if got := s.Children(srv, "Microsoft.DBforPostgreSQL/flexibleServers/configurations"); len(got) != 1 || got[0] != conf {
		t.Errorf("children: %v", got)
	}
	if got := s.Extensions(srv, "microsoft.insights/diagnosticsettings"); len(got) != 1 || got[0] != diag {
		t.Errorf("extensions: %v", got)
	}
	if s.ByID(srv+"/") != server || len(s.OfType("MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS")) != 1 {
		t.Error("lookup by id or type is case- or slash-sensitive")
	}
	if got := s.InResourceGroup("S1", "rg", "Microsoft.DBforPostgreSQL/flexibleServers"); len(got) != 1 {
		t.Errorf("resource group lookup: %v", got)
	}
	// A later resource with the same id replaces the earlier one everywhere.
	conf2 := New(map[string]any{"id": conf.ID, "type": conf.Type, "name": "x"}, Origin{})
	s.Add(conf2)
	if got := s.Children(srv, conf.Type); len(got) != 1 || got[0] != conf2 || s.Len() != 3 {
		t.Errorf("replacement: children %v len %d", got, s.Len())
	}
}

func TestGetIsCaseInsensitive(t *testing.T) {
	r := New(map[string]any{"Properties": map[string]any{"Network": map[string]any{"publicNetworkAccess": "Enabled"},
		"logs": []any{map[string]any{"enabled": true}}}}, Origin{})
	if r.GetString("properties.network.PUBLICNETWORKACCESS") != "Enabled" {
		t.Error("case-insensitive path failed")
	}
	if v, ok := r.Get("properties.logs[0].enabled"); !ok || v != true {
		t.Errorf("array index: %v %v", v, ok)
	}
	if _, ok := r.Get("properties.logs[5].enabled"); ok {
		t.Error("out of range index found")
	}
}
