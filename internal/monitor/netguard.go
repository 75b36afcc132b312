package monitor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/serveconfig"
)

// Webhooks are sent to addresses the configuration names, from inside the
// deployment's network: a webhook URL must not become a way to reach the
// cloud's metadata service (169.254.169.254), the host's loopback services
// or the private network. Unless a webhook sets allowPrivate, its
// connections are refused to the address ranges below, checked on the
// address actually dialled (after DNS resolution, so a name that resolves,
// or later re-resolves, to such an address is refused too), and no
// redirect is ever followed.

// refusedAddress is the address policy of the configuration model
// (serveconfig.RefusedAddress), enforced here on every address dialled.
var refusedAddress = serveconfig.RefusedAddress

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
