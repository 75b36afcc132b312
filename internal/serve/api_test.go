package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON", resp.Request.Method, resp.Request.URL.Path, ct)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return m
}

// TestAPI checks the status codes and JSON shapes of every endpoint as the
// contract gives them, against the real SQLite store.
func TestAPI(t *testing.T) {
	testAPI(t, openSQLite(t))
}

// TestAPIPostgres runs the same checks against a real PostgreSQL cluster
// started by the test (skipped when the server binaries are missing).
func TestAPIPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL test skipped in -short mode")
	}
	if _, err := pgtest.BinDir(); err != nil {
		t.Skip(err)
	}
	c := pgtest.Start(t, pgtest.Config{})
	url := fmt.Sprintf("postgres://postgres:%s@/postgres?host=%s&port=%d&sslmode=disable", c.Password, c.Dir, c.Port)
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("opening the PostgreSQL store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	testAPI(t, st)
}

func testAPI(t *testing.T, st store.Backend) {
	f := newFixture(t, st)
	type check func(t *testing.T, body map[string]any)
	hasKeys := func(keys ...string) check {
		return func(t *testing.T, body map[string]any) {
			for _, k := range keys {
				if _, ok := body[k]; !ok {
					t.Errorf("body has no %q: %v", k, keys)
				}
			}
		}
	}
	errorSays := func(sub string) check {
		return func(t *testing.T, body map[string]any) {
			msg, _ := body["error"].(string)
			if !strings.Contains(msg, sub) {
				t.Errorf("error %q does not say %q", msg, sub)
			}
		}
	}
	tests := []struct {
		name, method, path, token, body string
		code                            int
		check                           check
	}{
		{"healthz needs no token", "GET", "/healthz", "", "", 200, hasKeys("status")},
		{"readyz needs no token", "GET", "/readyz", "", "", 200, hasKeys("status")},
		{"no token", "GET", "/api/v1/scans", "", "", 401, errorSays("Bearer")},
		{"wrong token", "GET", "/api/v1/scans", "not-a-token", "", 401, errorSays("invalid token")},
		{"metrics need a token", "GET", "/metrics", "", "", 401, errorSays("Bearer")},
		{"list scans", "GET", "/api/v1/scans", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			scans, _ := b["scans"].([]any)
			if len(scans) != 4 {
				t.Fatalf("%d scans, want 4", len(scans))
			}
			first := scans[0].(map[string]any)
			for _, k := range []string{"id", "target", "status", "summary"} {
				if _, ok := first[k]; !ok {
					t.Errorf("scan has no %q: %v", k, first)
				}
			}
			if first["id"] != f.queued || first["status"] != "queued" {
				t.Errorf("first scan %v %v, want the newest (%s, queued)", first["id"], first["status"], f.queued)
			}
			done := scans[1].(map[string]any)
			if _, ok := done["finishedAt"]; !ok {
				t.Errorf("done scan has no finishedAt: %v", done)
			}
		}},
		{"list scans by target", "GET", "/api/v1/scans?target=fleet", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			if scans, _ := b["scans"].([]any); len(scans) != 1 {
				t.Errorf("%d fleet scans, want 1", len(scans))
			}
		}},
		{"bad status filter", "GET", "/api/v1/scans?status=exploded", readerToken, "", 400, errorSays("exploded")},
		{"get scan", "GET", "/api/v1/scans/" + f.infraNew, readerToken, "", 200, func(t *testing.T, b map[string]any) {
			if b["id"] != f.infraNew || b["status"] != "done" || b["target"] != "infra" {
				t.Errorf("scan %v %v %v", b["id"], b["status"], b["target"])
			}
			rep, _ := b["report"].(map[string]any)
			if rep == nil {
				t.Fatal("no report")
			}
			for _, k := range []string{"schemaVersion", "tool", "benchmark", "results", "controls", "summary"} {
				if _, ok := rep[k]; !ok {
					t.Errorf("report has no %q", k)
				}
			}
			if rep["schemaVersion"] != float64(1) {
				t.Errorf("schemaVersion %v", rep["schemaVersion"])
			}
		}},
		{"get queued scan", "GET", "/api/v1/scans/" + f.queued, readerToken, "", 200, func(t *testing.T, b map[string]any) {
			if b["status"] != "queued" || b["report"] != nil {
				t.Errorf("queued scan: status %v report %v", b["status"], b["report"])
			}
		}},
		{"unknown scan", "GET", "/api/v1/scans/999999", readerToken, "", 404, errorSays("not found")},
		{"garbage scan id", "GET", "/api/v1/scans/x'or'1", readerToken, "", 404, errorSays("not found")},
		{"results filtered", "GET", "/api/v1/scans/" + f.infraNew + "/results?status=NonCompliant", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			res, _ := b["results"].([]any)
			if len(res) == 0 {
				t.Fatal("no NonCompliant results in the public server's scan")
			}
			for _, r := range res {
				if r.(map[string]any)["status"] != "NonCompliant" {
					t.Errorf("result %v is not NonCompliant", r)
				}
			}
		}},
		{"results by control", "GET", "/api/v1/scans/" + f.infraNew + "/results?control=NS-2", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			res, _ := b["results"].([]any)
			if len(res) == 0 {
				t.Fatal("no NS-2 results")
			}
			for _, r := range res {
				if r.(map[string]any)["controlId"] != "NS-2" {
					t.Errorf("result %v is not NS-2", r)
				}
			}
		}},
		{"results bad status", "GET", "/api/v1/scans/" + f.infraNew + "/results?status=Bad", readerToken, "", 400, errorSays("Bad")},
		{"results unknown scan", "GET", "/api/v1/scans/424242/results", readerToken, "", 404, errorSays("not found")},
		{"diff", "GET", "/api/v1/scans/" + f.infraOld + "/diff/" + f.infraNew, readerToken, "", 200, func(t *testing.T, b map[string]any) {
			reg, _ := b["regressed"].([]any)
			fixed, ok := b["fixed"].([]any)
			if len(reg) == 0 || !ok {
				t.Errorf("hardened -> public: %d regressed, fixed %v; want regressions and a fixed array", len(reg), b["fixed"])
			}
			_ = fixed
		}},
		{"diff reversed order is the same diff", "GET", "/api/v1/scans/" + f.infraNew + "/diff/" + f.infraOld, readerToken, "", 200, func(t *testing.T, b map[string]any) {
			if b["from"] != f.infraOld || b["to"] != f.infraNew {
				t.Errorf("diff from %v to %v, want older %s to newer %s", b["from"], b["to"], f.infraOld, f.infraNew)
			}
		}},
		{"diff other target", "GET", "/api/v1/scans/" + f.infraNew + "/diff/" + f.fleet, readerToken, "", 400, errorSays("different targets")},
		{"diff not done", "GET", "/api/v1/scans/" + f.infraNew + "/diff/" + f.queued, readerToken, "", 409, errorSays("not done")},
		{"diff unknown", "GET", "/api/v1/scans/" + f.infraNew + "/diff/31337", readerToken, "", 404, errorSays("not found")},
		{"controls", "GET", "/api/v1/controls", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			ctls, _ := b["controls"].([]any)
			if len(ctls) < 10 {
				t.Fatalf("%d controls", len(ctls))
			}
			seen := false
			for _, c := range ctls {
				m := c.(map[string]any)
				if m["id"] == "NS-2" {
					seen = true
					if m["status"] != "NonCompliant" || m["domain"] != "Network security" {
						t.Errorf("NS-2 %v in %v, want NonCompliant in Network security", m["status"], m["domain"])
					}
					if ts, _ := m["targets"].([]any); len(ts) != 2 {
						t.Errorf("NS-2 has %d targets, want 2 (infra, fleet)", len(ts))
					}
				}
			}
			if !seen {
				t.Error("no NS-2")
			}
		}},
		{"resources", "GET", "/api/v1/resources?target=infra", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			res, _ := b["resources"].([]any)
			if len(res) == 0 {
				t.Fatal("no resources")
			}
			for _, r := range res {
				m := r.(map[string]any)
				if m["target"] != "infra" || m["scanId"] != f.infraNew {
					t.Errorf("resource %v from %v/%v, want the newest infra scan", m["id"], m["target"], m["scanId"])
				}
			}
		}},
		{"trend", "GET", "/api/v1/trend?target=infra&days=7", readerToken, "", 200, func(t *testing.T, b map[string]any) {
			if pts, _ := b["points"].([]any); len(pts) != 2 {
				t.Errorf("%d trend points for infra, want 2", len(pts))
			}
		}},
		{"trend bad days", "GET", "/api/v1/trend?days=-3", readerToken, "", 400, errorSays("days")},
		{"audit is admin only", "GET", "/api/v1/audit", readerToken, "", 403, errorSays("admin")},
		{"reader cannot trigger", "POST", "/api/v1/scans", readerToken, `{"target":"infra"}`, 403, errorSays("admin")},
		{"trigger without token", "POST", "/api/v1/scans", "", `{"target":"infra"}`, 401, errorSays("Bearer")},
		{"admin triggers", "POST", "/api/v1/scans", adminToken, `{"target":"infra"}`, 202, func(t *testing.T, b map[string]any) {
			id, _ := b["id"].(string)
			if id == "" || len(b) != 1 {
				t.Fatalf("body %v, want exactly {\"id\"}", b)
			}
			sc, err := f.st.GetScan(context.Background(), id)
			if err != nil || sc.Status != store.ScanQueued || sc.Trigger != "api:ci" {
				t.Errorf("triggered scan %+v (%v), want queued with trigger api:ci", sc, err)
			}
		}},
		{"audit after trigger", "GET", "/api/v1/audit", adminToken, "", 200, func(t *testing.T, b map[string]any) {
			es, _ := b["entries"].([]any)
			if len(es) == 0 {
				t.Fatal("no audit entries after a trigger")
			}
			e := es[0].(map[string]any)
			if e["actor"] != "ci" || e["action"] != "scan.trigger" || e["object"] != "infra" {
				t.Errorf("audit entry %v", e)
			}
		}},
		{"trigger unknown target", "POST", "/api/v1/scans", adminToken, `{"target":"nope"}`, 400, errorSays(`unknown target "nope"`)},
		{"trigger no target", "POST", "/api/v1/scans", adminToken, `{}`, 400, errorSays("target is required")},
		{"trigger bad JSON", "POST", "/api/v1/scans", adminToken, `{"target":`, 400, errorSays("body")},
		{"trigger unknown field", "POST", "/api/v1/scans", adminToken, `{"target":"infra","x":1}`, 400, errorSays("unknown field")},
		{"trigger two objects", "POST", "/api/v1/scans", adminToken, `{"target":"infra"}{}`, 400, errorSays("one JSON object")},
		{"trigger wrong type", "POST", "/api/v1/scans", adminToken, `{"target":3}`, 400, errorSays("target must be a string")},
		{"unknown endpoint", "GET", "/api/v1/nothing", readerToken, "", 404, errorSays("no such endpoint")},
		{"wrong method", "DELETE", "/api/v1/scans", adminToken, "", 405, errorSays("method")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.do(t, tc.method, tc.path, tc.token, tc.body)
			if resp.StatusCode != tc.code {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.code, b)
			}
			if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer (%q)", resp.Header.Get("WWW-Authenticate"))
			}
			body := decode(t, resp)
			if tc.code >= 400 {
				if _, ok := body["error"].(string); !ok || len(body) != 1 {
					t.Errorf("error body %v, want exactly {\"error\": \"...\"}", body)
				}
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}
}

func TestSecureHeaders(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	for _, path := range []string{"/healthz", "/api/v1/scans", "/signin", "/", "/static/app.js", "/nowhere"} {
		resp := f.do(t, "GET", path, readerToken, "")
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe script: %q", path, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on plain HTTP", path)
		}
	}
	// With TLS, HSTS and Secure cookies.
	tlsSrv, err := New(Options{Store: f.st, Scheduler: f.sched, TLS: true,
		Tokens: []Token{{Name: "ci", Role: RoleAdmin, SHA256: HashToken(adminToken)}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptestRecorder(tlsSrv, "GET", "/signin")
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS with TLS")
	}
	for _, c := range rec.Result().Cookies() {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s: Secure %v HttpOnly %v SameSite %v", c.Name, c.Secure, c.HttpOnly, c.SameSite)
		}
	}
}

func TestReadyz(t *testing.T) {
	st := openSQLite(t)
	for _, tc := range []struct {
		name  string
		sched Scheduler
		st    store.Store
		code  int
	}{
		{"ready", &fakeScheduler{ready: true}, st, 200},
		{"scheduler not ready", &fakeScheduler{ready: false}, st, 503},
		{"no scheduler", nil, st, 503},
		{"store down", &fakeScheduler{ready: true}, downStore{st}, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Options{Store: tc.st, Scheduler: tc.sched})
			if err != nil {
				t.Fatal(err)
			}
			if rec := httptestRecorder(srv, "GET", "/readyz"); rec.Code != tc.code {
				t.Errorf("/readyz %d, want %d", rec.Code, tc.code)
			}
			if rec := httptestRecorder(srv, "GET", "/healthz"); rec.Code != 200 {
				t.Errorf("/healthz %d, want 200", rec.Code)
			}
		})
	}
}

// downStore is a store whose database does not answer.
type downStore struct{ store.Store }

var errDown = errors.New("connection refused to secret-host")

func (downStore) Ping(context.Context) error { return errDown }
func (downStore) ListScans(context.Context, store.ScanFilter) ([]store.Scan, error) {
	return nil, errDown
}
func (downStore) LatestDone(context.Context) ([]store.Scan, error) { return nil, errDown }

func TestStoreFailureIs500WithoutDetail(t *testing.T) {
	srv, err := New(Options{Store: downStore{openSQLite(t)},
		Tokens: []Token{{Name: "ci", Role: RoleReader, SHA256: HashToken(readerToken)}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/scans", "/api/v1/controls"} {
		rec := httptestRecorderAuth(srv, "GET", path, readerToken)
		if rec.Code != 500 {
			t.Errorf("%s: %d, want 500", path, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "secret-host") {
			t.Errorf("%s: the store's error leaked: %s", path, rec.Body.String())
		}
	}
	rec := httptestRecorderAuth(srv, "GET", "/metrics", readerToken)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "pgbaseline_store_up 0") {
		t.Errorf("/metrics with the store down: %d\n%s", rec.Code, rec.Body.String())
	}
}

func TestNewRejectsBadTokens(t *testing.T) {
	st := openSQLite(t)
	for _, tc := range []struct {
		name   string
		tokens []Token
		want   string
	}{
		{"no name", []Token{{Role: RoleAdmin, SHA256: HashToken("x")}}, "tokens[0]: a token needs a name"},
		{"bad role", []Token{{Name: "ci", Role: "root", SHA256: HashToken("x")}}, `tokens[0] (ci): role "root"`},
		{"short hash", []Token{{Name: "ci", Role: RoleAdmin, SHA256: "abcd"}}, "tokens[0] (ci): sha256 must be"},
		{"plain token", []Token{{Name: "ci", Role: RoleAdmin, SHA256: "my-secret-token"}}, "sha256 must be"},
		{"duplicate", []Token{{Name: "ci", Role: RoleAdmin, SHA256: HashToken("a")}, {Name: "ci", Role: RoleReader, SHA256: HashToken("b")}}, "tokens[1] (ci): duplicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Store: st, Tokens: tc.tokens})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "my-secret-token") {
				t.Errorf("the error prints the configured value: %v", err)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	f.srv.ObserveScan("infra", 1500*time.Millisecond, nil)
	f.srv.ObserveScan("infra", 40*time.Second, errors.New("boom"))
	resp := f.do(t, "GET", "/metrics", readerToken, "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics %d", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	// Count NS-2's NonCompliant results in the newest scans to compare.
	want := 0
	for _, id := range []string{f.infraNew, f.fleet} {
		res, err := f.st.Results(context.Background(), id, store.ResultFilter{Control: "NS-2", Status: report.NonCompliant})
		if err != nil {
			t.Fatal(err)
		}
		want += len(res)
	}
	for _, line := range []string{
		`pgbaseline_results{control="NS-2",status="NonCompliant"} ` + strconv.Itoa(want),
		`# TYPE pgbaseline_scan_duration_seconds histogram`,
		`pgbaseline_scan_duration_seconds_bucket{target="infra",le="2.5"} 1`,
		`pgbaseline_scan_duration_seconds_bucket{target="infra",le="+Inf"} 2`,
		`pgbaseline_scan_duration_seconds_count{target="infra"} 2`,
		`pgbaseline_scan_errors_total{target="infra"} 1`,
		`pgbaseline_store_up 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if want == 0 {
		t.Error("the fixture has no NonCompliant NS-2 result: the gauge check proves nothing")
	}
}
