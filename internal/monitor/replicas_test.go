package monitor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestTwoReplicasSimulatedTime: two Monitors (replicas, each with its own
// store connection) share one PostgreSQL and one simulated clock. Ten
// minutes pass, a minute at a time. Every slot of every schedule is
// scanned exactly once, by one replica or the other, and every scan is
// done.
func TestTwoReplicasSimulatedTime(t *testing.T) {
	url := postgresURL(t)
	cfg := mustParse(t, `
targets:
  - {name: infra, paths: [x], schedule: "@every 1m"}
  - {name: fleet, paths: [y], schedule: "*/2 * * * *"}
  - {name: adhoc, paths: [z]}
`)
	start := time.Date(2026, 5, 1, 12, 0, 30, 0, time.UTC)
	clock := newFakeClock(start)
	var (
		mu   sync.Mutex
		runs = map[string][]string{} // scan ID -> replicas that ran it
	)
	scanAs := func(replica string) ScanFunc {
		return func(ctx context.Context, tg Target) (*report.Report, error) {
			id := ScanID(ctx)
			mu.Lock()
			runs[id] = append(runs[id], replica)
			mu.Unlock()
			return tinyReport("R1=Compliant"), nil
		}
	}
	var replicas []*Monitor
	stores := []store.Store{}
	for _, name := range []string{"a", "b"} {
		st := openStore(t, url)
		stores = append(stores, st)
		m := testMonitor(t, cfg, st, WithClock(clock), WithScanFunc(scanAs(name)), WithConcurrency(2))
		replicas = append(replicas, m)
	}
	if got := replicas[0].NextScan("fleet"); !got.Equal(time.Date(2026, 5, 1, 12, 2, 0, 0, time.UTC)) {
		t.Errorf("NextScan(fleet) = %s", got)
	}
	for _, m := range replicas {
		if err := m.Start(bg); err != nil {
			t.Fatal(err)
		}
	}
	st := stores[0]
	// slotsDone waits until every slot up to the clock's time has its
	// scan, done.
	expected := func(now time.Time) map[string]int {
		return map[string]int{
			"infra": int(now.Sub(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))/time.Minute) + 1,
			"fleet": int(now.Sub(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))/(2*time.Minute)) + 1,
		}
	}
	settle := func() {
		t.Helper()
		want := expected(clock.Now())
		waitFor(t, 60*time.Second, fmt.Sprintf("scans %v at %s", want, clock.Now().Format("15:04:05")), func() bool {
			for target, n := range want {
				scans, err := st.ListScans(bg, store.ScanFilter{Target: target, Status: store.ScanDone})
				if err != nil {
					t.Fatal(err)
				}
				if len(scans) < n {
					return false
				}
			}
			return true
		})
	}
	settle()
	for range 10 {
		clock.Advance(time.Minute)
		settle()
	}
	// Give a duplicate, if there were one, the time to show up.
	time.Sleep(500 * time.Millisecond)

	want := expected(clock.Now())
	if want["infra"] != 11 || want["fleet"] != 6 {
		t.Fatalf("expected slots = %v", want)
	}
	all, err := st.ListScans(bg, store.ScanFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	perTarget := map[string]int{}
	byReplica := map[string]int{}
	mu.Lock()
	defer mu.Unlock()
	for _, sc := range all {
		perTarget[sc.Target]++
		if sc.Status != store.ScanDone || sc.Attempts != 1 || sc.Trigger != "schedule" {
			t.Errorf("scan %s of %s: %s after %d attempts (%s)", sc.ID, sc.Target, sc.Status, sc.Attempts, sc.Trigger)
		}
		if len(runs[sc.ID]) != 1 {
			t.Errorf("scan %s of %s ran %d times: %v", sc.ID, sc.Target, len(runs[sc.ID]), runs[sc.ID])
		}
		for _, r := range runs[sc.ID] {
			byReplica[r]++
		}
	}
	if perTarget["infra"] != 11 || perTarget["fleet"] != 6 || perTarget["adhoc"] != 0 || len(all) != 17 {
		t.Errorf("scans per target = %v, want infra 11, fleet 6, adhoc 0", perTarget)
	}
	if len(runs) != len(all) {
		t.Errorf("%d scans ran, %d recorded: every run must be a recorded scan", len(runs), len(all))
	}
	t.Logf("17 slots in 10 simulated minutes; runs by replica: %v", byReplica)
}

const (
	childEnv   = "PGB_MONITOR_KILL_CHILD_DB"
	childReady = "scan running: "
)

// TestKillDuringScan kills (SIGKILL) a replica in the middle of a scan,
// on SQLite and on PostgreSQL, then starts another with River's default
// rescue threshold (the scan timeout plus 10 minutes, 70 minutes): the
// history is intact, and the scan is recovered by its stale heartbeat, not
// by River, and completes. The minute of silence a real crash needs is
// simulated by moving the dead replica's last heartbeat a minute back.
func TestKillDuringScan(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var url string
			if db == "sqlite" {
				url = sqliteURL(t)
			} else {
				url = postgresURL(t)
			}
			testKillDuringScan(t, url)
		})
	}
}

func testKillDuringScan(t *testing.T, url string) {
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	st := openStore(t, url)

	// History: two done scans.
	quick := WithScanFunc(func(context.Context, Target) (*report.Report, error) {
		return tinyReport("R1=Compliant", "R2=NonCompliant"), nil
	})
	first := testMonitor(t, cfg, st, quick)
	if err := first.Start(bg); err != nil {
		t.Fatal(err)
	}
	var history []string
	for range 2 {
		sc, err := first.Trigger(bg, "infra", "api:ci")
		if err != nil {
			t.Fatal(err)
		}
		waitScan(t, st, sc.ID, store.ScanDone, 30*time.Second)
		history = append(history, sc.ID)
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// A replica in a child process starts a scan that never ends.
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+url)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var victim string
	waitFor(t, 60*time.Second, "the child's scan to run", func() bool {
		scans, err := st.ListScans(bg, store.ScanFilter{Status: store.ScanRunning})
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) == 1 && scans[0].Trigger == "api:child" {
			victim = scans[0].ID
			return true
		}
		return false
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed by SIGKILL: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), childReady+victim) {
		t.Fatalf("the child did not run scan %s:\n%s", victim, out.String())
	}
	sc, _ := st.GetScan(bg, victim)
	if sc.Status != store.ScanRunning || sc.Attempts != 1 || sc.HeartbeatAt == nil {
		t.Fatalf("right after the kill the scan is %s after %d attempts, heartbeat %v", sc.Status, sc.Attempts, sc.HeartbeatAt)
	}
	// A minute passes without a heartbeat.
	if _, err := st.WriteDB().ExecContext(bg, `UPDATE scans SET heartbeat_us = heartbeat_us - 60000000, started_us = started_us - 60000000 WHERE id = $1`,
		victim); err != nil {
		t.Fatal(err)
	}

	// Restart with the default heartbeat settings and the default rescue
	// threshold (70 minutes): the stale heartbeat requeues the scan at
	// once, and it runs again, to done.
	restarted := testMonitor(t, cfg, st, quick, WithHeartbeat(DefaultHeartbeatInterval, DefaultStaleAfter))
	if err := restarted.Start(bg); err != nil {
		t.Fatal(err)
	}
	done := waitScan(t, st, victim, store.ScanDone, 60*time.Second)
	if done.Attempts != 2 || done.Summary.Total != 2 || done.HeartbeatAt != nil {
		t.Errorf("the recovered scan: %d attempts, %d results, heartbeat %v; want 2, 2, none", done.Attempts, done.Summary.Total, done.HeartbeatAt)
	}
	for _, id := range history {
		rep, err := st.Report(bg, id)
		if err != nil || len(rep.Results) != 2 {
			t.Errorf("history scan %s after the crash: %v", id, err)
		}
	}
	all, _ := st.ListScans(bg, store.ScanFilter{})
	var ids []string
	for _, s := range all {
		ids = append(ids, s.ID+":"+string(s.Status))
	}
	sort.Strings(ids)
	if len(all) != 3 {
		t.Errorf("scans after the crash = %v, want the two earlier ones and the recovered one", ids)
	}
}

// TestKillChild is the replica TestKillDuringScan kills; it runs only as
// that test's child process.
func TestKillChild(t *testing.T) {
	url := os.Getenv(childEnv)
	if url == "" {
		t.Skip("run by TestKillDuringScan")
	}
	st, err := store.Open(bg, url)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	m, err := New(cfg, st, func(o *options) { o.testOnly = true; o.fetchPoll = 100 * time.Millisecond },
		WithScanFunc(func(ctx context.Context, _ Target) (*report.Report, error) {
			fmt.Printf("%s%s\n", childReady, ScanID(ctx))
			select {} // blocks until killed
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Trigger(bg, "infra", "api:child"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Minute)
	t.Fatal("not killed")
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
