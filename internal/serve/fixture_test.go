package serve

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

const (
	adminToken  = "admin-token-0123456789"
	readerToken = "reader-token-9876543210"
	// hostileName is a resource name a scanned input could carry.
	hostileName = `pg-<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">`
)

var (
	reportsOnce sync.Once
	reports     map[string]*report.Report
	reportsErr  error
)

// exampleReport scans one of the repository's examples (cached; callers
// get a deep copy they may change).
func exampleReport(t testing.TB, name string) *report.Report {
	t.Helper()
	reportsOnce.Do(func() {
		cat, err := baseline.Load()
		if err != nil {
			reportsErr = err
			return
		}
		eng, err := scan.NewEngine(cat, nil)
		if err != nil {
			reportsErr = err
			return
		}
		reports = map[string]*report.Report{}
		for _, n := range []string{"public-server.json", "hardened-server.json", "resource-graph.json"} {
			rep, err := eng.Run(context.Background(), scan.Options{Paths: []string{filepath.Join("..", "..", "examples", "exports", n)}, ToolVersion: "test"})
			if err != nil {
				reportsErr = err
				return
			}
			if len(rep.Errors) > 0 {
				reportsErr = errors.New(n + ": " + rep.Errors[0].Message)
				return
			}
			reports[n] = rep
		}
	})
	if reportsErr != nil {
		t.Fatalf("scanning the examples: %v", reportsErr)
	}
	b, err := json.Marshal(reports[name])
	if err != nil {
		t.Fatal(err)
	}
	var out report.Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// hostile renames every resource of rep to a name carrying markup.
func hostile(rep *report.Report) *report.Report {
	for i := range rep.Resources {
		rep.Resources[i].Name = hostileName
	}
	for i := range rep.Results {
		rep.Results[i].ResourceName = hostileName
		rep.Results[i].Message += ` <b onmouseover="window.__pwned=1">x</b>`
	}
	return rep
}

// fakeScheduler queues scans in the store, as the monitor would.
type fakeScheduler struct {
	st      store.Store
	targets []string
	ready   bool
}

var errFakeUnknown = errors.New("unknown target")

func (f *fakeScheduler) Trigger(ctx context.Context, target, trigger string) (store.Scan, error) {
	if !slices.Contains(f.targets, target) {
		return store.Scan{}, errFakeUnknown
	}
	return f.st.CreateScan(ctx, target, trigger)
}
func (f *fakeScheduler) Targets() []string { return f.targets }
func (f *fakeScheduler) Ready() bool       { return f.ready }

// fixture is a server over a real SQLite store holding finished scans of
// the examples.
type fixture struct {
	st    store.Backend
	srv   *Server
	ts    *httptest.Server
	sched *fakeScheduler
	// infraOld and infraNew are two done scans of target "infra": the
	// hardened server, then the public one (so the diff has regressions).
	infraOld, infraNew string
	// fleet is a done scan of target "fleet" with hostile resource names.
	fleet string
	// queued is a scan that has not run.
	queued string
}

func openSQLite(t testing.TB) store.Backend {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "pgbaseline.db"))
	if err != nil {
		t.Fatalf("opening the SQLite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// addScan records a finished scan of target with rep.
func addScan(t testing.TB, st store.Store, target string, rep *report.Report) string {
	t.Helper()
	ctx := context.Background()
	sc, err := st.CreateScan(ctx, target, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StartScan(ctx, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishScan(ctx, sc.ID, rep, nil); err != nil {
		t.Fatal(err)
	}
	return sc.ID
}

func newFixture(t testing.TB, st store.Backend) *fixture {
	t.Helper()
	f := &fixture{st: st}
	f.infraOld = addScan(t, st, "infra", exampleReport(t, "hardened-server.json"))
	f.infraNew = addScan(t, st, "infra", exampleReport(t, "public-server.json"))
	f.fleet = addScan(t, st, "fleet", hostile(exampleReport(t, "resource-graph.json")))
	q, err := st.CreateScan(context.Background(), "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	f.queued = q.ID
	f.sched = &fakeScheduler{st: st, targets: []string{"infra", "fleet"}, ready: true}
	srv, err := New(Options{
		Store: st, Scheduler: f.sched, ErrUnknownTarget: errFakeUnknown, Version: "test", Logger: testLogger(t),
		Tokens: []Token{
			{Name: "ci", Role: RoleAdmin, SHA256: HashToken(adminToken)},
			{Name: "viewer", Role: RoleReader, SHA256: HashToken(readerToken)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv)
	t.Cleanup(f.ts.Close)
	return f
}

// do sends a request with an optional bearer token and JSON body.
func (f *fixture) do(t testing.TB, method, path, token, body string) *http.Response {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// testLogger sends the server's log to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
