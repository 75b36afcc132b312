package flexserver

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// TestCompleteCreatedNull: a property a template sets to null (an optional
// parameter with no value) is not given, so Azure's creation default
// applies, as for one left out.
func TestCompleteCreatedNull(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network map[string]any
		want    any
	}{
		{"left out", map[string]any{}, "Enabled"},
		{"null", map[string]any{"publicNetworkAccess": nil, "delegatedSubnetResourceId": nil}, "Enabled"},
		{"null in a delegated subnet", map[string]any{"publicNetworkAccess": nil, "delegatedSubnetResourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/pg"}, "Disabled"},
		{"written", map[string]any{"publicNetworkAccess": "Disabled"}, "Disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := map[string]any{"type": ServerType, "properties": map[string]any{
				"network": tc.network, "backup": map[string]any{"geoRedundantBackup": nil}}}
			CompleteCreated(obj)
			props := obj["properties"].(map[string]any)
			if got, _ := arm.Lookup(props["network"].(map[string]any), "publicNetworkAccess"); got != tc.want {
				t.Errorf("publicNetworkAccess = %v, want %v", got, tc.want)
			}
			if got := props["backup"].(map[string]any)["geoRedundantBackup"]; got != "Disabled" {
				t.Errorf("geoRedundantBackup = %v, want Azure's default Disabled for null", got)
			}
		})
	}
}
