package monitor

import (
	"strings"
	"testing"
	"time"
)

// TestLimitsConfig: the `limits:` section sets the heartbeat and the HTTP
// server's limits; bad values are errors naming the line.
func TestLimitsConfig(t *testing.T) {
	c, err := ParseConfig("pgbaseline.yaml", []byte(`
limits:
  heartbeat: 5s
  staleAfter: 20s
  authFailures: 10
  authWindow: 2m
  authBackoff: 1s
  authBackoffMax: 1h
  heavyRequests: 8
  heavyWait: 1s
  resultsPage: 200
  resultsPageMax: 2000
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{Heartbeat: 5 * time.Second, StaleAfter: 20 * time.Second, AuthFailures: 10, AuthWindow: 2 * time.Minute,
		AuthBackoff: time.Second, AuthBackoffMax: time.Hour, HeavyRequests: 8, HeavyWait: time.Second, ResultsPage: 200, ResultsPageMax: 2000}
	if c.Limits != want {
		t.Errorf("limits = %+v, want %+v", c.Limits, want)
	}
	st := openStore(t, sqliteURL(t))
	m := testMonitor(t, *c, st, WithScanFunc(nil))
	if m.opts.heartbeat != 5*time.Second || m.opts.staleAfter != 20*time.Second {
		t.Errorf("the monitor's heartbeat = %s/%s, want 5s/20s", m.opts.heartbeat, m.opts.staleAfter)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"limits:\n  heartbeat: soon\n", "pgbaseline.yaml:2: limits.heartbeat: \"soon\" is not a positive duration"},
		{"limits:\n  heavyRequests: 0\n", "pgbaseline.yaml:2: limits.heavyRequests: \"0\" is not a whole number of at least 1"},
		{"limits:\n  heartbeat: 30s\n", "limits: staleAfter (45s) must be at least twice heartbeat (30s)"},
		{"limits:\n  resultsPage: 10\n  resultsPageMax: 5\n", "resultsPage (10) must not exceed resultsPageMax (5)"},
		{"limits:\n  pageSize: 10\n", `limits: unknown key "pageSize"`},
	} {
		if _, err := ParseConfig("pgbaseline.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
