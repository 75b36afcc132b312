package dataplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/report"
)

// rolePassword is the password of every test login role. No output may hold it.
const rolePassword = "S3cret-Pw-4c9e1d"

// createRoles adds the monitor (pg_monitor) and plain login roles.
func createRoles(t *testing.T, c *pgtest.Cluster, validUntil string) {
	t.Helper()
	vu := ""
	if validUntil != "" {
		vu = " VALID UNTIL '" + validUntil + "'"
	}
	c.Exec(t,
		"CREATE ROLE monitor LOGIN PASSWORD '"+rolePassword+"'"+vu,
		"GRANT pg_monitor TO monitor",
		"CREATE ROLE plain LOGIN PASSWORD '"+rolePassword+"'"+vu,
	)
}

func startInsecure(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c := pgtest.Start(t, pgtest.Config{
		HBA: []string{
			"local all all trust",
			"host all md5user 127.0.0.1/32 md5",
			"host all all 127.0.0.1/32 trust",
		},
		Settings: map[string]string{
			"password_encryption": "md5", "log_connections": "off", "log_disconnections": "off",
			"log_checkpoints": "off", "log_statement": "'none'", "log_line_prefix": "'%t '",
		},
	})
	createRoles(t, c, "")
	c.Exec(t,
		"CREATE ROLE extra_su SUPERUSER LOGIN",
		"CREATE ROLE md5user LOGIN PASSWORD '"+rolePassword+"'",
		"CREATE ROLE admin LOGIN CREATEROLE BYPASSRLS",
		"CREATE ROLE filereader LOGIN",
		"GRANT pg_read_server_files TO filereader",
		"GRANT CREATE ON SCHEMA public TO PUBLIC",
		"GRANT CREATE ON DATABASE postgres TO PUBLIC",
		"CREATE EXTENSION dblink",
		"CREATE FUNCTION public.elevate() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
	)
	return c
}

func startHardened(t *testing.T) (*pgtest.Cluster, bool) {
	t.Helper()
	settings := map[string]string{
		"ssl_min_protocol_version": "'TLSv1.2'",
		"ssl_ciphers":              "'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305'",
		"password_encryption":      "'scram-sha-256'",
		"log_connections":          "on", "log_disconnections": "on", "log_checkpoints": "on",
		"log_line_prefix": "'%m [%p]: user=%u,db=%d,app=%a,client=%h '",
		"log_statement":   "'ddl'",
	}
	audit := pgtest.HasLibrary("pgaudit")
	if audit {
		settings["shared_preload_libraries"] = "'pgaudit'"
		settings["pgaudit.log"] = "'ddl,role,write'"
	}
	c := pgtest.Start(t, pgtest.Config{
		TLS: true,
		HBA: []string{
			"local all all scram-sha-256",
			"hostnossl all all 0.0.0.0/0 reject",
			"hostnossl all all ::/0 reject",
			"hostssl all all 127.0.0.1/32 scram-sha-256",
		},
		Settings: settings,
	})
	createRoles(t, c, "2100-01-01")
	c.Exec(t, "ALTER ROLE postgres VALID UNTIL '2100-01-01'")
	if audit {
		c.Exec(t, "CREATE EXTENSION pgaudit")
	}
	return c, audit
}

// controlVerdicts rolls results up per control: NonCompliant wins, then
// Compliant; controls with only Unknown/NotApplicable results keep that.
func controlVerdicts(rs []report.Result) map[string]report.Status {
	out := map[string]report.Status{}
	for _, r := range rs {
		cur := out[r.ControlID]
		switch {
		case r.Status == report.NonCompliant || cur == report.NonCompliant:
			out[r.ControlID] = report.NonCompliant
		case r.Status == report.Compliant || cur == report.Compliant:
			out[r.ControlID] = report.Compliant
		case cur == "":
			out[r.ControlID] = r.Status
		}
	}
	return out
}

func byRule(rs []report.Result) map[string]report.Result {
	m := map[string]report.Result{}
	for _, r := range rs {
		m[r.RuleID] = r
	}
	return m
}

func scan(t *testing.T, o Options) *Assessment {
	t.Helper()
	a, err := Scan(context.Background(), o)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(a.Results) != len(checks) {
		t.Fatalf("got %d results, want one per rule (%d)", len(a.Results), len(checks))
	}
	assertNoSecret(t, a, rolePassword)
	return a
}

func assertNoSecret(t *testing.T, v any, secrets ...string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(b), s) {
			t.Errorf("output holds a secret: %s", b)
		}
	}
}

// assertPrivilegeHandling checks that no result is Error and that every
// Unknown result names the privilege the role lacked.
func assertPrivilegeHandling(t *testing.T, a *Assessment) {
	t.Helper()
	for _, r := range a.Results {
		if r.Status == report.Error {
			t.Errorf("%s: Error: %s", r.RuleID, r.Message)
		}
		if r.Status == report.Unknown && !strings.Contains(r.Message, "needs ") {
			t.Errorf("%s: Unknown without naming the privilege: %s", r.RuleID, r.Message)
		}
	}
}

func TestScanInsecure(t *testing.T) {
	c := startInsecure(t)
	roles := []struct {
		user string
		tier string
		// rules whose status depends on the role: want per role
		want map[string]report.Status
	}{
		{"postgres", "superuser", map[string]report.Status{
			"PGB-DB-DP-3-02": report.NotApplicable, // ssl is off
			"PGB-DB-DP-3-03": report.NotApplicable,
			"PGB-DB-IM-1-01": report.NonCompliant, "PGB-DB-IM-1-02": report.NonCompliant, "PGB-DB-IM-1-03": report.NonCompliant,
			"PGB-DB-IM-1-05": report.NonCompliant,
		}},
		{"monitor", "pg_monitor", map[string]report.Status{
			"PGB-DB-DP-3-02": report.NotApplicable, "PGB-DB-DP-3-03": report.NotApplicable,
			"PGB-DB-IM-1-01": report.Unknown, "PGB-DB-IM-1-05": report.Unknown,
		}},
		{"plain", "login role", map[string]report.Status{
			"PGB-DB-DP-3-02": report.NotApplicable, "PGB-DB-DP-3-03": report.Unknown, "PGB-DB-DP-3-05": report.Unknown,
			"PGB-DB-IM-1-01": report.Unknown, "PGB-DB-IM-1-05": report.Unknown,
		}},
	}
	common := map[string]report.Status{
		"PGB-DB-DP-3-01": report.NonCompliant, "PGB-DB-DP-3-04": report.NonCompliant,
		"PGB-DB-DP-3-06": report.NotApplicable, "PGB-DB-DP-3-08": report.NotApplicable,
		"PGB-DB-IM-1-04": report.NonCompliant, "PGB-DB-IM-1-06": report.NotApplicable,
		"PGB-DB-PA-1-01": report.NonCompliant, "PGB-DB-PA-1-02": report.NotApplicable,
		"PGB-DB-PA-1-03": report.NonCompliant, "PGB-DB-PA-1-04": report.NonCompliant,
		"PGB-DB-PA-7-01": report.NonCompliant, "PGB-DB-PA-7-02": report.NonCompliant,
		"PGB-DB-PA-7-03": report.Compliant, "PGB-DB-PA-7-04": report.NonCompliant, "PGB-DB-PA-7-05": report.NonCompliant,
		"PGB-DB-LT-4-01": report.NonCompliant, "PGB-DB-LT-4-02": report.NonCompliant, "PGB-DB-LT-4-03": report.NonCompliant,
		"PGB-DB-LT-4-04": report.NonCompliant, "PGB-DB-LT-4-05": report.NonCompliant, "PGB-DB-LT-4-06": report.NonCompliant,
	}
	for _, r := range roles {
		t.Run(r.user, func(t *testing.T) {
			a := scan(t, Options{DSN: c.DSN(r.user, "", "postgres")})
			if got := a.Privileges.Tier(); got != r.tier {
				t.Errorf("tier = %s, want %s", got, r.tier)
			}
			if a.Azure || a.Resource.Type != TypeSelfHosted || a.Resource.Name != fmt.Sprintf("127.0.0.1:%d", c.Port) {
				t.Errorf("resource = %+v azure=%v", a.Resource, a.Azure)
			}
			if !a.ReadOnly {
				t.Error("session not read-only")
			}
			assertPrivilegeHandling(t, a)
			got := byRule(a.Results)
			for id, want := range common {
				if got[id].Status != want {
					t.Errorf("%s = %s (%s), want %s", id, got[id].Status, got[id].Message, want)
				}
			}
			for id, want := range r.want {
				if got[id].Status != want {
					t.Errorf("%s = %s (%s), want %s", id, got[id].Status, got[id].Message, want)
				}
				if want == report.Unknown && !strings.Contains(got[id].Message, "needs ") {
					t.Errorf("%s: %s", id, got[id].Message)
				}
			}
			for ctl, st := range controlVerdicts(a.Results) {
				if st != report.NonCompliant {
					t.Errorf("control %s = %s, want NonCompliant", ctl, st)
				}
			}
		})
	}
}

func TestScanHardened(t *testing.T) {
	c, audit := startHardened(t)
	tls := []string{"sslmode=verify-full", "sslrootcert=" + c.CertFile}
	for _, r := range []struct {
		user, password, tier string
		unknown              []string
	}{
		{"postgres", c.Password, "superuser", nil},
		{"monitor", rolePassword, "pg_monitor", []string{"PGB-DB-IM-1-01", "PGB-DB-IM-1-02", "PGB-DB-IM-1-03", "PGB-DB-IM-1-05"}},
		{"plain", rolePassword, "login role", []string{"PGB-DB-DP-3-03", "PGB-DB-DP-3-05", "PGB-DB-IM-1-01", "PGB-DB-IM-1-02", "PGB-DB-IM-1-03", "PGB-DB-IM-1-05"}},
	} {
		t.Run(r.user, func(t *testing.T) {
			a := scan(t, Options{DSN: c.DSN(r.user, r.password, "postgres", tls...), ProbeTLS: true})
			assertNoSecret(t, a, c.Password)
			if got := a.Privileges.Tier(); got != r.tier {
				t.Errorf("tier = %s, want %s", got, r.tier)
			}
			assertPrivilegeHandling(t, a)
			got := byRule(a.Results)
			for _, res := range a.Results {
				want := report.Compliant
				switch {
				case containsStr(r.unknown, res.RuleID):
					want = report.Unknown
				case res.RuleID == "PGB-DB-DP-3-08" || res.RuleID == "PGB-DB-IM-1-06" || res.RuleID == "PGB-DB-PA-1-02":
					want = report.NotApplicable
				case res.RuleID == "PGB-DB-LT-4-05" && !audit:
					want = report.NonCompliant
				}
				if res.Status != want {
					t.Errorf("%s = %s (%s), want %s", res.RuleID, res.Status, res.Message, want)
				}
			}
			if ev := got["PGB-DB-DP-3-04"].Evidence; ev["certificateVerified"] != true || ev["sslmode"] != "verify-full" {
				t.Errorf("session TLS evidence = %v", ev)
			}
			if got["PGB-DB-DP-3-02"].Status == report.Compliant && r.user == "plain" {
				if got["PGB-DB-DP-3-02"].Evidence["probe.minAcceptedTLS"] == nil {
					t.Errorf("plain role's DP-3-02 should come from the probe: %v", got["PGB-DB-DP-3-02"].Evidence)
				}
			}
			for ctl, st := range controlVerdicts(a.Results) {
				if st != report.Compliant && !(ctl == "LT-4" && !audit) {
					t.Errorf("control %s = %s, want Compliant", ctl, st)
				}
			}
		})
	}
	if !audit {
		t.Log("pgaudit is not installed (Debian package postgresql-15-pgaudit); LT-4-05 asserted NonCompliant")
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestScanIsReadOnly proves the scan changes nothing: a catalog snapshot
// taken before and after is identical, and a write inside the scanner's
// session fails.
func TestScanIsReadOnly(t *testing.T) {
	c := startInsecure(t)
	const snapshot = `SELECT md5(concat_ws('|',
		(SELECT string_agg(rolname || rolsuper::text || rolcreaterole::text || COALESCE(rolvaliduntil::text,''), ',' ORDER BY rolname) FROM pg_roles),
		(SELECT string_agg(nspname || COALESCE(nspacl::text,''), ',' ORDER BY nspname) FROM pg_namespace),
		(SELECT string_agg(datname || COALESCE(datacl::text,''), ',' ORDER BY datname) FROM pg_database),
		(SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings WHERE source NOT IN ('default','session','client')),
		(SELECT count(*)::text FROM pg_class), (SELECT count(*)::text FROM pg_proc),
		(SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension)))`
	before := c.QueryString(t, "postgres", snapshot)
	for _, user := range []string{"postgres", "monitor", "plain"} {
		scan(t, Options{DSN: c.DSN(user, "", "postgres"), ProbeTLS: true})
	}
	if after := c.QueryString(t, "postgres", snapshot); after != before {
		t.Errorf("catalog snapshot changed: %s -> %s", before, after)
	}

	p, err := plan(context.Background(), Options{DSN: c.DSN("postgres", "", "postgres")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := connect(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var ro string
	if err := s.queryRow(context.Background(), "SELECT current_setting('transaction_read_only')", &ro); err != nil || ro != "on" {
		t.Errorf("transaction_read_only = %q, %v", ro, err)
	}
	err = s.query(context.Background(), "CREATE TABLE pgbaseline_must_not_exist(i int)", func(pgx.Rows) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("write in the scanner's session: err = %v, want a read-only transaction error", err)
	}
	var ddro string
	if err := s.conn.QueryRow(context.Background(), "SHOW default_transaction_read_only").Scan(&ddro); err != nil || ddro != "on" {
		t.Errorf("default_transaction_read_only = %q, %v", ddro, err)
	}
}

func TestScanConnectionErrors(t *testing.T) {
	c, _ := startHardened(t)
	free := c.Port + 1 // nothing listens there (checked below by the error)
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"bad password", c.DSN("plain", "wrong-"+rolePassword, "postgres", "sslmode=require"), "authentication failed"},
		{"refused", fmt.Sprintf("postgres://plain:%s@127.0.0.1:%d/postgres?sslmode=disable", rolePassword, free), "refused"},
		{"unreachable", fmt.Sprintf("host=192.0.2.1 port=5432 user=plain password=%s connect_timeout=1", rolePassword), "192.0.2.1"},
		{"plaintext rejected by pg_hba", c.DSN("plain", rolePassword, "postgres", "sslmode=disable"), "no encryption"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Scan(context.Background(), Options{DSN: tc.dsn, ConnectTimeout: 2 * time.Second})
			if err == nil {
				t.Fatal("Scan succeeded")
			}
			var ce *ConnectError
			if !errors.As(err, &ce) {
				t.Errorf("error %T, want *ConnectError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), rolePassword) {
				t.Errorf("error holds the password: %q", err)
			}
			t.Logf("%s after %s", err, time.Since(start).Round(time.Millisecond))
		})
	}
}
