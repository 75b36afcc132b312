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
		{"unknown properties", public, nil, nil, nil, report.Unknown, "not known before deployment"},
		{"public access disabled", serverWith(map[string]any{"publicNetworkAccess": "Disabled"}), "0.0.0.0", "255.255.255.255", nil, report.NotApplicable, ""},
		{"vnet integrated", serverWith(map[string]any{"delegatedSubnetResourceId": "/x"}), "0.0.0.0", "255.255.255.255", nil, report.NotApplicable, ""},
		{"server not in input", nil, "0.0.0.0", "255.255.255.255", nil, report.NonCompliant, ""},
		{"public access unknown, wide range", serverWith(map[string]any{"publicNetworkAccess": arm.Unknown{Reason: "known after apply"}}),
			"0.0.0.0", "255.255.255.255", nil, report.Unknown, "public network access is not known before deployment (known after apply)"},
		{"public access unknown, narrow range", serverWith(map[string]any{"publicNetworkAccess": arm.Unknown{}}),
			"203.0.113.0", "203.0.113.31", nil, report.Compliant, "32 addresses"},
		{"subnet id unknown but certainly set", serverWith(map[string]any{"delegatedSubnetResourceId": arm.Unknown{Prefix: "/subscriptions/"}}),
			"0.0.0.0", "255.255.255.255", nil, report.NotApplicable, ""},
		{"subnet id unknown, may be unset", serverWith(map[string]any{"delegatedSubnetResourceId": arm.Unknown{Reason: "var.subnet"}}),
			"0.0.0.0", "255.255.255.255", nil, report.Unknown, "VNet-integrated is not known"},
		{"server network unknown", res(map[string]any{"id": server, "name": "pg", "type": "Microsoft.DBforPostgreSQL/flexibleServers",
			"properties": map[string]any{"network": arm.Unknown{NonEmpty: true}}}), "10.0.0.0", "10.1.255.255", nil, report.Unknown, "more than a /16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := arm.NewSet()
			if tc.srv != nil {
				set.Add(tc.srv)
			}
			rule := fwRule(tc.start, tc.end)
			if tc.start == nil && tc.end == nil {
				rule.Object["properties"] = arm.Unknown{Reason: "known after apply"}
			}
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
	// child is a security rule written as its own resource; maybe says why
	// it may not exist.
	child := func(name string, prio any, access, source any, port string, maybe string) *arm.Resource {
		r := res(map[string]any{"id": nsgID + "/securityRules/" + name, "name": name, "type": nsgRuleType,
			"properties": map[string]any{"priority": prio, "direction": "Inbound", "access": access,
				"sourceAddressPrefix": source, "destinationPortRange": port}})
		r.MaybeAbsent = maybe
		return r
	}
	const count = "count is not known: var.open has no value"
	const module = "module.net was not downloaded"
	unknown := arm.Unknown{Reason: "known after apply"}
	vnetServer := serverWith(map[string]any{"delegatedSubnetResourceId": subnetID})
	tests := []struct {
		name       string
		srv        *arm.Resource
		extra      []*arm.Resource
		want       report.Status
		msg        string
		unresolved []arm.Unresolved
	}{
		{"public server", serverWith(map[string]any{"publicNetworkAccess": "Enabled"}), nil, report.NotApplicable, "not VNet-integrated", nil},
		{"subnet not in input", vnetServer, nil, report.Unknown, "not among the inputs", nil},
		{"no nsg", vnetServer, []*arm.Resource{subnet("")}, report.NonCompliant, "has no network security group", nil},
		{"nsg not in input", vnetServer, []*arm.Resource{subnet(nsgID)}, report.Unknown, "not among the inputs", nil},
		{"pgbouncer port open", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("bouncer", 100, "Allow", "0.0.0.0/0", "6432"))}, report.NonCompliant, "allows port 6432", nil},
		{"allows 5432 from internet", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 200, "Allow", "Internet", "5432"))}, report.NonCompliant, "rule open (priority 200) allows", nil},
		{"allows a port range from *", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("wide", 300, "Allow", "*", "5000-6000"))}, report.NonCompliant, "wide", nil},
		{"deny first by priority", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 200, "Allow", "Internet", "*"), rule("block", 100, "Deny", "Internet", "5432"))}, report.Compliant, "rule block (priority 100) denies", nil},
		{"only private sources", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("app", 100, "Allow", "10.0.1.0/24", "5432"))}, report.Compliant, "does not open", nil},
		{"other port open", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("https", 100, "Allow", "Internet", "443"))}, report.Compliant, "", nil},
		{"server network object unknown", res(map[string]any{"id": server, "name": "pg", "type": "Microsoft.DBforPostgreSQL/flexibleServers",
			"properties": map[string]any{"network": unknown}}), nil, report.Unknown, "delegated subnet is not known", nil},
		{"maybe-absent allow rule only", vnetServer, []*arm.Resource{subnet(nsgID), nsg(), child("open", 200.0, "Allow", "*", "5432", count)},
			report.Unknown, "rule open may apply (it may not exist: " + count + ")", nil},
		{"maybe-absent deny before a certain allow", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 200, "Allow", "*", "5432")),
			child("block", 100.0, "Deny", "*", "5432", count)}, report.Unknown, "rule block may apply", nil},
		{"certain deny before a maybe-absent allow", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("block", 100, "Deny", "*", "5432")),
			child("open", 200.0, "Allow", "*", "5432", count)}, report.Compliant, "rule block (priority 100) denies", nil},
		{"maybe-absent allow after a certain allow", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 150, "Allow", "*", "5432")),
			child("open2", 200.0, "Allow", "*", "5432", count)}, report.NonCompliant, "rule open (priority 150) allows", nil},
		{"maybe-absent deny after a certain allow", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 150, "Allow", "*", "5432")),
			child("late", 300.0, "Deny", "*", "5432", count)}, report.NonCompliant, "rule open (priority 150) allows", nil},
		{"maybe-absent allow on another port", vnetServer, []*arm.Resource{subnet(nsgID), nsg(),
			child("https", 100.0, "Allow", "*", "443", count)}, report.Compliant, "does not open", nil},
		{"certain child rule", vnetServer, []*arm.Resource{subnet(nsgID), nsg(), child("open", 200.0, "Allow", "*", "5432", "")},
			report.NonCompliant, "rule open (priority 200) allows", nil},
		{"rule source unknown", vnetServer, []*arm.Resource{subnet(nsgID), nsg(), child("open", 200.0, "Allow", unknown, "5432", "")},
			report.Unknown, "its source is not known", nil},
		{"rule source unknown, deny", vnetServer, []*arm.Resource{subnet(nsgID), nsg(), child("block", 200.0, "Deny", unknown, "5432", "")},
			report.Compliant, "does not open", nil},
		{"rule access unknown", vnetServer, []*arm.Resource{subnet(nsgID), nsg(), child("r", 200.0, unknown, "*", "5432", "")},
			report.Unknown, "rule r's access is not known", nil},
		{"rule priority unknown", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("block", 200, "Deny", "*", "5432")),
			child("open", unknown, "Allow", "*", "5432", "")}, report.Unknown, "rule open's priority is not known", nil},
		{"rule priority unknown after a deny at 100", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("block", 100, "Deny", "*", "5432")),
			child("open", unknown, "Allow", "*", "5432", "")}, report.Compliant, "rule block (priority 100) denies", nil},
		{"unseen rules may precede an allow", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 200, "Allow", "*", "5432"))},
			report.Unknown, "may create security rules unseen: " + module,
			[]arm.Unresolved{{Scope: nsgID, Type: nsgRuleType, Reason: module}}},
		{"unseen rules cannot precede an allow at 100", vnetServer, []*arm.Resource{subnet(nsgID), nsg(rule("open", 100, "Allow", "*", "5432"))},
			report.NonCompliant, "rule open (priority 100) allows", []arm.Unresolved{{Scope: "", Reason: module}}},
		{"unseen rules may allow", vnetServer, []*arm.Resource{subnet(nsgID), nsg()},
			report.Unknown, module, []arm.Unresolved{{Scope: "", Reason: module}}},
		// A module given only the resource group cannot add rules to a
		// security group it does not know.
		{"module given the group only", vnetServer, []*arm.Resource{subnet(nsgID), nsg()},
			report.Compliant, "does not open", []arm.Unresolved{{Scope: "/subscriptions/s/resourceGroups/rg", Reason: module}}},
		{"unseen rules elsewhere", vnetServer, []*arm.Resource{subnet(nsgID), nsg()},
			report.Compliant, "does not open", []arm.Unresolved{{Scope: "/subscriptions/s/resourceGroups/other", Reason: module}}},
		{"no nsg, association may be unseen", vnetServer, []*arm.Resource{subnet("")}, report.Unknown, "may associate one unseen: " + module,
			[]arm.Unresolved{{Scope: subnetID, Reason: module}}},
		{"no nsg, unseen resources of another type", vnetServer, []*arm.Resource{subnet("")}, report.NonCompliant, "has no network security group",
			[]arm.Unresolved{{Scope: subnetID, Type: "Microsoft.Storage/storageAccounts", Reason: module}}},
		{"inline rules unknown", vnetServer, []*arm.Resource{subnet(nsgID), res(map[string]any{"id": nsgID, "name": "nsg", "type": nsgType,
			"properties": map[string]any{"securityRules": unknown}})}, report.Unknown, "(securityRules)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := arm.NewSet(append([]*arm.Resource{tc.srv}, tc.extra...)...)
			for _, u := range tc.unresolved {
				set.AddUnresolved(u)
			}
			o := SubnetNSG(tc.srv, set, nil)
			if o.Status != tc.want || !strings.Contains(o.Message, tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", o.Status, o.Message, tc.want, tc.msg)
			}
		})
	}
}
