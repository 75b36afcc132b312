package monitor

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

var bg = context.Background()

// fakeClock is a Clock that moves only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Until(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{t, ch})
	return ch
}

// Advance moves the clock and wakes whoever waits for a time now reached.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// testMonitor creates a Monitor with test timings and stops it at the end.
func testMonitor(t *testing.T, cfg ServeConfig, st store.Store, opts ...Option) *Monitor {
	t.Helper()
	opts = append([]Option{func(o *options) {
		o.testOnly = true
		o.fetchPoll = 100 * time.Millisecond
		o.webhookBackoff = 10 * time.Millisecond
	}}, opts...)
	m, err := New(cfg, st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		defer cancel()
		_ = m.Stop(ctx)
	})
	return m
}

func mustParse(t *testing.T, yaml string) ServeConfig {
	t.Helper()
	c, err := ParseConfig("", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

func openStore(t *testing.T, url string) store.Backend {
	t.Helper()
	st, err := store.Open(bg, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func sqliteURL(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "pgbaseline.db")
}

// postgresURL starts a cluster and returns the URL of a new database.
func postgresURL(t *testing.T) string {
	c := pgtest.Start(t, pgtest.Config{})
	c.Exec(t, "CREATE DATABASE monitor")
	return fmt.Sprintf("postgres://postgres:%s@/monitor?host=%s&port=%d&sslmode=disable", c.Password, c.Dir, c.Port)
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitScan waits until scan id has status want.
func waitScan(t *testing.T, st store.Store, id string, want store.ScanStatus, timeout time.Duration) store.Scan {
	t.Helper()
	var sc store.Scan
	waitFor(t, timeout, "scan "+id+" to be "+string(want), func() bool {
		var err error
		sc, err = st.GetScan(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		return sc.Status == want
	})
	return sc
}

// tinyReport is a report with one result per "RULE=Status" entry.
func tinyReport(entries ...string) *report.Report {
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Targets: []report.Target{}, Resources: []report.Resource{}, Errors: []report.ErrorEntry{}}
	sort.Strings(entries)
	for _, e := range entries {
		rule, st, _ := strings.Cut(e, "=")
		rep.Results = append(rep.Results, report.Result{RuleID: rule, ControlID: "DP-3", ResourceID: "/subscriptions/s/x", Status: report.Status(st)})
		rep.Summary.Add(report.Status(st))
	}
	return rep
}

// recorder is a ScanFunc that records every run.
type recorder struct {
	mu   sync.Mutex
	runs map[string]int // target/slot key -> runs
	all  []string
}

func (r *recorder) scan(replica string) ScanFunc {
	return func(ctx context.Context, t Target) (*report.Report, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.all = append(r.all, replica+":"+t.Name)
		return tinyReport("R1=Compliant"), nil
	}
}
