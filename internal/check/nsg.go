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
//
// What is not certain makes the verdict Unknown when it could change it: a
// security rule that may not exist (arm.Resource.MaybeAbsent), a rule
// property not known before deployment, or rules (or a subnet association)
// that the inputs may create unseen (arm.Unresolved). A rule at priority
// 100, the first possible, cannot be preceded by an unseen rule.
func SubnetNSG(r *arm.Resource, set Scope, p Params) Outcome {
	ports := p.Ints("ports", []int{5432, 6432})
	const path = "properties.network.delegatedSubnetResourceId"
	raw, _ := value(r, path)
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
	nsgRaw, _ := value(subnet, "properties.networkSecurityGroup.id")
	if isUnknown(nsgRaw) {
		return Outcome{Status: report.Unknown, Path: path, Related: subnet,
			Message: "The subnet's network security group is not known before deployment."}
	}
	nsgID, _ := nsgRaw.(string)
	if nsgID == "" {
		if u := set.UnresolvedFor(subnet.ID, subnetType); u != nil {
			return Outcome{Status: report.Unknown, Path: path, Related: subnet, Evidence: map[string]any{"subnet": subnet.Name},
				Message: fmt.Sprintf("The delegated subnet %s has no network security group among the inputs, but the inputs may associate one unseen: %s.",
					subnet.Name, strings.TrimSuffix(u.Reason, "."))}
		}
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
	// The rule that decides is the first, by priority, that matches. Rules
	// that may or may not match (or exist), or whose priority is not known,
	// add their access to what may decide; the first rule that certainly
	// matches ends the walk; without one, the default DenyAllInBound
	// decides.
	var (
		decisive  *securityRule
		port      int
		mayAllow  string // why an Allow may decide, when not certain
		mayDeny   string // why a Deny may decide, when not certain
		uncertain = func(rule *securityRule, why string) {
			allow, deny := rule.mayAllow(), rule.mayDeny()
			if allow && mayAllow == "" {
				mayAllow = why
			}
			if deny && mayDeny == "" {
				mayDeny = why
			}
		}
	)
	var unplaced []*securityRule // rules whose priority is not known
	for i := range rules {
		rule := &rules[i]
		if rule.unknownPriority {
			unplaced = append(unplaced, rule)
			continue
		}
		m, prt, why := rule.matches(ports)
		if m == matchNo {
			continue
		}
		if m == matchYes && why == "" && !rule.unknownAccess {
			decisive, port = rule, prt
			break
		}
		if why == "" {
			why = fmt.Sprintf("rule %s's access is not known before deployment", rule.name)
		}
		uncertain(rule, why)
		if m == matchYes && rule.maybeAbsent == "" {
			// It certainly applies, with an access not known: nothing
			// after it decides.
			decisive, port = rule, prt
			break
		}
	}
	if decisive == nil || decisive.priority > minPriority {
		// A rule of unknown priority may come before the decisive one.
		for _, rule := range unplaced {
			m, _, why := rule.matches(ports)
			if m == matchNo {
				continue
			}
			if why == "" {
				why = fmt.Sprintf("rule %s's priority is not known before deployment", rule.name)
			}
			uncertain(rule, why)
		}
	}
	if u := set.UnresolvedFor(nsg.ID, nsgRuleType); u != nil && (decisive == nil || decisive.priority > minPriority) {
		why := "the inputs may create security rules unseen: " + strings.TrimSuffix(u.Reason, ".")
		if mayAllow == "" {
			mayAllow = why
		}
		if mayDeny == "" {
			mayDeny = why
		}
	}
	ev := map[string]any{"networkSecurityGroup": nsg.Name}
	if decisive != nil {
		ev["rule"], ev["priority"], ev["access"] = decisive.name, decisive.priority, decisive.access
	}
	allows := decisive != nil && strings.EqualFold(decisive.access, "Allow") && !decisive.unknownAccess
	denies := decisive == nil || (!strings.EqualFold(decisive.access, "Allow") && !decisive.unknownAccess)
	switch {
	case allows && mayDeny != "", denies && mayAllow != "", decisive != nil && decisive.unknownAccess:
		why := mayAllow
		if allows {
			why = mayDeny
		}
		return Outcome{Status: report.Unknown, Path: path, Related: nsg, Evidence: ev,
			Message: fmt.Sprintf("Whether network security group %s admits ports %v from the internet depends on what is not known before deployment: %s.", nsg.Name, ports, why)}
	case allows:
		return Outcome{Status: report.NonCompliant, Path: path, Related: nsg, Evidence: ev,
			Message: fmt.Sprintf("Network security group %s rule %s (priority %d) allows port %d from the internet.", nsg.Name, decisive.name, decisive.priority, port)}
	case decisive != nil:
		return Outcome{Status: report.Compliant, Path: path, Related: nsg, Evidence: ev,
			Message: fmt.Sprintf("Network security group %s rule %s (priority %d) denies port %d from the internet.", nsg.Name, decisive.name, decisive.priority, port)}
	}
	return Outcome{Status: report.Compliant, Path: path, Related: nsg, Evidence: ev,
		Message: fmt.Sprintf("Network security group %s does not open ports %v to the internet.", nsg.Name, ports)}
}

// minPriority is the first priority a security rule can have.
const minPriority = 100

type securityRule struct {
	name, direction, access string
	priority                int
	sources, ports          []string
	// What is not known before deployment.
	unknownDirection, unknownAccess, unknownPriority, unknownSources, unknownPorts bool
	// maybeAbsent says why the rule may not exist ("" when it does).
	maybeAbsent string
}

type match int8

const (
	matchNo match = iota
	matchYes
	matchMaybe
)

// matches tells whether the rule admits or blocks inbound traffic from the
// internet to one of ports: yes with the port, no, or maybe with why.
func (r *securityRule) matches(ports []int) (match, int, string) {
	var whys []string
	m := matchYes
	switch {
	case r.unknownDirection:
		m, whys = matchMaybe, append(whys, "its direction is not known before deployment")
	case !strings.EqualFold(r.direction, "Inbound"):
		return matchNo, 0, ""
	}
	switch {
	case r.fromInternet():
	case r.unknownSources:
		m, whys = matchMaybe, append(whys, "its source is not known before deployment")
	default:
		return matchNo, 0, ""
	}
	port, covered := 0, false
	for _, p := range ports {
		if r.coversPort(p) {
			port, covered = p, true
			break
		}
	}
	switch {
	case covered:
	case r.unknownPorts:
		m, whys = matchMaybe, append(whys, "its ports are not known before deployment")
	default:
		return matchNo, 0, ""
	}
	if r.maybeAbsent != "" {
		whys = append(whys, "it may not exist: "+strings.TrimSuffix(r.maybeAbsent, "."))
	}
	if len(whys) == 0 {
		return m, port, ""
	}
	return m, port, fmt.Sprintf("rule %s may apply (%s)", r.name, strings.Join(whys, "; "))
}

func (r *securityRule) mayAllow() bool {
	return r.unknownAccess || strings.EqualFold(r.access, "Allow")
}
func (r *securityRule) mayDeny() bool {
	return r.unknownAccess || !strings.EqualFold(r.access, "Allow")
}

func securityRules(nsg *arm.Resource, set Scope) []securityRule {
	var out []securityRule
	seen := map[string]bool{}
	add := func(name string, props map[string]any, maybeAbsent string) {
		if seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		rule := securityRule{name: name, maybeAbsent: maybeAbsent}
		var v any
		v, _ = arm.Lookup(props, "direction")
		rule.direction, _ = v.(string)
		rule.unknownDirection = isUnknown(v)
		v, _ = arm.Lookup(props, "access")
		rule.access, _ = v.(string)
		rule.unknownAccess = isUnknown(v)
		if p, ok := arm.Lookup(props, "priority"); ok {
			switch v := p.(type) {
			case float64:
				rule.priority = int(v)
			case int64:
				rule.priority = int(v)
			case int:
				rule.priority = v
			case string:
				rule.priority, _ = strconv.Atoi(v)
			case arm.Unknown:
				rule.unknownPriority = true
			}
		}
		rule.sources, rule.unknownSources = stringsOf(props, "sourceAddressPrefix", "sourceAddressPrefixes")
		rule.ports, rule.unknownPorts = stringsOf(props, "destinationPortRange", "destinationPortRanges")
		out = append(out, rule)
	}
	if v, ok := value(nsg, "properties.securityRules"); ok {
		if isUnknown(v) {
			// The inline rules are not known: one rule that may apply,
			// with an access not known.
			out = append(out, securityRule{name: "(securityRules)", unknownDirection: true, unknownAccess: true,
				unknownPriority: true, unknownSources: true, unknownPorts: true})
		}
		list, _ := v.([]any)
		for i, e := range list {
			m, _ := e.(map[string]any)
			if isUnknown(e) {
				out = append(out, securityRule{name: fmt.Sprintf("securityRules[%d]", i), unknownDirection: true, unknownAccess: true,
					unknownPriority: true, unknownSources: true, unknownPorts: true})
				continue
			}
			name, _ := lookupString(m, "name")
			props, _ := arm.Lookup(m, "properties")
			switch pm := props.(type) {
			case map[string]any:
				add(name, pm, "")
			case arm.Unknown:
				out = append(out, securityRule{name: name, unknownDirection: true, unknownAccess: true,
					unknownPriority: true, unknownSources: true, unknownPorts: true})
			}
		}
	}
	for _, child := range set.Children(nsg.ID, nsgRuleType) {
		props, _ := arm.Lookup(child.Object, "properties")
		switch pm := props.(type) {
		case map[string]any:
			add(child.Name, pm, child.MaybeAbsent)
		case arm.Unknown:
			out = append(out, securityRule{name: child.Name, maybeAbsent: child.MaybeAbsent, unknownDirection: true,
				unknownAccess: true, unknownPriority: true, unknownSources: true, unknownPorts: true})
		}
	}
	return out
}

func lookupString(m map[string]any, key string) (string, bool) {
	v, ok := arm.Lookup(m, key)
	s, _ := v.(string)
	return s, ok
}

// stringsOf returns the strings of a single-valued property and its plural
// list, and whether any of them is not known before deployment.
func stringsOf(m map[string]any, single, plural string) (out []string, unknown bool) {
	v, _ := arm.Lookup(m, single)
	if s, _ := v.(string); s != "" {
		out = append(out, s)
	}
	unknown = isUnknown(v)
	if v, ok := arm.Lookup(m, plural); ok {
		unknown = unknown || isUnknown(v)
		list, _ := v.([]any)
		for _, e := range list {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
			unknown = unknown || isUnknown(e)
		}
	}
	return out, unknown
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
