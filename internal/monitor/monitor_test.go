package monitor

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

type observed struct {
	mu    sync.Mutex
	calls []string
}

func (o *observed) ScanFinished(target string, d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := target + ":ok"
	if err != nil {
		s = target + ":" + err.Error()
	}
	o.calls = append(o.calls, s)
}

func (o *observed) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRealScanRegressionWebhook scans a path target for real, twice: the
// first time a hardened server, the second time a public one. The second
// scan regressed, so the webhook receives the regressions, signed, after
// one failed delivery.
func TestRealScanRegressionWebhook(t *testing.T) {
	dir := t.TempDir()
	server := filepath.Join(dir, "server.json")
	copyFile(t, "../../examples/exports/hardened-server.json", server)

	const secret = "webhook-test-secret"
	t.Setenv("PGB_TEST_HOOK_SECRET", secret)
	var (
		mu       sync.Mutex
		received [][]byte
		sigs     []string
		hits     atomic.Int64
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first delivery fails and is retried
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, b)
		sigs = append(sigs, r.Header.Get(SignatureHeader))
		mu.Unlock()
	}))
	defer hook.Close()

	cfg := mustParse(t, `
targets:
  - {name: infra, paths: [`+dir+`]}
webhooks:
  - {url: "`+hook.URL+`/hook?key=abc", secretEnv: PGB_TEST_HOOK_SECRET, allowPrivate: true}
`)
	st := openStore(t, sqliteURL(t))
	obs := &observed{}
	m := testMonitor(t, cfg, st, WithObserver(obs), WithToolVersion("test"))
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	if !m.Ready() {
		t.Fatal("a started monitor is not ready")
	}
	first, err := m.Trigger(bg, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != store.ScanQueued || first.Trigger != "api:ci" {
		t.Fatalf("triggered scan = %+v", first)
	}
	done := waitScan(t, st, first.ID, store.ScanDone, 60*time.Second)
	if done.Summary.Total == 0 || done.Attempts != 1 {
		t.Fatalf("the real scan = %+v", done)
	}
	rep, err := st.Report(bg, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tool.Version != "test" || len(rep.Results) != done.Summary.Total || len(rep.Targets) == 0 {
		t.Fatalf("stored report: version %q, %d results, %d targets", rep.Tool.Version, len(rep.Results), len(rep.Targets))
	}

	copyFile(t, "../../examples/exports/public-server.json", server)
	second, err := m.Trigger(bg, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	waitScan(t, st, second.ID, store.ScanDone, 60*time.Second)
	diff, err := st.Diff(bg, first.ID, second.ID)
	if err != nil || len(diff.Regressed) == 0 {
		t.Fatalf("the public server did not regress: %v, %+v", err, diff)
	}
	waitFor(t, 30*time.Second, "the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(received) > 0
	})
	mu.Lock()
	body, sig := received[0], sigs[0]
	mu.Unlock()
	if !hmac.Equal([]byte(sig), []byte(Sign([]byte(secret), body))) {
		t.Errorf("signature %q does not match the body", sig)
	}
	var ev RegressionEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != "regression" || ev.Target != "infra" || ev.ScanID != second.ID || ev.PreviousScanID != first.ID || len(ev.Regressed) != len(diff.Regressed) {
		t.Errorf("event = %s %s %s<-%s with %d regressed; want %d", ev.Event, ev.Target, ev.ScanID, ev.PreviousScanID, len(ev.Regressed), len(diff.Regressed))
	}
	if got := obs.list(); len(got) != 2 || got[0] != "infra:ok" || got[1] != "infra:ok" {
		t.Errorf("observer saw %v", got)
	}
	if hits.Load() != 2 {
		t.Errorf("%d deliveries, want 2 (one failed, one retried)", hits.Load())
	}
}

func TestTriggerAndFailures(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "targets:\n  - {name: good, paths: [x]}\n  - {name: bad, paths: [y]}\n")
	obs := &observed{}
	m := testMonitor(t, cfg, st, WithObserver(obs), WithScanFunc(func(ctx context.Context, tg Target) (*report.Report, error) {
		if tg.Name == "bad" {
			return nil, errors.New("azure: no credential")
		}
		return tinyReport("R1=Compliant"), nil
	}))
	if got := m.Targets(); len(got) != 2 || got[0] != "bad" || got[1] != "good" {
		t.Errorf("Targets() = %v", got)
	}
	if m.Ready() {
		t.Error("ready before Start")
	}
	if !m.NextScan("good").IsZero() || !m.NextScan("nope").IsZero() {
		t.Error("an on-demand target has a next scan")
	}
	if _, err := m.Trigger(bg, "nope", "api:ci"); !errors.Is(err, ErrUnknownTarget) {
		t.Fatalf("Trigger of an unknown target: %v", err)
	}
	// Triggered before Start: runs once started.
	bad, err := m.Trigger(bg, "bad", "startup")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	sc := waitScan(t, st, bad.ID, store.ScanFailed, 30*time.Second)
	if sc.Error != "azure: no credential" {
		t.Errorf("failed scan error = %q", sc.Error)
	}
	waitFor(t, 10*time.Second, "the observer", func() bool { return len(obs.list()) == 1 })
	if got := obs.list(); got[0] != "bad:azure: no credential" {
		t.Errorf("observer saw %v", got)
	}
	if err := m.Start(bg); err == nil {
		t.Error("a second Start succeeded")
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if m.Ready() {
		t.Error("ready after Stop")
	}
}

func TestNewChecksSecrets(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "webhooks:\n  - {url: \"https://h.example/x\", secretEnv: PGB_TEST_UNSET_SECRET}\n")
	cfg.File = "pgbaseline.yaml"
	_, err := New(cfg, st, WithScanFunc(func(context.Context, Target) (*report.Report, error) { return nil, nil }))
	if err == nil || !strings.Contains(err.Error(), "pgbaseline.yaml:2: webhooks[0]: the environment variable PGB_TEST_UNSET_SECRET (the HMAC secret) is not set") {
		t.Fatalf("New with a missing webhook secret: %v", err)
	}
	cfg = mustParse(t, "targets:\n  - {name: db, postgres: {dsnEnv: PGB_TEST_UNSET_DSN}}\n")
	if _, err := New(cfg, st); err == nil || !strings.Contains(err.Error(), "PGB_TEST_UNSET_DSN (the DSN) is not set") {
		t.Fatalf("New with a missing DSN: %v", err)
	}
	if _, err := New(ServeConfig{}, st, WithScanTimeout(time.Minute), WithRescueAfter(time.Second)); err == nil {
		t.Fatal("a rescue threshold under the scan timeout was accepted")
	}
}

// TestGracefulStopRequeues: a Stop whose deadline passes cancels the
// running scan and puts it back to queued; the next start runs it.
func TestGracefulStopRequeues(t *testing.T) {
	url := sqliteURL(t)
	st := openStore(t, url)
	cfg := mustParse(t, "targets:\n  - {name: slow, paths: [x]}\n")
	started := make(chan struct{}, 1)
	m := testMonitor(t, cfg, st, WithScanFunc(func(ctx context.Context, _ Target) (*report.Report, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	sc, err := m.Trigger(bg, "slow", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetScan(bg, sc.ID)
	if got.Status != store.ScanQueued || got.Attempts != 1 {
		t.Fatalf("after a graceful stop the scan is %s after %d attempts, want queued after 1", got.Status, got.Attempts)
	}
	again := testMonitor(t, cfg, st, WithScanFunc(func(context.Context, Target) (*report.Report, error) {
		return tinyReport("R1=Compliant"), nil
	}))
	if err := again.Start(bg); err != nil {
		t.Fatal(err)
	}
	done := waitScan(t, st, sc.ID, store.ScanDone, 30*time.Second)
	if done.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", done.Attempts)
	}
}

func TestWebhookRetries(t *testing.T) {
	t.Setenv("PGB_TEST_SECRET", "k")
	tests := []struct {
		name     string
		statuses []int
		wantHits int
		wantErr  string
	}{
		{"ok", []int{200}, 1, ""},
		{"retried until ok", []int{503, 502, 204}, 3, ""},
		{"rate limited", []int{429, 200}, 2, ""},
		{"client error is not retried", []int{400}, 1, "HTTP 400 (not retried)"},
		{"gives up", []int{500, 500, 500, 500}, 4, "after 4 attempts: HTTP 500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(hits.Add(1))
				body, _ := io.ReadAll(r.Body)
				if r.Header.Get(SignatureHeader) != Sign([]byte("k"), body) || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("bad signature or content type")
				}
				w.WriteHeader(tc.statuses[min(n, len(tc.statuses))-1])
			}))
			defer srv.Close()
			m := &Monitor{opts: options{httpClient: srv.Client(), webhookBackoff: time.Millisecond, webhookTries: 4}}
			err := m.deliver(bg, Webhook{URL: srv.URL, SecretEnv: "PGB_TEST_SECRET", AllowPrivate: true}, []byte(`{"event":"regression"}`))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if int(hits.Load()) != tc.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), tc.wantHits)
			}
		})
	}
}

func TestSign(t *testing.T) {
	// echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret
	if got := Sign([]byte("secret"), []byte(`{"a":1}`)); got != "sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494" {
		t.Fatalf("Sign = %q", got)
	}
}

// TestReconcile: a scan recorded without a job (a replica died between the
// two) is queued by the scheduler's reconcile and runs; a scan whose job
// River gave up on is marked failed.
func TestReconcile(t *testing.T) {
	st := openStore(t, sqliteURL(t))
	cfg := mustParse(t, "targets:\n  - {name: infra, paths: [x]}\n")
	m := testMonitor(t, cfg, st, func(o *options) { o.reconcileAge = 0; o.noScheduler = true },
		WithScanFunc(func(context.Context, Target) (*report.Report, error) { return tinyReport("R1=Compliant"), nil }))
	orphan, err := st.CreateScan(bg, "infra", "api:ci") // no job
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(bg); err != nil {
		t.Fatal(err)
	}
	m.reconcile(bg)
	waitScan(t, st, orphan.ID, store.ScanDone, 30*time.Second)

	// A scan whose job was discarded (attempts exhausted).
	abandoned, _ := st.CreateScan(bg, "infra", "api:ci")
	if err := st.StartScan(bg, abandoned.ID); err != nil {
		t.Fatal(err)
	}
	res, err := m.client.Insert(bg, scanJob{ScanID: abandoned.ID, Target: "infra"}, &river.InsertOpts{Queue: "parked"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteDB().ExecContext(bg, `UPDATE river_job SET state = 'discarded', attempt = 5, finalized_at = CURRENT_TIMESTAMP WHERE id = $1`, res.Job.ID); err != nil {
		t.Fatal(err)
	}
	m.reconcile(bg)
	sc, _ := st.GetScan(bg, abandoned.ID)
	if sc.Status != store.ScanFailed || sc.Error != "gave up after 5 attempts" {
		t.Fatalf("abandoned scan = %s %q", sc.Status, sc.Error)
	}
}
