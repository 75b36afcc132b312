package check

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/report"
)

// FirewallOpenToInternet judges a flexible server firewall rule: it fails
// when the rule admits the whole IPv4 internet (0.0.0.0-255.255.255.255) or
// a range of more addresses than a /maxPrefix network holds (parameter
// maxPrefix, default 16). The "allow Azure services" rule 0.0.0.0-0.0.0.0 is
// PGB-NS2-02's concern and passes here. Firewall rules do not apply, and the
// check is NotApplicable, when the server's public network access is
// Disabled or it is VNet-integrated (a delegated subnet id known to be set,
// even if its value is not known before deployment). When either is not
// known before deployment, a range that would fail is Unknown: the rule
// applies only if the server turns out to be public. A range that passes
// passes either way.
func FirewallOpenToInternet(r *arm.Resource, set Scope, p Params) Outcome {
	maxPrefix := p.Int("maxPrefix", 16)
	if maxPrefix < 0 || maxPrefix > 32 {
		maxPrefix = 16
	}
	// reach says why it is not known whether the server accepts public
	// connections ("" when it is known, or the server is not among the
	// inputs): a failing verdict is then Unknown.
	reach := ""
	if srv := set.ByID(arm.ParentID(r.ID)); srv != nil {
		pna, _ := value(srv, "properties.network.publicNetworkAccess")
		subnet, _ := value(srv, "properties.network.delegatedSubnetResourceId")
		pnaS, _ := pna.(string)
		subnetS, _ := subnet.(string)
		subnetU, subnetUnknown := subnet.(arm.Unknown)
		if strings.EqualFold(pnaS, "Disabled") || subnetS != "" || (subnetUnknown && subnetU.Filled()) {
			return Outcome{Status: report.NotApplicable, Path: "properties",
				Message: "The server does not accept public connections, so its firewall rules do not apply."}
		}
		switch {
		case isUnknown(pna):
			reach = "the server's public network access is not known before deployment (" + unknownReason(pna) + ")"
		case subnetUnknown:
			reach = "whether the server is VNet-integrated is not known before deployment (" + subnetU.Reason + ")"
		}
	}
	startRaw, _ := value(r, "properties.startIpAddress")
	endRaw, _ := value(r, "properties.endIpAddress")
	if isUnknown(startRaw) || isUnknown(endRaw) {
		return Outcome{Status: report.Unknown, Path: "properties.startIpAddress",
			Message: "The firewall rule's address range is not known before deployment."}
	}
	startS, _ := startRaw.(string)
	endS, _ := endRaw.(string)
	ev := map[string]any{"properties.startIpAddress": startS, "properties.endIpAddress": endS}
	start, err1 := netip.ParseAddr(startS)
	end, err2 := netip.ParseAddr(endS)
	if err1 != nil || err2 != nil || !start.Is4() || !end.Is4() {
		return Outcome{Status: report.Error, Path: "properties.startIpAddress", Evidence: ev,
			Message: fmt.Sprintf("The firewall rule's range %q-%q is not a pair of IPv4 addresses.", startS, endS)}
	}
	a := binary.BigEndian.Uint32(start.AsSlice())
	b := binary.BigEndian.Uint32(end.AsSlice())
	if a == 0 && b == 0 {
		return Outcome{Status: report.Compliant, Path: "properties.startIpAddress", Evidence: ev,
			Message: "The rule is the 'allow Azure services' rule (0.0.0.0), judged by PGB-NS2-02."}
	}
	if b < a {
		return Outcome{Status: report.Error, Path: "properties.endIpAddress", Evidence: ev,
			Message: fmt.Sprintf("The firewall rule's end address %s is below its start address %s.", endS, startS)}
	}
	size := uint64(b) - uint64(a) + 1
	limit := uint64(1) << (32 - maxPrefix)
	failing := ""
	switch {
	case a == 0 && b == 0xFFFFFFFF:
		failing = "The firewall rule admits every IPv4 address on the internet (0.0.0.0-255.255.255.255)."
	case size > limit:
		prefix := 32 - (63 - bits.LeadingZeros64(size))
		failing = fmt.Sprintf("The firewall rule admits %d addresses (about a /%d), more than a /%d network.", size, prefix, maxPrefix)
	}
	if failing != "" {
		if reach != "" {
			// The rule applies only if the server accepts public
			// connections, which is not known.
			return Outcome{Status: report.Unknown, Path: "properties.startIpAddress", Evidence: ev,
				Message: strings.TrimSuffix(failing, ".") + ", but " + reach + "."}
		}
		return Outcome{Status: report.NonCompliant, Path: "properties.startIpAddress", Evidence: ev, Message: failing}
	}
	return Outcome{Status: report.Compliant, Path: "properties.startIpAddress", Evidence: ev,
		Message: fmt.Sprintf("The firewall rule admits %d addresses, within a /%d network.", size, maxPrefix)}
}
