package arm

import "testing"

func TestUnresolvedWithin(t *testing.T) {
	const (
		sub    = "/subscriptions/s1"
		rg     = sub + "/resourceGroups/rg1"
		server = rg + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg"
		ws     = "Microsoft.OperationalInsights/workspaces"
	)
	tests := []struct {
		name       string
		unresolved Unresolved
		scope, typ string
		want       bool
	}{
		{"anywhere", Unresolved{Reason: "r"}, rg, ws, true},
		{"the scope itself", Unresolved{Scope: rg}, rg, ws, true},
		{"an ancestor of the scope", Unresolved{Scope: sub}, rg, ws, true},
		{"a resource in the group", Unresolved{Scope: server}, rg, ws, true},
		{"a group in the subscription", Unresolved{Scope: rg}, sub, ws, true},
		{"another group", Unresolved{Scope: sub + "/resourceGroups/rg2"}, rg, ws, false},
		{"a group whose name extends this one's", Unresolved{Scope: rg + "0"}, rg, ws, false},
		{"another type", Unresolved{Scope: server, Type: "Microsoft.Storage/storageAccounts"}, rg, ws, false},
		{"the type, any case", Unresolved{Scope: server, Type: "microsoft.operationalinsights/WORKSPACES"}, rg, ws, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := NewSet()
			base.AddUnresolved(tc.unresolved)
			for _, s := range []*Set{base, NewLayer(base)} {
				got := s.UnresolvedWithin(tc.scope, tc.typ) != nil
				if got != tc.want {
					t.Errorf("UnresolvedWithin(%s, %s) = %v, want %v", tc.scope, tc.typ, got, tc.want)
				}
			}
		})
	}
}
