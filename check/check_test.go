package check

import (
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/report"
)

const server = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg"

func res(obj map[string]any) *arm.Resource { return arm.New(obj, arm.Origin{}) }

func fwRule(start, end any) *arm.Resource {
	return res(map[string]any{"id": server + "/firewallRules/r", "name": "r", "type": "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
		"properties": map[string]any{"startIpAddress": start, "endIpAddress": end}})
}

func serverWith(network map[string]any) *arm.Resource {
	return res(map[string]any{"id": server, "name": "pg", "type": "Microsoft.DBforPostgreSQL/flexibleServers",
		"properties": map[string]any{"network": network}})
}

func TestFirewallOpenToInternet(t *testing.T) {
	public := serverWith(map[string]any{"publicNetworkAccess": "Enabled"})
	tests := []struct {
		name       string
		srv        *arm.Resource
		start, end any
		params     Params
		want       report.Status
		msg        string
	}{
		{"whole internet", public, "0.0.0.0", "255.255.255.255", nil, report.NonCompliant, "every IPv4 address"},
		{"allow azure services", public, "0.0.0.0", "0.0.0.0", nil, report.Compliant, "PGB-NS2-02"},
		{"office /27", public, "203.0.113.0", "203.0.113.31", nil, report.Compliant, "32 addresses"},
		{"a /15 is wider than /16", public, "10.0.0.0", "10.1.255.255", nil, report.NonCompliant, "more than a /16"},
		{"exactly /16", public, "10.0.0.0", "10.0.255.255", nil, report.Compliant, ""},
		{"looser prefix", public, "10.0.0.0", "10.255.255.255", Params{"maxPrefix": 8}, report.Compliant, ""},
		{"stricter prefix", public, "10.0.0.0", "10.0.255.255", Params{"maxPrefix": 24}, report.NonCompliant, "more than a /24"},
		{"reversed", public, "10.0.0.9", "10.0.0.1", nil, report.Error, "below its start"},
		{"not ipv4", public, "fe80::1", "fe80::2", nil, report.Error, "not a pair of IPv4"},
		{"unknown", public, arm.Unknown{Reason: "known after apply"}, "1.2.3.4", nil, report.Unknown, ""},
		{"public access disabled", serverWith(map[string]any{"publicNetworkAccess": "Disabled"}), "0.0.0.0", "255.255.255.255", nil, report.NotApplicable, ""},
		{"vnet integrated", serverWith(map[string]any{"delegatedSubnetResourceId": "/x"}), "0.0.0.0", "255.255.255.255", nil, report.NotApplicable, ""},
		{"server not in input", nil, "0.0.0.0", "255.255.255.255", nil, report.NonCompliant, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := arm.NewSet()
			if tc.srv != nil {
				set.Add(tc.srv)
			}
			rule := fwRule(tc.start, tc.end)
			set.Add(rule)
			o := FirewallOpenToInternet(rule, set, tc.params)
			if o.Status != tc.want || !strings.Contains(o.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", o.Status, o.Message, tc.want, tc.msg)
			}
		})
	}
}

func TestSubnetNSG(t *testing.T) {
	subnetID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pg"
	nsgID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"
	subnet := func(nsg string) *arm.Resource {
		props := map[string]any{}
		if nsg != "" {
			props["networkSecurityGroup"] = map[string]any{"id": nsg}
		}
		return res(map[string]any{"id": subnetID, "name": "pg", "type": subnetType, "properties": props})
	}
	rule := func(name string, prio int, access, source, port string) any {
		return map[string]any{"name": name, "properties": map[string]any{"priority": float64(prio), "direction": "Inbound",
			"access": access, "sourceAddressPrefix": source, "destinationPortRange": port}}
	}
	nsg := func(rules ...any) *arm.Resource {
		return res(map[string]any{"id": nsgID, "name": "nsg", "type": nsgType, "properties": map[string]any{"securityRules": rules}})
	}
	vnetServer := serverWith(map[string]any{"delegatedSubnetResourceId": subnetID})
	tests := []struct {
		name  string
		srv   *arm.Resource
		extra []*arm.Resource
		want  report.Status
		msg   string
	}{
		{"public server", serverWith(map[string]any{"publicNetworkAccess": "Enabled"}), nil, report.NotApplicable, "not VNet-integrated"},
		{"subnet not in input", vnetServer, nil, report.Unknown, "not among the inputs"},
		{"no nsg", vnetServer, []*arm.Resource{subnet("")}, report.NonCompliant, "has no network security group"},
		{"nsg not in input", vnetServer, []*arm.Resource{subnet(nsgID)}, report.Unknown, "not among the inputs"},
		{"pgbouncer port open", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("bouncer", 100, "Allow", "0.0.0.0/0", "6432"))}, report.NonCompliant, "allows port 6432"},
		{"allows 5432 from internet", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 200, "Allow", "Internet", "5432"))}, report.NonCompliant, "rule open (priority 200) allows"},
		{"allows a port range from *", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("wide", 300, "Allow", "*", "5000-6000"))}, report.NonCompliant, "wide"},
		{"deny first by priority", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 200, "Allow", "Internet", "*"), rule("block", 100, "Deny", "Internet", "5432"))}, report.Compliant, "rule block (priority 100) denies"},
		{"only private sources", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("app", 100, "Allow", "10.0.1.0/24", "5432"))}, report.Compliant, "does not open"},
		{"other port open", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("https", 100, "Allow", "Internet", "443"))}, report.Compliant, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := arm.NewSet(append([]*arm.Resource{tc.srv}, tc.extra...)...)
			o := SubnetNSG(tc.srv, set, nil)
			if o.Status != tc.want || !strings.Contains(o.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", o.Status, o.Message, tc.want, tc.msg)
			}
		})
	}
}
