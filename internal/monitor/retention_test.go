package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestRetentionPrunesOldScans runs three scans, moves the scheduler's
// clock past the retention and checks that the older scans are deleted and
// the newest one kept.
func TestRetentionPrunesOldScans(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "retention: 2h\ntargets:\n  - {name: infra, paths: [x]}\n")
	if cfg.Retention != 2*time.Hour {
		t.Fatalf("retention = %v", cfg.Retention)
	}
	clock := newFakeClock(time.Now())
	m := testMonitor(t, cfg, st, WithClock(clock), WithScanFunc(func(context.Context, Target) (*report.Report, error) {
		return tinyReport("R1=Compliant"), nil
	}))
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		sc, err := m.Trigger(bg, "infra", "api:test")
		if err != nil {
			t.Fatal(err)
		}
		waitScan(t, st, sc.ID, store.ScanDone, 30*time.Second)
		ids = append(ids, sc.ID)
	}
	clock.Advance(3 * time.Hour)
	waitFor(t, 30*time.Second, "the old scans to be pruned", func() bool {
		_, err := st.GetScan(bg, ids[0])
		return errors.Is(err, store.ErrNotFound)
	})
	if _, err := st.GetScan(bg, ids[1]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the second scan survived the retention: %v", err)
	}
	if _, err := st.Report(bg, ids[2]); err != nil {
		t.Errorf("the newest scan was pruned: %v", err)
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "720h": 720 * time.Hour, " 1d ": 24 * time.Hour} {
		if got, err := ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "-3d", "10m", "1.5d"} {
		if _, err := ParseRetention(bad); err == nil {
			t.Errorf("ParseRetention(%q) accepted", bad)
		}
	}
	if _, err := ParseConfig("pgbaseline.yaml", []byte("retention: forever\ntargets: []\n")); err == nil {
		t.Error("a bad retention was accepted")
	}
}
