package check

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/report"
)

const (
	subnetType  = "Microsoft.Network/virtualNetworks/subnets"
	nsgType     = "Microsoft.Network/networkSecurityGroups"
	nsgRuleType = nsgType + "/securityRules"
)

// SubnetNSG judges a VNet-integrated flexible server's delegated subnet: it
// fails when the subnet has no network security group, or when the first
// inbound rule, in priority order, that matches traffic from the internet to
// any of the parameter ports (default 5432 and PgBouncer's 6432) allows it.
// It is NotApplicable for servers with public access, and Unknown when the
// subnet or its network security group is not among the inputs.
func SubnetNSG(r *arm.Resource, set Scope, p Params) Outcome {
	ports := p.Ints("ports", []int{5432, 6432})
	const path = "properties.network.delegatedSubnetResourceId"
	raw, _ := r.Get(path)
	if isUnknown(raw) {
		return Outcome{Status: report.Unknown, Path: path, Message: "The delegated subnet is not known before deployment."}
	}
	subnetID, _ := raw.(string)
	if subnetID == "" {
		return Outcome{Status: report.NotApplicable, Path: "properties.network",
			Message: "The server is not VNet-integrated, so no subnet network security group applies."}
	}
	subnet := set.ByID(subnetID)
	if subnet == nil {
		return Outcome{Status: report.Unknown, Path: path, Evidence: map[string]any{path: subnetID},
			Message: "The delegated subnet is not among the inputs; scan it too to judge its network security group."}
	}
	nsgRaw, _ := subnet.Get("properties.networkSecurityGroup.id")
	if isUnknown(nsgRaw) {
		return Outcome{Status: report.Unknown, Path: path, Related: subnet,
			Message: "The subnet's network security group is not known before deployment."}
	}
	nsgID, _ := nsgRaw.(string)
	if nsgID == "" {
		return Outcome{Status: report.NonCompliant, Path: path, Related: subnet, Evidence: map[string]any{"subnet": subnet.Name},
			Message: fmt.Sprintf("The delegated subnet %s has no network security group.", subnet.Name)}
	}
	nsg := set.ByID(nsgID)
	if nsg == nil {
		return Outcome{Status: report.Unknown, Path: path, Related: subnet, Evidence: map[string]any{"networkSecurityGroup": nsgID},
			Message: "The delegated subnet has a network security group, but it is not among the inputs; scan it too to judge its rules."}
	}
	rules := securityRules(nsg, set)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].priority < rules[j].priority })
	for _, rule := range rules {
		port, covered := 0, false
		for _, p := range ports {
			if rule.coversPort(p) {
				port, covered = p, true
				break
			}
		}
		if !strings.EqualFold(rule.direction, "Inbound") || !rule.fromInternet() || !covered {
			continue
		}
		ev := map[string]any{"networkSecurityGroup": nsg.Name, "rule": rule.name, "priority": rule.priority, "access": rule.access}
		if strings.EqualFold(rule.access, "Allow") {
			return Outcome{Status: report.NonCompliant, Path: path, Related: nsg, Evidence: ev,
				Message: fmt.Sprintf("Network security group %s rule %s (priority %d) allows port %d from the internet.", nsg.Name, rule.name, rule.priority, port)}
		}
		return Outcome{Status: report.Compliant, Path: path, Related: nsg, Evidence: ev,
			Message: fmt.Sprintf("Network security group %s rule %s (priority %d) denies port %d from the internet.", nsg.Name, rule.name, rule.priority, port)}
	}
	return Outcome{Status: report.Compliant, Path: path, Related: nsg, Evidence: map[string]any{"networkSecurityGroup": nsg.Name},
		Message: fmt.Sprintf("Network security group %s does not open ports %v to the internet.", nsg.Name, ports)}
}

type securityRule struct {
	name, direction, access string
	priority                int
	sources, ports          []string
}

func securityRules(nsg *arm.Resource, set Scope) []securityRule {
	var out []securityRule
	seen := map[string]bool{}
	add := func(name string, props map[string]any) {
		if seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		rule := securityRule{name: name}
		rule.direction, _ = lookupString(props, "direction")
		rule.access, _ = lookupString(props, "access")
		if p, ok := arm.Lookup(props, "priority"); ok {
			switch v := p.(type) {
			case float64:
				rule.priority = int(v)
			case int64:
				rule.priority = int(v)
			case string:
				rule.priority, _ = strconv.Atoi(v)
			}
		}
		rule.sources = stringsOf(props, "sourceAddressPrefix", "sourceAddressPrefixes")
		rule.ports = stringsOf(props, "destinationPortRange", "destinationPortRanges")
		out = append(out, rule)
	}
	if v, ok := nsg.Get("properties.securityRules"); ok {
		list, _ := v.([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			name, _ := lookupString(m, "name")
			props, _ := arm.Lookup(m, "properties")
			if pm, ok := props.(map[string]any); ok {
				add(name, pm)
			}
		}
	}
	for _, child := range set.Children(nsg.ID, nsgRuleType) {
		add(child.Name, child.Properties())
	}
	return out
}

func lookupString(m map[string]any, key string) (string, bool) {
	v, ok := arm.Lookup(m, key)
	s, _ := v.(string)
	return s, ok
}

func stringsOf(m map[string]any, single, plural string) []string {
	var out []string
	if s, _ := lookupString(m, single); s != "" {
		out = append(out, s)
	}
	if v, ok := arm.Lookup(m, plural); ok {
		list, _ := v.([]any)
		for _, e := range list {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (r securityRule) fromInternet() bool {
	for _, s := range r.sources {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "*", "internet", "any", "0.0.0.0/0", "0.0.0.0":
			return true
		}
	}
	return false
}

func (r securityRule) coversPort(port int) bool {
	for _, p := range r.ports {
		p = strings.TrimSpace(p)
		if p == "*" {
			return true
		}
		lo, hi, found := strings.Cut(p, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if found {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		if port >= a && port <= b {
			return true
		}
	}
	return false
}
