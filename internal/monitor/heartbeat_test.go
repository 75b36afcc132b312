package monitor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestHeartbeatLease: a running scan's heartbeat is renewed while it runs,
// so it is never reaped; when its lease is taken from it (reaped while the
// replica could not reach the database), the replica stops the scan and
// does not record it, and the new attempt does.
func TestHeartbeatLease(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	runs := make(chan context.Context, 4)
	var n atomic.Int32
	m := testMonitor(t, cfg, st, WithHeartbeat(20*time.Millisecond, time.Hour),
		WithScanFunc(func(ctx context.Context, _ Target) (*report.Report, error) {
			runs <- ctx
			if n.Add(1) == 1 {
				<-ctx.Done() // the first attempt blocks until cancelled
				return nil, ctx.Err()
			}
			return tinyReport("R1=Compliant"), nil
		}))
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	sc, err := m.Trigger(bg, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	var first context.Context
	select {
	case first = <-runs:
	case <-time.After(30 * time.Second):
		t.Fatal("the scan did not start")
	}
	running := waitScan(t, st, sc.ID, store.ScanRunning, 10*time.Second)
	waitFor(t, 10*time.Second, "the heartbeat to be renewed", func() bool {
		cur, _ := st.GetScan(bg, sc.ID)
		return cur.HeartbeatAt != nil && cur.HeartbeatAt.After(*running.StartedAt)
	})
	// Another replica reaps the scan, as if this one had gone silent.
	if _, err := st.WriteDB().ExecContext(bg, `UPDATE scans SET heartbeat_us = heartbeat_us - 3600000000 WHERE id = $1`, sc.ID); err != nil {
		t.Fatal(err)
	}
	reaped, err := st.ReapStale(bg, time.Now().Add(-time.Minute), maxAttempts)
	if err != nil || len(reaped) != 1 || reaped[0].Status != store.ScanQueued {
		t.Fatalf("reap = %+v, %v", reaped, err)
	}
	waitFor(t, 10*time.Second, "the first attempt to be cancelled", func() bool { return first.Err() != nil })
	if cur, _ := st.GetScan(bg, sc.ID); cur.Status != store.ScanQueued {
		t.Fatalf("after losing its lease the old attempt left the scan %s", cur.Status)
	}
	// The reaping replica queues the next generation; it runs to done.
	if err := m.enqueue(bg, reaped[0]); err != nil {
		t.Fatal(err)
	}
	done := waitScan(t, st, sc.ID, store.ScanDone, 30*time.Second)
	if done.Attempts != 2 || done.Summary.Total != 1 {
		t.Errorf("done after %d attempts with %d results, want 2 and 1", done.Attempts, done.Summary.Total)
	}
}

// TestHeartbeatOptions: a stale threshold shorter than two heartbeats is
// refused, naming both.
func TestHeartbeatOptions(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	_, err := New(cfg, st, WithHeartbeat(10*time.Second, 15*time.Second),
		WithScanFunc(func(context.Context, Target) (*report.Report, error) { return nil, nil }))
	if err == nil || !strings.Contains(err.Error(), "stale threshold (15s) must be at least twice the heartbeat interval (10s)") {
		t.Fatalf("err = %v", err)
	}
}

// TestOwnScansAreNotReaped: a replica never reaps the scans it runs itself,
// even when their heartbeats are stale (its writes were held up); another
// replica does.
func TestOwnScansAreNotReaped(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	started, release := make(chan struct{}, 1), make(chan struct{})
	runner := testMonitor(t, cfg, st, WithHeartbeat(time.Hour, 2*time.Hour), func(o *options) { o.noScheduler = true },
		WithScanFunc(func(ctx context.Context, _ Target) (*report.Report, error) {
			started <- struct{}{}
			select {
			case <-ctx.Done():
			case <-release:
			}
			return nil, errors.New("released")
		}))
	t.Cleanup(func() { close(release) }) // before the monitor stops
	if err := runner.Start(bg); err != nil {
		t.Fatal(err)
	}
	sc, err := runner.Trigger(bg, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the scan did not start")
	}
	if _, err := st.WriteDB().ExecContext(bg, `UPDATE scans SET heartbeat_us = heartbeat_us - 3*3600000000 WHERE id = $1`, sc.ID); err != nil {
		t.Fatal(err)
	}
	runner.reap(bg)
	if cur, _ := st.GetScan(bg, sc.ID); cur.Status != store.ScanRunning {
		t.Fatalf("the replica running the scan reaped it: %s", cur.Status)
	}
	other := testMonitor(t, cfg, st, WithHeartbeat(time.Hour, 2*time.Hour), func(o *options) { o.noScheduler = true },
		WithScanFunc(func(context.Context, Target) (*report.Report, error) { return tinyReport("R1=Compliant"), nil }))
	other.reap(bg)
	if cur, _ := st.GetScan(bg, sc.ID); cur.Status == store.ScanRunning && cur.Attempts == 1 {
		t.Fatalf("another replica did not reap the stale scan: %s after %d attempts", cur.Status, cur.Attempts)
	}
}

// TestRescuedJobLeavesLiveScan: an old job of a scan (as River rescues it
// long after) leaves the scan alone while a live replica's heartbeat is
// fresh, and takes it over when the heartbeat is stale.
func TestRescuedJobLeavesLiveScan(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	var runs atomic.Int32
	m := testMonitor(t, cfg, st, func(o *options) { o.noScheduler = true },
		WithScanFunc(func(context.Context, Target) (*report.Report, error) {
			runs.Add(1)
			return tinyReport("R1=Compliant"), nil
		}))
	sc, err := st.CreateScan(bg, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginScan(bg, sc.ID); err != nil { // a live replica runs it
		t.Fatal(err)
	}
	if err := m.work(bg, sc.ID, "infra"); err != nil {
		t.Fatal(err)
	}
	if cur, _ := st.GetScan(bg, sc.ID); cur.Status != store.ScanRunning || cur.Attempts != 1 || runs.Load() != 0 {
		t.Fatalf("an old job took a live scan: %s after %d attempts, %d runs", cur.Status, cur.Attempts, runs.Load())
	}
	if _, err := st.WriteDB().ExecContext(bg, `UPDATE scans SET heartbeat_us = heartbeat_us - 3600000000 WHERE id = $1`, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.work(bg, sc.ID, "infra"); err != nil {
		t.Fatal(err)
	}
	if cur, _ := st.GetScan(bg, sc.ID); cur.Status != store.ScanDone || cur.Attempts != 2 || runs.Load() != 1 {
		t.Fatalf("the old job did not take over a dead scan: %s after %d attempts, %d runs", cur.Status, cur.Attempts, runs.Load())
	}
}
