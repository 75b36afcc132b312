package serve

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

func httptestRecorder(h http.Handler, method, path string) *httptest.ResponseRecorder {
	return httptestRecorderAuth(h, method, path, "")
}

func httptestRecorderAuth(h http.Handler, method, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// browserClient is an HTTP client with a cookie jar that does not follow
// redirects, so each step's answer can be checked.
func browserClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func post(t *testing.T, c *http.Client, u string, form url.Values, origin string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// signIn signs c in with token and returns the session's CSRF token.
func signIn(t *testing.T, f *fixture, c *http.Client, token string) string {
	t.Helper()
	code, body, _ := get(t, c, f.ts.URL+"/signin")
	if code != 200 {
		t.Fatalf("GET /signin %d", code)
	}
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the sign-in form has no CSRF field")
	}
	code, _, h := post(t, c, f.ts.URL+"/signin", url.Values{"csrf": {m[1]}, "token": {token}}, f.ts.URL)
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Fatalf("POST /signin %d to %q, want 303 to /", code, h.Get("Location"))
	}
	code, body, _ = get(t, c, f.ts.URL+"/")
	if code != 200 {
		t.Fatalf("GET / after sign-in: %d", code)
	}
	m = csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the page has no CSRF field in the sign-out form")
	}
	return m[1]
}

func TestDashboardSignIn(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	c := browserClient(t)
	if code, _, h := get(t, c, f.ts.URL+"/"); code != http.StatusSeeOther || h.Get("Location") != "/signin" {
		t.Fatalf("GET / signed out: %d to %q, want 303 to /signin", code, h.Get("Location"))
	}
	// A wrong token is refused.
	_, body, _ := get(t, c, f.ts.URL+"/signin")
	m := csrfInput.FindStringSubmatch(body)
	if code, body, _ := post(t, c, f.ts.URL+"/signin", url.Values{"csrf": {m[1]}, "token": {"guess"}}, ""); code != 401 || !strings.Contains(body, "not valid") {
		t.Errorf("wrong token: %d", code)
	}
	// A sign-in post without the form's CSRF value (login CSRF) is refused.
	if code, _, _ := post(t, c, f.ts.URL+"/signin", url.Values{"token": {adminToken}}, ""); code != 403 {
		t.Errorf("sign-in without CSRF: %d, want 403", code)
	}
	csrf := signIn(t, f, c, adminToken)
	u, _ := url.Parse(f.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie && (ck.Value == adminToken || strings.Contains(ck.Value, adminToken)) {
			t.Error("the session cookie holds the token")
		}
	}
	// The sign-in is audited.
	es, err := f.st.Audit(t.Context(), 10)
	if err != nil || len(es) == 0 || es[0].Action != "session.signin" || es[0].Actor != "ci" {
		t.Errorf("audit after sign-in: %+v %v", es, err)
	}
	// Sign out without CSRF fails; with it, the session ends.
	if code, _, _ := post(t, c, f.ts.URL+"/signout", url.Values{}, ""); code != 403 {
		t.Errorf("sign-out without CSRF: %d, want 403", code)
	}
	if code, _, _ := post(t, c, f.ts.URL+"/signout", url.Values{"csrf": {csrf}}, ""); code != http.StatusSeeOther {
		t.Errorf("sign-out: %d, want 303", code)
	}
	if code, _, _ := get(t, c, f.ts.URL+"/scans"); code != http.StatusSeeOther {
		t.Errorf("after sign-out GET /scans: %d, want 303 to the sign-in", code)
	}
}

func TestDashboardTriggerCSRF(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	admin := browserClient(t)
	csrf := signIn(t, f, admin, adminToken)
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
		code   int
	}{
		{"no CSRF token", url.Values{"target": {"infra"}}, "", 403},
		{"wrong CSRF token", url.Values{"target": {"infra"}, "csrf": {"forged"}}, "", 403},
		{"cross-origin post", url.Values{"target": {"infra"}, "csrf": {csrf}}, "https://evil.example", 403},
		{"unknown target", url.Values{"target": {"nope"}, "csrf": {csrf}}, "", 400},
		{"good", url.Values{"target": {"infra"}, "csrf": {csrf}}, f.ts.URL, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, h := post(t, admin, f.ts.URL+"/scans", tc.form, tc.origin)
			if code != tc.code {
				t.Fatalf("POST /scans: %d, want %d", code, tc.code)
			}
			if code == http.StatusSeeOther && !strings.HasPrefix(h.Get("Location"), "/scans/") {
				t.Errorf("redirect to %q", h.Get("Location"))
			}
		})
	}
	// A reader sees no trigger button and cannot post one.
	reader := browserClient(t)
	rcsrf := signIn(t, f, reader, readerToken)
	if _, body, _ := get(t, reader, f.ts.URL+"/scans"); strings.Contains(body, `id="trigger"`) {
		t.Error("a reader is shown the trigger button")
	}
	if code, _, _ := post(t, reader, f.ts.URL+"/scans", url.Values{"target": {"infra"}, "csrf": {rcsrf}}, ""); code != 403 {
		t.Errorf("reader trigger: %d, want 403", code)
	}
}

// TestDashboardPages loads every page and checks what a reader sees,
// including that hostile resource names come out escaped.
func TestDashboardPages(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	c := browserClient(t)
	signIn(t, f, c, readerToken)
	res, err := f.st.Results(t.Context(), f.infraNew, storeFilterNonCompliant())
	if err != nil || len(res) == 0 {
		t.Fatalf("no NonCompliant result to open: %v", err)
	}
	r0 := res[0]
	finding := "/finding?" + url.Values{"scan": {f.infraNew}, "rule": {r0.RuleID}, "resource": {r0.ResourceID}}.Encode()
	for _, tc := range []struct {
		path string
		code int
		want []string
	}{
		{"/", 200, []string{`id="chart-overall"`, "Network security", "NS-2", "<rect"}},
		{"/trend?target=infra", 200, []string{`id="chart-trend"`, "<polyline", "<circle"}},
		{"/scans", 200, []string{f.infraNew, "queued"}},
		{"/scans/" + f.infraNew, 200, []string{`id="results"`, "NonCompliant", `id="diff-previous"`}},
		{"/scans/" + f.infraNew + "?status=NonCompliant&control=NS-2", 200, []string{"NS-2"}},
		{"/scans/" + f.infraOld + "/diff/" + f.infraNew, 200, []string{`id="new"`, "Nothing regressed."}},
		{finding, 200, []string{"Remediation", r0.RuleID, "--resource-group rg-legacy-crm"}},
		{"/resources", 200, []string{"pg-&lt;script&gt;"}},
		{"/resource?" + url.Values{"id": {r0.ResourceID}, "target": {"infra"}}.Encode(), 200, []string{`id="resource-results"`}},
		{"/scans/" + f.fleet, 200, []string{"pg-&lt;script&gt;window.__pwned=1&lt;/script&gt;"}},
		{"/scans/31337", 404, []string{"No such scan"}},
		{"/finding?scan=" + f.infraNew + "&rule=nope&resource=nope", 404, nil},
		{"/scans/" + f.infraNew + "?status=Bogus", 400, nil},
	} {
		code, body, h := get(t, c, f.ts.URL+tc.path)
		if code != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.path, code, tc.code)
			continue
		}
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: page lacks %q", tc.path, w)
			}
		}
		if strings.Contains(body, "<script>window.__pwned") || strings.Contains(body, `<img src=x`) {
			t.Errorf("GET %s: a hostile name is not escaped", tc.path)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
			t.Errorf("GET %s: inline script or style (the CSP forbids it)", tc.path)
		}
	}
}

func storeFilterNonCompliant() store.ResultFilter {
	return store.ResultFilter{Status: report.NonCompliant, Control: "NS-2"}
}
