package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

const (
	azTestToken = "FAKE-BEARER-7f3e9c1d2b4a6e8f0a1c3e5b7d9f1a2c"
	azTestSub   = "00000000-0000-0000-0000-0000000000aa"
)

// azureFakeARM is a minimal Resource Manager: one subscription with two
// servers, the second of which refuses its server parameters (403). Every
// other list under a server is empty.
func azureFakeARM(t *testing.T) (*httptest.Server, *sync.Map) {
	t.Helper()
	auth := &sync.Map{}
	rg := "/subscriptions/" + azTestSub + "/resourceGroups/rg"
	server := func(name string) map[string]any {
		return map[string]any{"id": rg + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name, "name": name,
			"type": "microsoft.dbforpostgresql/flexibleservers", "location": "eastus",
			"sku": map[string]any{"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
			"properties": map[string]any{"version": "16", "state": "Ready",
				"network":                    map[string]any{"publicNetworkAccess": "Enabled"},
				"authConfig":                 map[string]any{"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled"},
				"privateEndpointConnections": []any{},
			}}
	}
	write := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"), true)
		p := strings.ToLower(r.URL.Path)
		switch {
		case p == "/subscriptions":
			write(w, 200, map[string]any{"value": []any{map[string]any{"id": "/subscriptions/" + azTestSub, "subscriptionId": azTestSub,
				"displayName": "test", "state": "Enabled", "tenantId": "tttttttt-tttt-tttt-tttt-tttttttttttt"}}})
		case p == "/providers/microsoft.resourcegraph/resources":
			write(w, 200, map[string]any{"totalRecords": 2, "count": 2, "resultTruncated": "false",
				"data": []any{server("pg-a"), server("pg-b")}})
		case strings.HasSuffix(p, "/providers/microsoft.security/pricings/opensourcerelationaldatabases"):
			write(w, 200, map[string]any{"id": "/subscriptions/" + azTestSub + "/providers/Microsoft.Security/pricings/OpenSourceRelationalDatabases",
				"name": "OpenSourceRelationalDatabases", "type": "Microsoft.Security/pricings", "properties": map[string]any{"pricingTier": "Standard"}})
		case strings.HasSuffix(p, "/pg-b/configurations"):
			write(w, 403, map[string]any{"error": map[string]any{"code": "AuthorizationFailed", "message": "no"}})
		default:
			write(w, 200, map[string]any{"value": []any{}})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, auth
}

// captureStderr runs fn with os.Stderr redirected and returns what it
// wrote.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		data, _ := io.ReadAll(r)
		done <- string(data)
	}()
	fn()
	os.Stderr = saved
	w.Close()
	return <-done
}

func TestScanAzureCLI(t *testing.T) {
	srv, auth := azureFakeARM(t)
	t.Setenv("AZURE_ACCESS_TOKEN", azTestToken)
	dir := t.TempDir()
	out, snap := filepath.Join(dir, "report.json"), filepath.Join(dir, "snapshot.json")
	var code int
	stderr := captureStderr(t, func() {
		code = run([]string{"scan", "--azure", "--arm-endpoint", srv.URL, "--format", "json", "--output", out,
			"--save-snapshot", snap, "--fail-on", "never"})
	})
	// pg-b's parameters were refused: the scan is incomplete.
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rep := decodeReport(t, data)
	if len(rep.Targets) != 1 || rep.Targets[0].Kind != "azure" || rep.Targets[0].Location != "/subscriptions/"+azTestSub {
		t.Errorf("targets = %+v", rep.Targets)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "pg-b") || !strings.Contains(rep.Errors[0].Message, "403") {
		t.Errorf("errors = %+v, want pg-b's refused parameters", rep.Errors)
	}
	got := map[string]report.Status{}
	for _, r := range rep.Results {
		got[r.RuleID+" "+r.ResourceName] = r.Status
	}
	for key, want := range map[string]report.Status{
		"PGB-LT1-02 " + azTestSub: report.Compliant,    // the plan is Standard
		"PGB-AM2-02 " + azTestSub: report.NonCompliant, // nothing assigned
		"PGB-ACCESS pg-b":         report.Error,        // its parameters were refused
		"AZP-5e1de0e3 pg-a":       report.NonCompliant, // public network access enabled
	} {
		if got[key] != want {
			t.Errorf("%s = %q, want %s", key, got[key], want)
		}
	}
	if _, ok := auth.Load("Bearer " + azTestToken); !ok {
		t.Errorf("the fake never saw the AZURE_ACCESS_TOKEN bearer token")
	}
	snapData, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"report": string(data), "stderr": stderr, "snapshot": string(snapData)} {
		if strings.Contains(s, azTestToken) {
			t.Errorf("the token appears in the %s", name)
		}
	}

	// The snapshot reproduces the live scan's results.
	again, code, _ := runScanJSON(t, snap, "--fail-on", "never")
	if code != 2 || len(again.Errors) != 1 {
		t.Errorf("scan of the snapshot: exit %d, errors %+v; want 2 and the refusal", code, again.Errors)
	}
	strip := func(rs []report.Result) string {
		rs = append([]report.Result{}, rs...)
		for i := range rs {
			rs[i].Location = nil
		}
		b, _ := json.Marshal(rs)
		return string(b)
	}
	if strip(rep.Results) != strip(again.Results) || rep.Summary != again.Summary {
		t.Errorf("the snapshot's results differ from the live scan's: %+v vs %+v", rep.Summary, again.Summary)
	}

	// No verdict is reached on pg-b's refused parameters.
	for _, r := range rep.Results {
		if r.ResourceName == "pg-b" && r.RuleID == "AZP-70be9e12" && r.Status != report.Error {
			t.Errorf("rule reads refused data but kept a verdict: %s is %s", r.RuleID, r.Status)
		}
	}
}

// TestScanAzureEverythingRefused checks that a credential that may list
// its subscription but read nothing in it gives an incomplete scan (exit
// 2) whose errors name each refused read, not an empty passing report.
func TestScanAzureEverythingRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.ToLower(r.URL.Path) == "/subscriptions" {
			_ = json.NewEncoder(w).Encode(map[string]any{"value": []any{map[string]any{"id": "/subscriptions/" + azTestSub,
				"subscriptionId": azTestSub, "displayName": "test", "state": "Enabled"}}})
			return
		}
		w.WriteHeader(403)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "AuthorizationFailed", "message": "no"}})
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AZURE_ACCESS_TOKEN", azTestToken)
	rep, code, _ := runScanJSON(t, "--azure", "--arm-endpoint", srv.URL, "--fail-on", "never")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	msgs := []string{}
	for _, e := range rep.Errors {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"could not read the flexible servers of the subscription: 403", "could not read the policy assignments: 403"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors %q, want %q", msgs, want)
		}
	}
}

func TestScanAzureUsageErrors(t *testing.T) {
	t.Setenv("AZURE_ACCESS_TOKEN", azTestToken)
	for _, args := range [][]string{
		{"scan", "--azure", "--arm-endpoint", "http://example.com"},
		{"scan", "--azure", "--cloud", "Mars"},
		{"scan", "x.json", "--subscription", azTestSub},
	} {
		var code int
		stderr := captureStderr(t, func() { code = run(args) })
		if code != 2 || strings.Contains(stderr, azTestToken) {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
