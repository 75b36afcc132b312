package armtemplate

import (
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// avmDir is a reproduction of the Azure Verified Module
// avm/res/db-for-postgre-sql/flexible-server as bicep compiles it
// (languageVersion 2.0, nullable optional parameters read through
// tryGet/coalesce, nested deployments for databases, firewall rules,
// configurations, administrators and private endpoints), with parameter
// sets shaped like the module's e2e tests.
var avmDir = filepath.Join("testdata", "avm-flexible-server")

// unknowns returns the paths of the arm.Unknown values in v, in order.
func unknowns(v any, path string) []string {
	switch t := v.(type) {
	case arm.Unknown:
		return []string{path}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, unknowns(t[k], joinPath(path, k))...)
		}
		return out
	case []any:
		var out []string
		for i, e := range t {
			out = append(out, unknowns(e, indexPath(path, i))...)
		}
		return out
	}
	return nil
}

func TestAVMFlexibleServer(t *testing.T) {
	const server = rgID + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/"
	const sub = "/subscriptions/6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90/resourceGroups/"
	cases := []struct {
		set     string
		name    string
		network map[string]any
		// types counts the resources expanded, by type.
		types map[string]int
		// unknown are the server's properties that are Unknown (a Key
		// Vault reference).
		unknown []string
	}{
		{
			// Private access: the subnet comes through the nullable
			// delegatedSubnetResourceId, firewallRules is left null, and
			// the private endpoint loop's condition is false.
			set: "private", name: "psql-avm-private",
			network: map[string]any{
				"delegatedSubnetResourceId":   sub + "rg-avm-private/providers/Microsoft.Network/virtualNetworks/vnet-avm/subnets/snet-postgres",
				"privateDnsZoneArmResourceId": sub + "rg-avm-private/providers/Microsoft.Network/privateDnsZones/avm.private.postgres.database.azure.com",
				"publicNetworkAccess":         "Disabled",
			},
			types: map[string]int{
				"Microsoft.DBforPostgreSQL/flexibleServers":                1,
				"Microsoft.DBforPostgreSQL/flexibleServers/databases":      2,
				"Microsoft.DBforPostgreSQL/flexibleServers/configurations": 2,
				"Microsoft.Insights/diagnosticSettings":                    1,
			},
			unknown: []string{"properties.administratorLoginPassword"},
		},
		{
			// A private endpoint: its connections are passed as one
			// whole-expression parameter, and linked to the server.
			set: "public-with-pe", name: "psql-avm-pe",
			network: map[string]any{"publicNetworkAccess": "Disabled"},
			types: map[string]int{
				"Microsoft.DBforPostgreSQL/flexibleServers":                            1,
				"Microsoft.DBforPostgreSQL/flexibleServers/administrators":             1,
				"Microsoft.Network/privateEndpoints":                                   1,
				"Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections": 1,
				"Microsoft.Network/privateEndpoints/privateDnsZoneGroups":              1,
			},
		},
		{
			// Only the required parameters; publicNetworkAccess passed as
			// null takes its default.
			set: "defaults", name: "psql-avm-min",
			network: map[string]any{"publicNetworkAccess": "Disabled"},
			types:   map[string]int{"Microsoft.DBforPostgreSQL/flexibleServers": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			in := expandFile(t, filepath.Join(avmDir, "main.json"), Options{ParamFiles: []string{filepath.Join(avmDir, "tests", c.set+".parameters.json")}})
			noErrors(t, in)
			if len(in.Notes) != 0 || len(in.Unresolved) != 0 {
				t.Errorf("notes %q, unresolved %+v", in.Notes, in.Unresolved)
			}
			types := map[string]int{}
			for _, r := range in.Resources {
				types[r.Type]++
				if r.MaybeAbsent != "" {
					t.Errorf("%s may be absent: %s", r.ID, r.MaybeAbsent)
				}
			}
			if !reflect.DeepEqual(types, c.types) {
				t.Errorf("resources by type %v, want %v", types, c.types)
			}
			srv := byID(in)[server+c.name]
			if srv == nil {
				t.Fatalf("no server %s", c.name)
			}
			if got, _ := srv.Get("properties.network"); !reflect.DeepEqual(got, c.network) {
				t.Errorf("network %#v, want %#v", got, c.network)
			}
			if got := unknowns(srv.Object, ""); !reflect.DeepEqual(got, c.unknown) {
				t.Errorf("the server's unknown values %q, want %q", got, c.unknown)
			}
			// Optional parameters left out are null, not unknown.
			for _, path := range []string{"identity", "tags", "properties.availabilityZone"} {
				if v, _ := srv.Get(path); v != nil && c.set != "private" {
					t.Errorf("%s = %#v, want null", path, v)
				}
			}
			if v, _ := srv.Get("properties.dataEncryption.type"); v != "SystemManaged" {
				t.Errorf("dataEncryption.type %v", v)
			}
			for _, r := range in.Resources {
				switch r.Type {
				case "Microsoft.Network/privateEndpoints":
					conns, _ := r.Get("properties.privateLinkServiceConnections")
					list, _ := conns.([]any)
					if len(list) != 1 {
						t.Fatalf("private link service connections %#v", conns)
					}
					if id, _ := arm.GetPath(list[0].(map[string]any), "properties.privateLinkServiceId"); id != srv.ID {
						t.Errorf("the private endpoint links %v, not the server", id)
					}
					if m, _ := r.Get("properties.manualPrivateLinkServiceConnections"); !reflect.DeepEqual(m, []any{}) {
						t.Errorf("manual connections %#v, want [] (the parameter passed as null)", m)
					}
				case "Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections":
					if st, _ := r.Get("properties.privateLinkServiceConnectionState.status"); st != "Approved" || !strings.HasPrefix(r.ID, srv.ID+"/") {
						t.Errorf("connection %s is %v", r.ID, st)
					}
				case "Microsoft.DBforPostgreSQL/flexibleServers/databases":
					if r.Name == "testdb2" {
						if v, _ := r.Get("properties.charset"); v != nil {
							t.Errorf("testdb2 charset %#v, want null (nullable, not passed)", v)
						}
					}
				}
			}
		})
	}
}
