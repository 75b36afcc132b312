package serve

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for the authentication throttle.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// callAs sends GET path from remote (an "ip:port") with token, in process.
func callAs(srv http.Handler, remote, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = remote
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

// TestAuthBackoff: five wrong tokens from one address within a minute
// lock it out with 429 and Retry-After, even for a right token; other
// addresses are not affected; a success after the wait resets the count,
// and each further lock-out waits twice as long.
func TestAuthBackoff(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	clock := &testClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	f.srv.throttle.now = clock.Now
	const guesser, neighbour = "192.0.2.7:40000", "198.51.100.9:40000"

	lockOut := func(wantWait string) {
		t.Helper()
		for i := range DefaultAuthFailures {
			if rec := callAs(f.srv, guesser, "/api/v1/scans", fmt.Sprintf("guess-%d", i)); rec.Code != 401 {
				t.Fatalf("wrong token %d: %d, want 401", i+1, rec.Code)
			}
		}
		rec := callAs(f.srv, guesser, "/api/v1/scans", "guess-again")
		if rec.Code != 429 || rec.Header().Get("Retry-After") != wantWait ||
			!strings.Contains(rec.Body.String(), "too many failed authentications from this address: retry after "+wantWait+" seconds") {
			t.Fatalf("after %d wrong tokens: %d Retry-After %q %s, want 429 after %s s", DefaultAuthFailures, rec.Code,
				rec.Header().Get("Retry-After"), rec.Body, wantWait)
		}
	}
	lockOut("2")
	if rec := callAs(f.srv, guesser, "/api/v1/scans", readerToken); rec.Code != 429 {
		t.Errorf("a right token from a locked-out address: %d, want 429 (the token is not even checked)", rec.Code)
	}
	if rec := callAs(f.srv, neighbour, "/api/v1/scans", readerToken); rec.Code != 200 {
		t.Errorf("another address: %d, want 200", rec.Code)
	}
	if rec := callAs(f.srv, neighbour, "/api/v1/scans", "guess"); rec.Code != 401 {
		t.Errorf("another address's first wrong token: %d, want 401", rec.Code)
	}
	clock.Advance(3 * time.Second)
	if rec := callAs(f.srv, guesser, "/api/v1/scans", readerToken); rec.Code != 200 {
		t.Fatalf("a right token after the wait: %d, want 200", rec.Code)
	}
	lockOut("2") // the success reset the back-off
	clock.Advance(3 * time.Second)
	lockOut("4") // no success in between: twice as long
	clock.Advance(5 * time.Second)
	lockOut("8")

	// Fewer failures than the limit, spread beyond the window, never lock.
	other := "203.0.113.5:1"
	for i := range 3 * DefaultAuthFailures {
		if rec := callAs(f.srv, other, "/api/v1/scans", "nope"); rec.Code != 401 {
			t.Fatalf("spread-out failure %d: %d, want 401", i, rec.Code)
		}
		if i%(DefaultAuthFailures-1) == DefaultAuthFailures-2 {
			clock.Advance(DefaultAuthWindow + time.Second)
		}
	}

	// IPv6 clients are tracked by /64.
	for i := range DefaultAuthFailures {
		callAs(f.srv, fmt.Sprintf("[2001:db8:1:2::%x]:5000", i+1), "/api/v1/scans", "guess")
	}
	if rec := callAs(f.srv, "[2001:db8:1:2:ffff::1]:5000", "/api/v1/scans", readerToken); rec.Code != 429 {
		t.Errorf("another address of the same /64: %d, want 429", rec.Code)
	}
	if rec := callAs(f.srv, "[2001:db8:1:3::1]:5000", "/api/v1/scans", readerToken); rec.Code != 200 {
		t.Errorf("an address of another /64: %d, want 200", rec.Code)
	}
}

// TestAuthBackoffOverHTTP: 300 wrong tokens over loopback get five 401s,
// then 429s, and the dashboard's sign-in form is locked out the same way.
func TestAuthBackoffOverHTTP(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	codes := map[int]int{}
	for i := range 300 {
		resp := f.do(t, "GET", "/api/v1/scans", fmt.Sprintf("guess-%d", i), "")
		codes[resp.StatusCode]++
		resp.Body.Close()
	}
	if codes[401] != DefaultAuthFailures || codes[429] != 300-DefaultAuthFailures {
		t.Errorf("300 wrong tokens got %v, want %d × 401 then 429s", codes, DefaultAuthFailures)
	}

	g := newFixture(t, openSQLite(t))
	c := browserClient(t)
	var last int
	var lastBody string
	for range DefaultAuthFailures + 1 {
		_, body, _ := get(t, c, g.ts.URL+"/signin")
		m := csrfInput.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no CSRF field in the sign-in form")
		}
		last, lastBody, _ = post(t, c, g.ts.URL+"/signin", url.Values{"csrf": {m[1]}, "token": {"guess"}}, "")
	}
	if last != 429 || !strings.Contains(lastBody, "Too many failed sign-ins") {
		t.Errorf("sign-in after %d wrong tokens: %d, want 429 saying so", DefaultAuthFailures, last)
	}
}

// TestAuthThrottleBounded: a flood of failures from many addresses keeps
// the table at its bound.
func TestAuthThrottleBounded(t *testing.T) {
	a := newAuthThrottle(limitsWithDefaults(Limits{AuthClients: 100}))
	for i := range 5000 {
		a.fail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if n := a.size(); n > 100 {
		t.Errorf("%d addresses tracked, want at most 100", n)
	}
	// The newest are kept: the last address is still counted.
	last := "10.0.19.135"
	for range DefaultAuthFailures - 1 {
		a.fail(last)
	}
	if a.wait(last) == 0 {
		t.Error("the most recent address was forgotten")
	}
}
