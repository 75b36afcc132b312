package serve

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/serveconfig"
)

// Limits bounds what one client can cost the server: the configuration
// model's limits (serveconfig.Limits), of which the server reads all but
// the scan heartbeat. Zero fields take the defaults (the Default*
// constants); docs/reliability.md lists them all.
type Limits = serveconfig.Limits

// The defaults of Limits.
const (
	DefaultAuthFailures   = 5
	DefaultAuthWindow     = time.Minute
	DefaultAuthBackoff    = 2 * time.Second
	DefaultAuthBackoffMax = 15 * time.Minute
	DefaultAuthClients    = 10000
	DefaultHeavyRequests  = 4
	DefaultHeavyWait      = 5 * time.Second
	DefaultResultsPage    = 1000
	DefaultResultsPageMax = 5000
)

// limitsWithDefaults returns l with its zero fields set to the defaults.
func limitsWithDefaults(l Limits) Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.AuthFailures, DefaultAuthFailures)
	defDur(&l.AuthWindow, DefaultAuthWindow)
	defDur(&l.AuthBackoff, DefaultAuthBackoff)
	defDur(&l.AuthBackoffMax, DefaultAuthBackoffMax)
	def(&l.AuthClients, DefaultAuthClients)
	def(&l.HeavyRequests, DefaultHeavyRequests)
	defDur(&l.HeavyWait, DefaultHeavyWait)
	def(&l.ResultsPage, DefaultResultsPage)
	def(&l.ResultsPageMax, DefaultResultsPageMax)
	l.ResultsPage = min(l.ResultsPage, l.ResultsPageMax)
	l.AuthBackoffMax = max(l.AuthBackoffMax, l.AuthBackoff)
	return l
}

// authThrottle slows down guessing: after AuthFailures failed
// authentications from one client address within AuthWindow, the address
// gets 429 with Retry-After for AuthBackoff, doubling with each further
// lock-out, until an authentication from it succeeds. IPv6 addresses are
// tracked by their /64, which one client usually holds whole. The table
// holds at most AuthClients addresses.
type authThrottle struct {
	lim Limits
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*authClient
}

type authClient struct {
	windowStart  time.Time
	failures     int
	lockouts     int // how many times the address was locked out
	blockedUntil time.Time
	lastSeen     time.Time
}

func newAuthThrottle(l Limits) *authThrottle {
	return &authThrottle{lim: l, now: time.Now, clients: map[string]*authClient{}}
}

// clientKey is the address a request is tracked by: the peer's IP (no
// forwarding header is trusted), IPv6 by its /64.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// wait returns how long the client must still wait, or zero.
func (a *authThrottle) wait(key string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.clients[key]
	if !ok {
		return 0
	}
	if d := c.blockedUntil.Sub(a.now()); d > 0 {
		return d
	}
	return 0
}

// fail counts a failed authentication; it returns the wait it imposes
// (zero while the client is under AuthFailures).
func (a *authThrottle) fail(key string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	c, ok := a.clients[key]
	if !ok {
		a.makeRoom(now)
		c = &authClient{windowStart: now}
		a.clients[key] = c
	}
	c.lastSeen = now
	if now.Sub(c.windowStart) > a.lim.AuthWindow {
		c.windowStart, c.failures = now, 0
	}
	c.failures++
	if c.failures < a.lim.AuthFailures {
		return 0
	}
	d := a.lim.AuthBackoff * time.Duration(math.Pow(2, float64(min(c.lockouts, 30))))
	if d <= 0 || d > a.lim.AuthBackoffMax {
		d = a.lim.AuthBackoffMax
	}
	c.lockouts++
	c.failures = 0
	c.windowStart = now
	c.blockedUntil = now.Add(d)
	return d
}

// succeed forgets the client: a success resets its back-off.
func (a *authThrottle) succeed(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.clients, key)
}

// size is how many addresses are tracked.
func (a *authThrottle) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.clients)
}

// makeRoom keeps the table under AuthClients: it forgets the addresses
// neither locked out nor seen within the window, then, if still full, the
// least recently seen.
func (a *authThrottle) makeRoom(now time.Time) {
	if len(a.clients) < a.lim.AuthClients {
		return
	}
	for k, c := range a.clients {
		if now.After(c.blockedUntil) && now.Sub(c.lastSeen) > a.lim.AuthWindow {
			delete(a.clients, k)
		}
	}
	for len(a.clients) >= a.lim.AuthClients {
		oldest, at := "", now
		for k, c := range a.clients {
			if oldest == "" || c.lastSeen.Before(at) {
				oldest, at = k, c.lastSeen
			}
		}
		delete(a.clients, oldest)
	}
}

// retryAfter renders a wait as Retry-After seconds (at least 1).
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// writeThrottled answers a locked-out client with 429 and Retry-After.
func writeThrottled(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", retryAfter(d))
	writeError(w, http.StatusTooManyRequests, fmt.Sprintf(
		"too many failed authentications from this address: retry after %s seconds", retryAfter(d)))
}

// heavyGate bounds the requests that read a whole scan's worth of data at
// once, so that a few readers cannot take all the server's memory.
type heavyGate struct {
	slots chan struct{}
	wait  time.Duration
}

func newHeavyGate(l Limits) *heavyGate {
	return &heavyGate{slots: make(chan struct{}, l.HeavyRequests), wait: l.HeavyWait}
}

// acquire waits up to the gate's wait for a slot; it returns the release
// function, or false when the server is busy (or the client left).
func (g *heavyGate) acquire(ctx context.Context) (func(), bool) {
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, true
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

// heavy wraps a handler in the gate: beyond HeavyRequests at once (after
// HeavyWait), 503 with Retry-After.
func (s *Server) heavy(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		release, ok := s.heavyGate.acquire(r.Context())
		if !ok {
			if r.Context().Err() != nil {
				return
			}
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, fmt.Sprintf(
				"the server is answering %d large requests already: retry after 5 seconds", cap(s.heavyGate.slots)))
			return
		}
		defer release()
		next(w, r)
	}
}
