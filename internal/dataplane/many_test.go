package dataplane

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/report"
)

// fiftyTargets starts two clusters and returns 50 targets across them
// (three roles, both TLS and plaintext), plus one unreachable target.
func fiftyTargets(tb testing.TB) []Options {
	tb.Helper()
	secure := pgtest.Start(tb, pgtest.Config{TLS: true, HBA: []string{"hostssl all all 127.0.0.1/32 scram-sha-256"}})
	insecure := pgtest.Start(tb, pgtest.Config{HBA: []string{"host all all 127.0.0.1/32 trust"}})
	for _, c := range []*pgtest.Cluster{secure, insecure} {
		c.Exec(tb,
			"CREATE ROLE monitor LOGIN PASSWORD '"+rolePassword+"'", "GRANT pg_monitor TO monitor",
			"CREATE ROLE plain LOGIN PASSWORD '"+rolePassword+"'")
	}
	var out []Options
	users := []struct{ user, pw string }{{"postgres", secure.Password}, {"monitor", rolePassword}, {"plain", rolePassword}}
	for i := 0; len(out) < 49; i++ {
		u := users[i%len(users)]
		if i%2 == 0 {
			out = append(out, Options{DSN: secure.DSN(u.user, u.pw, "postgres", "sslmode=verify-full", "sslrootcert="+secure.CertFile)})
		} else {
			out = append(out, Options{DSN: fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres", u.user, insecure.Port)})
		}
	}
	return append(out, Options{DSN: fmt.Sprintf("postgres://plain:%s@127.0.0.1:1/postgres?sslmode=disable", rolePassword), ConnectTimeout: time.Second})
}

func TestScanMany(t *testing.T) {
	targets := fiftyTargets(t)
	start := time.Now()
	outs := ScanMany(context.Background(), targets, 4)
	t.Logf("50 targets, concurrency 4: %s", time.Since(start).Round(time.Millisecond))
	if len(outs) != len(targets) {
		t.Fatalf("%d outcomes for %d targets", len(outs), len(targets))
	}
	for i, o := range outs[:49] {
		if o.Err != nil || o.Assessment == nil || len(o.Assessment.Results) != len(checks) {
			t.Errorf("target %d (%s): %v", i, o.Target, o.Err)
		}
		if o.Target != RedactDSN(targets[i].DSN) {
			t.Errorf("outcome %d is for %s, want %s (input order)", i, o.Target, RedactDSN(targets[i].DSN))
		}
	}
	if last := outs[49]; last.Err == nil || !strings.Contains(last.Err.Error(), "refused") || strings.Contains(last.Err.Error(), rolePassword) {
		t.Errorf("unreachable target: %v", last.Err)
	}
}

// TestScanManyBoundsConcurrency counts the scans running at once.
func TestScanManyBoundsConcurrency(t *testing.T) {
	var open, peak atomic.Int32
	defer func(orig func(context.Context, Options) (*Assessment, error)) { scanOne = orig }(scanOne)
	scanOne = func(ctx context.Context, o Options) (*Assessment, error) {
		n := open.Add(1)
		defer open.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return &Assessment{Target: RedactDSN(o.DSN)}, nil
	}
	targets := make([]Options, 12)
	for i := range targets {
		targets[i] = Options{DSN: fmt.Sprintf("host=h%d password=%s", i, rolePassword)}
	}
	outs := ScanMany(context.Background(), targets, 3)
	for i, o := range outs {
		if o.Assessment == nil || o.Assessment.Target != RedactDSN(targets[i].DSN) {
			t.Errorf("outcome %d out of order: %+v", i, o)
		}
	}
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak concurrent scans = %d, want 1..3", p)
	}
}

// TestScanTimeout uses a server that accepts and then stays silent: the
// scan must give a timeout error, not hang.
func TestScanTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=u password=%s sslmode=disable", l.Addr().(*net.TCPAddr).Port, rolePassword)
	_, err = Scan(context.Background(), Options{DSN: dsn, ConnectTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timed out") || strings.Contains(err.Error(), rolePassword) {
		t.Errorf("err = %v, want a timeout without the password", err)
	}
}

func BenchmarkScanMany50(b *testing.B) {
	targets := fiftyTargets(b)[:49]
	targets = append(targets, targets[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		outs := ScanMany(context.Background(), targets, 8)
		for _, o := range outs {
			if o.Err != nil {
				b.Fatal(o.Err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/50targets")
	}
}

// TestScanDetectsAzureSignals simulates a flexible server's in-database
// signals on a local cluster: the azure roles and azure.* settings.
func TestScanDetectsAzureSignals(t *testing.T) {
	c := pgtest.Start(t, pgtest.Config{
		HBA:      []string{"host all all 127.0.0.1/32 scram-sha-256"},
		Settings: map[string]string{"azure.extensions": "'pgaudit,pgcrypto'", "azure.accepted_password_auth_method": "'md5,scram-sha-256'"},
	})
	c.Exec(t,
		"CREATE ROLE azure_pg_admin NOLOGIN", "CREATE ROLE azuresu SUPERUSER LOGIN",
		"CREATE ROLE myadmin LOGIN CREATEROLE CREATEDB REPLICATION PASSWORD '"+rolePassword+"'",
		"GRANT azure_pg_admin TO myadmin",
		"CREATE ROLE ops LOGIN PASSWORD '"+rolePassword+"'", "GRANT azure_pg_admin TO ops",
	)
	a := scan(t, Options{DSN: c.DSN("myadmin", rolePassword, "postgres")})
	if !a.Azure || a.Resource.Type != TypeAzure {
		t.Fatalf("azure = %v (%v), type %s", a.Azure, a.AzureSignals, a.Resource.Type)
	}
	if a.Resource.Name != fmt.Sprintf("127.0.0.1:%d", c.Port) {
		t.Errorf("name = %s (an IP host keeps host:port)", a.Resource.Name)
	}
	got := byRule(a.Results)
	for id, want := range map[string]report.Status{
		"PGB-DB-PA-1-01": report.NonCompliant, // postgres is a superuser besides azuresu
		"PGB-DB-PA-1-02": report.NonCompliant, // two local admins
		"PGB-DB-PA-1-03": report.Compliant,    // the admin's CREATEROLE is by design
		"PGB-DB-IM-1-06": report.NonCompliant, // no pgaadauth
		"PGB-DB-DP-3-08": report.Unknown,      // require_secure_transport cannot be a placeholder GUC here
	} {
		if got[id].Status != want {
			t.Errorf("%s = %s (%s), want %s", id, got[id].Status, got[id].Message, want)
		}
	}
	for _, r := range a.Results {
		if r.ResourceType != TypeAzure {
			t.Errorf("%s: resourceType %s", r.RuleID, r.ResourceType)
		}
	}
}
