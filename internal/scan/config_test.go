package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// configScan scans a Terraform server with a literal password finding and
// a database connection's results under cfg, with Run and with RunJSON,
// and returns Run's report and both exit codes for failOn.
func configScan(t *testing.T, cfg *config.Config, failOn string) (*report.Report, int, int) {
	t.Helper()
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cat, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := server("leaky")
	in := &source.Input{Kind: source.KindTerraform, Location: "infra", Resources: []*arm.Resource{srv},
		Findings: []source.Finding{{RuleID: "PGB-IM8-01", Resource: srv, File: "main.tf", Line: 14, Status: "NonCompliant",
			Message: "administrator_password is a literal string."}}}
	db := report.Resource{ID: "db.internal:5432", Type: "PostgreSQL", Name: "db.internal:5432"}
	dbResults := []report.Result{{RuleID: "PGB-DB-IM-1-02", ControlID: "IM-1", Severity: report.Medium, ResourceID: db.ID,
		ResourceType: db.Type, ResourceName: db.Name, Status: report.NonCompliant, Message: "md5 password hashing.",
		Remediation: &report.Remediation{Summary: "Use SCRAM."}}}
	o := func() Options {
		return Options{Inputs: []*source.Input{in, {Kind: source.KindPostgres, Location: "postgres://db.internal"}},
			Resources: []report.Resource{db}, Results: dbResults, Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}
	}
	rep, err := e.Run(context.Background(), o())
	if err != nil {
		t.Fatal(err)
	}
	_, streamed, err := e.RunJSON(context.Background(), o(), io.Discard, failOn)
	if err != nil {
		t.Fatal(err)
	}
	return rep, ExitCode(rep, failOn), streamed
}

// TestConfigAppliesToEveryRuleFamily checks that `enabled: false` removes
// a rule's results and that a severity override changes them and the exit
// code, for every family of rule: Azure Policy built-ins, custom
// definitions, Go checks, platform and manual rules, source findings and
// database checks.
func TestConfigAppliesToEveryRuleFamily(t *testing.T) {
	base, baseCode, _ := configScan(t, nil, "critical")
	if baseCode != 0 {
		t.Fatalf("the scan without configuration has a critical failure (exit %d): the test cannot see an override", baseCode)
	}
	cases := []struct {
		family, rule string
		// failing is set when the rule's result is NonCompliant, so that
		// raising its severity to critical fails the scan.
		failing bool
	}{
		{"built-in policy", "AZP-5e1de0e3", false},
		{"custom policy", "PGB-IM1-01", true},
		{"Go check", "PGB-NS1-02", false},
		{"platform", "PGB-DP4-01", false},
		{"manual", "PGB-IM7-01", false},
		{"source finding", "PGB-IM8-01", true},
		{"database check", "PGB-DB-IM-1-02", true},
	}
	count := func(rep *report.Report, rule string) (n int, sev report.Severity, st report.Status) {
		for _, r := range rep.Results {
			if r.RuleID == rule {
				n, sev, st = n+1, r.Severity, r.Status
			}
		}
		return
	}
	for _, c := range cases {
		t.Run(c.family, func(t *testing.T) {
			n, sev, st := count(base, c.rule)
			if n == 0 {
				t.Fatalf("%s has no result without configuration", c.rule)
			}
			if (st == report.NonCompliant) != c.failing {
				t.Fatalf("%s is %s without configuration", c.rule, st)
			}
			off := false
			rep, code, streamed := configScan(t, &config.Config{Rules: map[string]config.RuleConfig{c.rule: {Enabled: &off}}}, "critical")
			if got, _, _ := count(rep, c.rule); got != 0 {
				t.Errorf("enabled: false: %d results of %s remain", got, c.rule)
			}
			if rep.Summary.Total != base.Summary.Total-n {
				t.Errorf("enabled: false: summary total %d, want %d", rep.Summary.Total, base.Summary.Total-n)
			}
			if code != 0 || streamed != 0 {
				t.Errorf("enabled: false: exit %d (streamed %d), want 0", code, streamed)
			}

			want := report.Critical
			if sev == report.Critical {
				want = report.Low
			}
			rep, code, streamed = configScan(t, &config.Config{Rules: map[string]config.RuleConfig{c.rule: {Severity: string(want)}}}, "critical")
			if got, gotSev, _ := count(rep, c.rule); got != n || gotSev != want {
				t.Errorf("severity %s: %d results of severity %s, want %d of %s", want, got, gotSev, n, want)
			}
			wantCode := 0
			if c.failing {
				wantCode = 1
			}
			if code != wantCode || streamed != wantCode {
				t.Errorf("severity %s: exit %d (streamed %d), want %d", want, code, streamed, wantCode)
			}
		})
	}
}

// TestRefusedDataGivesError checks that data a source was refused (a 403)
// turns the verdicts of the rules that declare they need it into Error
// results naming what was hidden, in Run and in RunJSON, and leaves every
// other verdict as it was.
func TestRefusedDataGivesError(t *testing.T) {
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	const cfgType = "Microsoft.DBforPostgreSQL/flexibleServers/configurations"
	scanWith := func(refused []source.Refusal) (*report.Report, map[string]any) {
		srv := server("hidden")
		in := &source.Input{Kind: source.KindAzure, Location: "/subscriptions/s", Resources: []*arm.Resource{srv}, Refused: refused}
		o := Options{Inputs: []*source.Input{in}, Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}
		rep, err := e.Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, _, err := e.RunJSON(context.Background(), o, &buf, ""); err != nil {
			t.Fatal(err)
		}
		var streamed map[string]any
		if err := json.Unmarshal(buf.Bytes(), &streamed); err != nil {
			t.Fatal(err)
		}
		return rep, streamed
	}
	id := server("hidden").ID
	before, _ := scanWith(nil)
	after, streamed := scanWith([]source.Refusal{{Resource: strings.ToUpper(id), Type: cfgType,
		Reason: "could not read the server parameters (configurations): 403 Forbidden", Evidence: map[string]any{"statusCode": 403}}})
	if len(before.Results) != len(after.Results) {
		t.Fatalf("%d results, %d before", len(after.Results), len(before.Results))
	}
	marked := 0
	for i, r := range after.Results {
		was := before.Results[i]
		needs := slices.Contains(cat.Rule(r.RuleID).Needs, cfgType)
		switch {
		case needs && (was.Status == report.Compliant || was.Status == report.NonCompliant || was.Status == report.Unknown):
			marked++
			if r.Status != report.Error || r.Evidence["unreadable"] != cfgType || r.Evidence["statusCode"] != 403 ||
				!strings.Contains(r.Message, "Cannot be judged: could not read the server parameters") {
				t.Errorf("%s needs the refused parameters: %s %v %q", r.RuleID, r.Status, r.Evidence, r.Message)
			}
		case r.Status != was.Status:
			t.Errorf("%s: %s, was %s without the refusal", r.RuleID, r.Status, was.Status)
		}
	}
	if marked == 0 {
		t.Fatal("no rule that needs the server parameters gave a verdict to mark")
	}
	if after.Summary.Error != before.Summary.Error+marked {
		t.Errorf("summary: %d Error results, want %d", after.Summary.Error, before.Summary.Error+marked)
	}
	if s := streamed["summary"].(map[string]any); int(s["Error"].(float64)) != after.Summary.Error {
		t.Errorf("streamed summary %v, want %d Error results", s, after.Summary.Error)
	}
}
