package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to write from the server and read
// from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// TestServe starts `pgbaseline serve` on a free port with a SQLite store,
// triggers a scan through the API with an admin token, waits for it to be
// done, and stops the command as SIGTERM would.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	const token = "serve-test-admin-token"
	sum := sha256.Sum256([]byte(token))
	example, err := filepath.Abs("../../examples/exports/hardened-server.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
database: sqlite:%s
tokens:
  - {name: ci, role: admin, sha256: "%s"}
targets:
  - {name: infra, paths: [%q]}
`, filepath.Join(dir, "history.db"), hex.EncodeToString(sum[:]), example)
	cfgFile := filepath.Join(dir, "pgbaseline.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--config", cfgFile})
	root.SetErr(&stderr)
	root.SetOut(&stderr)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var base string
	deadline := time.Now().Add(30 * time.Second)
	for base == "" {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where it listens:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	call := func(method, path, tok, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, _ := call("GET", "/healthz", "", ""); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, _ := call("GET", "/api/v1/scans", "", ""); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	// The monitor becomes ready once its queue runs.
	for i := 0; ; i++ {
		code, _ := call("GET", "/readyz", "", "")
		if code == 200 {
			break
		}
		if i > 300 {
			t.Fatalf("/readyz still %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, body := call("POST", "/api/v1/scans", token, `{"target":"infra"}`)
	id, _ := body["id"].(string)
	if code != 202 || id == "" {
		t.Fatalf("trigger: %d %v", code, body)
	}
	for i := 0; ; i++ {
		code, body = call("GET", "/api/v1/scans/"+id, token, "")
		if code != 200 {
			t.Fatalf("GET scan: %d %v", code, body)
		}
		if body["status"] == "done" {
			break
		}
		if body["status"] == "failed" || i > 600 {
			t.Fatalf("scan %s: %v (%v)\n%s", id, body["status"], body["error"], stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	rep, _ := body["report"].(map[string]any)
	if rep == nil || rep["schemaVersion"] != float64(1) {
		t.Errorf("the done scan has no report: %v", body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
	out := stderr.String()
	if !strings.Contains(out, "pgbaseline serve: stopped") {
		t.Errorf("no stop message:\n%s", out)
	}
	if strings.Contains(out, token) || strings.Contains(out, hex.EncodeToString(sum[:])) {
		t.Error("the log shows the token or its hash")
	}
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"serve", "--tls-cert", "x.pem"}, "--tls-cert and --tls-key go together"},
		{"missing config", []string{"serve", "--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"arguments", []string{"serve", "extra"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			root := newRootCmd()
			root.SetArgs(tc.args)
			root.SetErr(&stderr)
			root.SetOut(&stderr)
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
