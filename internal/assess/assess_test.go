package assess_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/assess"
	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestRunCollectsAndStreamsTheSameScan checks that the one entry point gives
// the same verdicts, summary and exit code whether the report is collected
// (serve's scheduled scans, the table) or streamed as JSON (the CLI), and
// that the configuration reaches every rule.
func TestRunCollectsAndStreamsTheSameScan(t *testing.T) {
	off := false
	cases := []struct {
		name     string
		paths    []string
		cfg      *config.Config
		failOn   string
		wantCode int
	}{
		{"exports", []string{"../../examples/exports"}, nil, "low", 1},
		{"terraform", []string{"../../examples/terraform/insecure"}, nil, "high", 1},
		{"a literal password turned off", []string{"../../examples/terraform/insecure"},
			&config.Config{Rules: map[string]config.RuleConfig{"PGB-IM8-01": {Enabled: &off}}}, "never", 0},
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := assess.Request{Paths: c.paths, Config: c.cfg, FailOn: c.failOn, Now: now}
			collected, code, err := assess.Run(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			req.JSON = &buf
			streamed, scode, err := assess.Run(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			if code != c.wantCode || scode != code {
				t.Errorf("exit %d collected, %d streamed; want %d", code, scode, c.wantCode)
			}
			var rep report.Report
			if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Results) != len(collected.Results) || rep.Summary != collected.Summary || streamed.Summary != collected.Summary {
				t.Errorf("streamed %d results %+v, collected %d %+v", len(rep.Results), rep.Summary, len(collected.Results), collected.Summary)
			}
			im8 := 0
			for _, r := range collected.Results {
				if r.RuleID == "PGB-IM8-01" {
					im8++
				}
			}
			if turnedOff := c.cfg != nil; turnedOff != (im8 == 0) && strings.Contains(c.paths[0], "terraform") {
				t.Errorf("%d PGB-IM8-01 results (turned off: %v)", im8, turnedOff)
			}
		})
	}
}

// TestRunRejectsBadPolicies checks that policy files that cannot be read
// stop the scan with an error naming them, before anything is judged.
func TestRunRejectsBadPolicies(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad-policy.json")
	if err := os.WriteFile(bad, []byte(`{"properties": `), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := assess.Run(context.Background(), &assess.Request{Paths: []string{"../../examples/exports"}, Policies: []string{bad}})
	if err == nil || !strings.Contains(err.Error(), "bad-policy.json") {
		t.Errorf("error %v, want one naming the policy file", err)
	}
}
