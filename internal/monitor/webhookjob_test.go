package monitor

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestWebhookDeliveryIsAJob checks that a delivery outlives its quick
// in-process retries: the endpoint is down for longer than they last, and
// the queued job delivers the event once it is back.
func TestWebhookDeliveryIsAJob(t *testing.T) {
	t.Setenv("PGB_TEST_HOOK_SECRET", "s")
	var hits, delivered atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hits.Add(1) <= 5 { // more than one job attempt's 4 tries
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		delivered.Add(1)
	}))
	defer hook.Close()
	cfg := mustParse(t, `
targets:
  - {name: infra, paths: [x]}
webhooks:
  - {url: "`+hook.URL+`", secretEnv: PGB_TEST_HOOK_SECRET, allowPrivate: true}
`)
	st := openStore(t, sqliteURL(t))
	status := report.Compliant
	m := testMonitor(t, cfg, st, WithScanFunc(func(context.Context, Target) (*report.Report, error) {
		return tinyReport("R1=" + string(status)), nil
	}))
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	first, err := m.Trigger(bg, "infra", "api:test")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, st, first.ID, store.ScanDone, 30*time.Second)
	status = report.NonCompliant
	second, err := m.Trigger(bg, "infra", "api:test")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, st, second.ID, store.ScanDone, 30*time.Second)
	waitFor(t, 60*time.Second, "the retried delivery", func() bool { return delivered.Load() == 1 })
	if n := hits.Load(); n != 6 {
		t.Errorf("%d requests, want 6 (4 tries, then the job's second attempt: 1 more failure and the delivery)", n)
	}
}
