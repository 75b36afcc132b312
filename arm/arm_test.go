package arm

import (
	"strings"
	"testing"
)

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

func TestAddAllMatchesAdd(t *testing.T) {
	var rs []*Resource
	for i := 0; i < 3*addAllMin; i++ {
		id := srv + "/configurations/c" + string(rune('a'+i%26)) + itoa(i/26)
		rs = append(rs, New(map[string]any{"id": id, "type": "Microsoft.DBforPostgreSQL/flexibleServers/configurations"}, Origin{}))
	}
	rs = append(rs, New(map[string]any{"id": rs[5].ID, "type": rs[5].Type}, Origin{})) // replaces rs[5]
	rs = append(rs, New(map[string]any{"type": "Microsoft.Resources/deployments"}, Origin{}))
	one := NewSet()
	for _, r := range rs {
		one.Add(r)
	}
	all := NewSet(rs...)
	kids := all.Children(srv, "microsoft.dbforpostgresql/flexibleservers/configurations")
	if all.Len() != one.Len() || all.Len() != len(rs)-1 || len(kids) != 3*addAllMin ||
		len(all.InResourceGroup("s1", "rg", rs[0].Type)) != len(kids) || len(all.OfType("Microsoft.Resources/deployments")) != 1 {
		t.Fatalf("len %d (one by one %d), children %d", all.Len(), one.Len(), len(kids))
	}
	for i, r := range all.All() {
		if one.All()[i] != r {
			t.Fatalf("resource %d differs", i)
		}
	}
	if all.ByID(rs[5].ID) != rs[len(rs)-2] {
		t.Error("a later resource with the same id did not replace the earlier")
	}
	// A batch added to a set that already holds some of its ids replaces
	// them, as one-by-one adds do.
	again, oneAgain := NewSet(rs[:10]...), NewSet(rs[:10]...)
	again.AddAll(rs)
	for _, r := range rs {
		oneAgain.Add(r)
	}
	if again.Len() != oneAgain.Len() || len(again.Children(srv, rs[0].Type)) != len(oneAgain.Children(srv, rs[0].Type)) {
		t.Fatalf("batch over existing: len %d, one by one %d", again.Len(), oneAgain.Len())
	}
	for i, r := range again.All() {
		if oneAgain.All()[i] != r || again.Children(srv, rs[0].Type)[i%len(kids)] == nil {
			t.Fatalf("batch over existing: resource %d differs", i)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

// Two ids whose hashes collide are both found, and each is replaced by a
// later resource of its own id only.
func TestByIDHashCollision(t *testing.T) {
	s := NewSet()
	a := New(map[string]any{"id": srv + "/configurations/a", "type": "x/y"}, Origin{})
	b := New(map[string]any{"id": srv + "/configurations/b", "type": "x/y"}, Origin{})
	b2 := New(map[string]any{"id": srv + "/CONFIGURATIONS/B/", "type": "x/y"}, Origin{})
	collide := func(r *Resource) idKeys { k := keysOf(r.ID); k.hash = keysOf(a.ID).hash; return k }
	s.insert(a, keysOf(a.ID))
	s.insert(b, collide(b))
	if s.ByID(a.ID) != a || s.ByID(b.ID) != b {
		t.Fatalf("colliding ids not both indexed")
	}
	s.insert(b2, collide(b2))
	if s.ByID(b.ID) != b2 || s.Len() != 2 || s.ByID(a.ID) != a {
		t.Errorf("replacement of a colliding id: len %d", s.Len())
	}
	if got := s.ByID(srv + "/configurations/c"); got != nil {
		t.Errorf("unknown id found: %v", got.ID)
	}
}

// TestLayer checks that a layer's lookups by relation find its own
// resources and its base's, and that its listings hold only its own.
func TestLayer(t *testing.T) {
	srv := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a" // shadows the package one
	res := func(id, typ string) *Resource {
		return New(map[string]any{"id": id, "type": typ, "name": id[strings.LastIndexByte(id, '/')+1:]}, Origin{})
	}
	pe := res("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe", "Microsoft.Network/privateEndpoints")
	baseCfg := res(srv+"/configurations/from-base", "Microsoft.DBforPostgreSQL/flexibleServers/configurations")
	base := NewSet(pe, baseCfg)
	server := res(srv, "Microsoft.DBforPostgreSQL/flexibleServers")
	cfg := res(strings.ToUpper(srv)+"/configurations/own", "Microsoft.DBforPostgreSQL/flexibleServers/configurations")
	diag := res(srv+"/providers/Microsoft.Insights/diagnosticSettings/d", "Microsoft.Insights/diagnosticSettings")
	layer := NewLayer(base)
	layer.AddAll([]*Resource{server, cfg, diag})

	if layer.Base() != base || base.Base() != nil {
		t.Fatal("Base")
	}
	if layer.ByID(pe.ID) != pe || layer.ByID(strings.ToLower(srv)) != server || base.ByID(srv) != nil {
		t.Error("ByID does not search the layer, then the base")
	}
	if got := layer.Children(srv, "Microsoft.DBforPostgreSQL/flexibleServers/configurations"); len(got) != 2 || got[0] != cfg || got[1] != baseCfg {
		t.Errorf("Children = %v, want the layer's then the base's", got)
	}
	if got := layer.Extensions(srv, "microsoft.insights/diagnosticsettings"); len(got) != 1 || got[0] != diag {
		t.Errorf("Extensions = %v", got)
	}
	if got := layer.InResourceGroup("s", "RG", "Microsoft.Network/privateEndpoints"); len(got) != 1 || got[0] != pe {
		t.Errorf("InResourceGroup = %v", got)
	}
	if got := layer.InSubscription("s", "Microsoft.DBforPostgreSQL/flexibleServers"); len(got) != 1 || got[0] != server {
		t.Errorf("InSubscription = %v", got)
	}
	if layer.Len() != 3 || len(layer.OfType("Microsoft.Network/privateEndpoints")) != 0 || len(layer.Types()) != 3 {
		t.Errorf("the layer's listings hold the base: Len %d, Types %v", layer.Len(), layer.Types())
	}
	if base.Len() != 2 {
		t.Errorf("the base changed: %d resources", base.Len())
	}
}

// keysByParse is keysOf as ParseID defines it.
func keysByParse(id string) idKeys {
	if id == "" {
		return idKeys{}
	}
	return keysOfSlow(idKeys{id: Normalize(id), hash: hashNormal(id)})
}

// TestKeysOfMatchesParseID checks the allocation-free id parsing of the set
// against ParseID.
func TestKeysOfMatchesParseID(t *testing.T) {
	for _, id := range []string{"", "/", "//", "x", "/subscriptions/S", "/subscriptions/S/resourceGroups/RG",
		srv, srv + "/configurations/c", srv + "/", "//subscriptions/s//resourceGroups/rg/providers/P/t/n",
		"subscriptions/s/resourceGroups/rg/providers/P/t/n/c/d", srv + "/providers/Microsoft.Insights/diagnosticSettings/d",
		"/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyAssignments/a",
		"/subscriptions/s/providers/Microsoft.Security/pricings/OpenSourceRelationalDatabases", "/subscriptions/s/providers",
		"/subscriptions/s/resourceGroups/rg/providers/P", "/a/b/c/providers/P/t/n/x", "/x/resourceGroups/rg/subscriptions/s/providers/P/t/n",
		strings.Repeat("/a", 60) + "/providers/P/t/n", "/subscriptions/s/resourceGroups/rg/providers/P/t/n/providers/Q/u/m/v/w",
	} {
		if got, want := keysOf(id), keysByParse(id); got != want {
			t.Errorf("keysOf(%q) = %+v, want %+v", id, got, want)
		}
	}
}

// FuzzKeysOf compares keysOf with ParseID on any id.
func FuzzKeysOf(f *testing.F) {
	f.Add(srv + "/configurations/c")
	f.Add("//a/providers//b/")
	f.Fuzz(func(t *testing.T, id string) {
		want := keysByParse(id)
		if got := keysOf(id); got != want {
			t.Errorf("keysOf(%q) = %+v, want %+v", id, got, want)
		}
		var buf [64]byte
		if got := keysOfIn(buf[:0], id); got != want {
			t.Errorf("keysOfIn(%q) = %+v, want %+v", id, got, want)
		}
	})
}

func FuzzAppendNormal(f *testing.F) {
	for _, s := range []string{srv + "/configurations/c", "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`@az{", "/Subscriptions/Ä/résumé//", "", "////", "@[`{AZaz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prefix := []byte("P/")
		got := string(appendNormal(prefix, s))
		if want := "P/" + Normalize(s); got != want {
			t.Errorf("appendNormal(%q) = %q, want %q", s, got, want)
		}
	})
}
