package serveconfig

import "net/netip"

// A webhook's URL is checked when the configuration is read, and package
// monitor checks every address it dials, against the same policy: unless
// the webhook sets allowPrivate, it may reach public addresses only, so
// that a webhook URL cannot become a way to reach the cloud's metadata
// service (169.254.169.254), the host's loopback services or the private
// network.

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")  // shared address space (RFC 6598)
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")      // "this network"
	ietf      = netip.MustParsePrefix("192.0.0.0/24")   // IETF protocol assignments
	bench     = netip.MustParsePrefix("198.18.0.0/15")  // benchmarking
	reserved  = netip.MustParsePrefix("240.0.0.0/4")    // reserved, and the broadcast address
	nat64     = netip.MustParsePrefix("64:ff9b::/96")   // NAT64: an IPv4 address inside
	nat64Loc  = netip.MustParsePrefix("64:ff9b:1::/48") // local-use NAT64
	sixToFour = netip.MustParsePrefix("2002::/16")      // 6to4: an IPv4 address inside
)

// RefusedAddress says which kind of non-public address ip is ("loopback",
// "private", ...), or "" for a public address a webhook may reach.
func RefusedAddress(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) || nat64Loc.Contains(ip) {
		b := ip.As16()
		if r := RefusedAddress(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); r != "" {
			return r + " (through NAT64)"
		}
	}
	if sixToFour.Contains(ip) {
		b := ip.As16()
		if r := RefusedAddress(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); r != "" {
			return r + " (through 6to4)"
		}
	}
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified() || thisNet.Contains(ip):
		return "unspecified"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsPrivate():
		return "private"
	case cgnat.Contains(ip):
		return "shared (CGNAT)"
	case ietf.Contains(ip) || bench.Contains(ip) || reserved.Contains(ip):
		return "reserved"
	}
	return ""
}

// checkWebhookHost refuses, when the configuration is read, a webhook URL
// whose host is a literal non-public address (names are checked when
// dialled).
func checkWebhookHost(host string) string {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return RefusedAddress(ip)
}
