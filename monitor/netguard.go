package monitor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Webhooks are sent to addresses the configuration names, from inside the
// deployment's network: a webhook URL must not become a way to reach the
// cloud's metadata service (169.254.169.254), the host's loopback services
// or the private network. Unless a webhook sets allowPrivate, its
// connections are refused to the address ranges below, checked on the
// address actually dialled (after DNS resolution, so a name that resolves,
// or later re-resolves, to such an address is refused too), and no
// redirect is ever followed.

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

// refusedAddress says which kind of non-public address ip is ("loopback",
// "private", ...), or "" for a public address a webhook may reach.
func refusedAddress(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) || nat64Loc.Contains(ip) {
		b := ip.As16()
		if r := refusedAddress(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); r != "" {
			return r + " (through NAT64)"
		}
	}
	if sixToFour.Contains(ip) {
		b := ip.As16()
		if r := refusedAddress(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); r != "" {
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

// blockedAddressError is a webhook connection refused by the address
// policy. It is not retried.
type blockedAddressError struct {
	addr, kind string
}

func (e *blockedAddressError) Error() string {
	return fmt.Sprintf("refused to connect to %s, a %s address (set allowPrivate: true on the webhook to allow it)", e.addr, e.kind)
}

// guardDial is a net.Dialer Control function: it runs on the resolved
// address of every connection attempt.
func guardDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &blockedAddressError{addr: host, kind: "unparsable"}
	}
	if kind := refusedAddress(ip); kind != "" {
		return &blockedAddressError{addr: ip.Unmap().String(), kind: kind}
	}
	return nil
}

// noRedirects makes a client return a redirect as the response: a
// webhook's body and signature go to the configured URL only.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// webhookClient returns the client a webhook is sent with: the Monitor's
// client, never following redirects, and, unless the webhook allows
// private networks, dialling only public addresses and without a proxy
// from the environment (a proxy would reach addresses the check cannot
// see).
func (m *Monitor) webhookClient(w Webhook) *http.Client {
	c := *m.opts.httpClient
	c.CheckRedirect = noRedirects
	if w.AllowPrivate {
		return &c
	}
	m.guardOnce.Do(func() {
		base, ok := c.Transport.(*http.Transport)
		if !ok || base == nil {
			base = http.DefaultTransport.(*http.Transport)
		}
		t := base.Clone()
		t.Proxy = nil
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: guardDial}
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}
		m.guarded = t
	})
	c.Transport = m.guarded
	return &c
}

// checkWebhookHost refuses, when the configuration is read, a webhook URL
// whose host is a literal non-public address (names are checked when
// dialled).
func checkWebhookHost(host string) string {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return refusedAddress(ip)
}
