package dataplane

import (
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

var superCaps = Capabilities{User: "postgres", Superuser: true}

// base returns facts for a well-configured self-hosted server read by a superuser.
func base() *facts {
	return &facts{
		caps: superCaps, database: "postgres", sslMode: "verify-full", sslSource: "dsn",
		settings: map[string]string{
			"ssl": "on", "ssl_min_protocol_version": "TLSv1.2", "ssl_max_protocol_version": "",
			"ssl_ciphers": "ECDHE-RSA-AES256-GCM-SHA384:!aNULL", "password_encryption": "scram-sha-256",
			"log_connections": "on", "log_disconnections": "on", "log_checkpoints": "on",
			"log_line_prefix": "%m [%p] %u@%d app=%a client=%h ", "log_statement": "ddl", "pgaudit.log": "ddl,role",
		},
		ownTLS:       &ownTLS{SSL: true, Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", Bits: 256},
		nonTLS:       &nonTLSSessions{},
		hba:          []hbaRule{rule(1, "hostssl", "all", "all", "all", "", "scram-sha-256")},
		hashes:       []roleHash{{"postgres", "scram-sha-256"}},
		roles:        []roleInfo{{Name: "postgres", Super: true, CanLogin: true, ValidUntil: "2100-01-01"}},
		entraLabels:  map[string]string{},
		publicSchema: &schemaACL{Owner: "pg_database_owner"},
		dbPrivs:      []databasePriv{{Name: "postgres", PublicConnect: true, Temp: true}},
		secdef:       []secdefFunc{},
		languages:    []language{{"plpgsql", true}},
		extensions:   []extension{{"plpgsql", "1.0", "pg_catalog"}},
		errs:         map[string]error{},
	}
}

func findCheck(t *testing.T, id string) check {
	t.Helper()
	for _, c := range checks {
		if c.rule.ID == id {
			return c
		}
	}
	t.Fatalf("no rule %s", id)
	return check{}
}

func TestChecks(t *testing.T) {
	probes := func(plain probeOutcome, tls10 probeOutcome) *probeResults {
		return &probeResults{Plaintext: plain, TLS: map[string]probeOutcome{"TLS 1.0": tls10, "TLS 1.1": tls10, "TLS 1.2": probeAccepted, "TLS 1.3": probeAccepted}}
	}
	for _, tc := range []struct {
		rule   string
		name   string
		mutate func(f *facts)
		want   report.Status
		msg    string // substring of the message
	}{
		{"PGB-DB-DP-3-01", "on", nil, report.Compliant, "ssl is on"},
		{"PGB-DB-DP-3-01", "off", func(f *facts) { f.settings["ssl"] = "off" }, report.NonCompliant, "should be on"},
		{"PGB-DB-DP-3-02", "TLSv1.2", nil, report.Compliant, "TLSv1.2"},
		{"PGB-DB-DP-3-02", "TLSv1", func(f *facts) { f.settings["ssl_min_protocol_version"] = "TLSv1" }, report.NonCompliant, "TLSv1.2 or later"},
		{"PGB-DB-DP-3-02", "max below min", func(f *facts) { f.settings["ssl_max_protocol_version"] = "TLSv1.1" }, report.NonCompliant, "below"},
		{"PGB-DB-DP-3-02", "ssl off", func(f *facts) { f.settings["ssl"] = "off" }, report.NotApplicable, "TLS is off"},
		{"PGB-DB-DP-3-02", "no privilege, no probes", func(f *facts) { f.caps = Capabilities{User: "u"} }, report.Unknown, "needs pg_read_all_settings"},
		{"PGB-DB-DP-3-02", "no privilege, probe says 1.0", func(f *facts) { f.caps = Capabilities{User: "u"}; f.probes = probes(probeRefused, probeAccepted) }, report.NonCompliant, "TLS 1.0"},
		{"PGB-DB-DP-3-02", "no privilege, probe says 1.2", func(f *facts) { f.caps = Capabilities{User: "u"}; f.probes = probes(probeRefused, probeRefused) }, report.Compliant, "TLS 1.2"},
		{"PGB-DB-DP-3-03", "AEAD only", nil, report.Compliant, "forward-secret"},
		{"PGB-DB-DP-3-03", "PostgreSQL default", func(f *facts) { f.settings["ssl_ciphers"] = "HIGH:MEDIUM:+3DES:!aNULL" }, report.NonCompliant, "HIGH, MEDIUM"},
		{"PGB-DB-DP-3-03", "CBC suite", func(f *facts) { f.settings["ssl_ciphers"] = "ECDHE-RSA-AES128-SHA" }, report.NonCompliant, "ECDHE-RSA-AES128-SHA"},
		{"PGB-DB-DP-3-03", "TLS 1.3 minimum makes the TLS 1.2 list moot", func(f *facts) {
			f.settings["ssl_ciphers"] = "HIGH:MEDIUM:+3DES:!aNULL"
			f.settings["ssl_min_protocol_version"] = "TLSv1.3"
		}, report.Compliant, "cannot weaken"},
		{"PGB-DB-DP-3-03", "TLS 1.2 minimum keeps the weak list failing", func(f *facts) {
			f.settings["ssl_ciphers"] = "HIGH:MEDIUM:+3DES:!aNULL"
			f.settings["ssl_min_protocol_version"] = "TLSv1.2"
		}, report.NonCompliant, "HIGH, MEDIUM"},
		{"PGB-DB-DP-3-04", "tls 1.3 verified", nil, report.Compliant, "TLSv1.3"},
		{"PGB-DB-DP-3-04", "not verified", func(f *facts) { f.sslMode = "require" }, report.Compliant, "not verified"},
		{"PGB-DB-DP-3-04", "plaintext", func(f *facts) { f.ownTLS = &ownTLS{}; f.sslMode = "prefer" }, report.NonCompliant, "not encrypted"},
		{"PGB-DB-DP-3-04", "unix socket", func(f *facts) { f.ownTLS = &ownTLS{}; f.unixSocket = true }, report.NotApplicable, "unix socket"},
		{"PGB-DB-DP-3-05", "none", nil, report.Compliant, "uses TLS"},
		{"PGB-DB-DP-3-05", "two", func(f *facts) { f.nonTLS = &nonTLSSessions{NonTLS: 2} }, report.NonCompliant, "2 client"},
		{"PGB-DB-DP-3-06", "not requested", nil, report.NotApplicable, "--probe-tls"},
		{"PGB-DB-DP-3-06", "unix socket", func(f *facts) { f.probes = &probeResults{Skipped: "unix socket"} }, report.NotApplicable, "unix socket"},
		{"PGB-DB-DP-3-06", "refused", func(f *facts) { f.probes = probes(probeRefused, probeRefused) }, report.Compliant, "refused"},
		{"PGB-DB-DP-3-06", "accepted", func(f *facts) { f.probes = probes(probeAccepted, probeRefused) }, report.NonCompliant, "accepted"},
		{"PGB-DB-DP-3-07", "1.2 minimum", func(f *facts) { f.probes = probes(probeRefused, probeRefused) }, report.Compliant, "TLS 1.2"},
		{"PGB-DB-DP-3-07", "1.0 accepted", func(f *facts) { f.probes = probes(probeRefused, probeAccepted) }, report.NonCompliant, "TLS 1.0"},
		{"PGB-DB-DP-3-08", "self-hosted", nil, report.NotApplicable, "only on Azure"},
		{"PGB-DB-DP-3-08", "azure on", func(f *facts) { f.azure = true; f.settings["require_secure_transport"] = "on" }, report.Compliant, "is on"},
		{"PGB-DB-DP-3-08", "azure off", func(f *facts) { f.azure = true; f.settings["require_secure_transport"] = "off" }, report.NonCompliant, "non-TLS"},
		{"PGB-DB-IM-1-01", "scram only", nil, report.Compliant, "No reachable"},
		{"PGB-DB-IM-1-01", "trust", func(f *facts) { f.hba = append(f.hba, rule(2, "local", "all", "all", "", "", "trust")) }, report.NonCompliant, "line 2"},
		{"PGB-DB-IM-1-01", "shadowed trust", func(f *facts) {
			f.hba = []hbaRule{rule(1, "host", "all", "all", "all", "", "reject"), rule(2, "host", "all", "all", "10.0.0.0", "255.0.0.0", "trust")}
		}, report.Compliant, "No reachable"},
		{"PGB-DB-IM-1-01", "no privilege", func(f *facts) { f.caps = Capabilities{User: "u", ReadAllSettings: true, ReadAllStats: true} }, report.Unknown, "needs superuser, or SELECT on pg_hba_file_rules"},
		{"PGB-DB-IM-1-02", "ident", func(f *facts) { f.hba = append(f.hba, rule(2, "host", "all", "all", "all", "", "ident")) }, report.NonCompliant, "ident"},
		{"PGB-DB-IM-1-03", "host scram", func(f *facts) { f.hba = append(f.hba, rule(2, "host", "all", "all", "all", "", "scram-sha-256")) }, report.NonCompliant, "without TLS"},
		{"PGB-DB-IM-1-04", "md5", func(f *facts) { f.settings["password_encryption"] = "md5" }, report.NonCompliant, "md5"},
		{"PGB-DB-IM-1-05", "md5 hash", func(f *facts) { f.hashes = append(f.hashes, roleHash{"app", "md5"}) }, report.NonCompliant, "app"},
		{"PGB-DB-IM-1-05", "monitor role", func(f *facts) { f.caps = Capabilities{User: "m", ReadAllSettings: true} }, report.Unknown, "needs superuser (SELECT on pg_authid)"},
		{"PGB-DB-IM-1-06", "self-hosted", nil, report.NotApplicable, "Azure"},
		{"PGB-DB-IM-1-06", "azure without pgaadauth", func(f *facts) { f.azure = true }, report.NonCompliant, "not enabled"},
		{"PGB-DB-IM-1-06", "azure entra + admin", func(f *facts) {
			f.azure, f.pgaadauth = true, true
			f.roles = append(f.roles, roleInfo{Name: "admin", CanLogin: true}, roleInfo{Name: "alice@contoso.com", CanLogin: true}, roleInfo{Name: "azuresu", Super: true, CanLogin: true})
			f.entraLabels["alice@contoso.com"] = "aadauth,oid=1,type=user"
			f.roles = f.roles[1:]
		}, report.Compliant, "1 principal(s); 1 local"},
		{"PGB-DB-IM-1-06", "azure two local roles", func(f *facts) {
			f.azure, f.pgaadauth = true, true
			f.roles = []roleInfo{{Name: "admin", CanLogin: true}, {Name: "app", CanLogin: true}}
		}, report.NonCompliant, "admin, app"},
		{"PGB-DB-PA-1-01", "one", nil, report.Compliant, "Exactly 1"},
		{"PGB-DB-PA-1-01", "two", func(f *facts) { f.roles = append(f.roles, roleInfo{Name: "dba", Super: true}) }, report.NonCompliant, "postgres, dba"},
		{"PGB-DB-PA-1-01", "azure azuresu only", func(f *facts) { f.azure = true; f.roles = []roleInfo{{Name: "azuresu", Super: true}} }, report.Compliant, "No customer"},
		{"PGB-DB-PA-1-02", "azure one local admin + entra", func(f *facts) {
			f.azure = true
			f.roles = []roleInfo{{Name: "admin", AzureAdmin: true}, {Name: "bob@x", AzureAdmin: true}}
			f.entraLabels["bob@x"] = "aadauth,oid=2,type=user,admin"
		}, report.Compliant, "2 member(s), 1 of them local"},
		{"PGB-DB-PA-1-02", "azure two local admins", func(f *facts) {
			f.azure = true
			f.roles = []roleInfo{{Name: "admin", AzureAdmin: true}, {Name: "ops", AzureAdmin: true}}
		}, report.NonCompliant, "admin, ops"},
		{"PGB-DB-PA-1-03", "createrole", func(f *facts) { f.roles = append(f.roles, roleInfo{Name: "app", CreateRole: true}) }, report.NonCompliant, "app (CREATEROLE)"},
		{"PGB-DB-PA-1-03", "dedicated replication", func(f *facts) {
			f.roles = append(f.roles, roleInfo{Name: "repl", Replication: true, CanLogin: true, ValidUntil: "2100-01-01"})
		}, report.Compliant, "dedicated"},
		{"PGB-DB-PA-1-03", "azure admin allowed", func(f *facts) {
			f.azure = true
			f.roles = append(f.roles, roleInfo{Name: "admin", CreateRole: true, Replication: true, CreateDB: true, AzureAdmin: true})
		}, report.Compliant, "No non-superuser"},
		{"PGB-DB-PA-1-04", "never expires", func(f *facts) { f.roles = append(f.roles, roleInfo{Name: "app", CanLogin: true}) }, report.NonCompliant, "app"},
		{"PGB-DB-PA-1-04", "entra excluded", func(f *facts) {
			f.roles = append(f.roles, roleInfo{Name: "bob@x", CanLogin: true})
			f.entraLabels["bob@x"] = "aadauth"
		}, report.Compliant, "expiry"},
		{"PGB-DB-PA-7-01", "public create schema", func(f *facts) { f.publicSchema.PublicCreate = true }, report.NonCompliant, "schema public"},
		{"PGB-DB-PA-7-01", "public create db", func(f *facts) { f.dbPrivs[0].PublicCreate = true }, report.NonCompliant, "database postgres"},
		{"PGB-DB-PA-7-02", "locked down", func(f *facts) { f.secdef = []secdefFunc{{Schema: "s", Name: "f", Owner: "app", PinsSearchPath: true}} }, report.Compliant, "1 SECURITY"},
		{"PGB-DB-PA-7-02", "risky", func(f *facts) { f.secdef = []secdefFunc{{Schema: "s", Name: "f", Owner: "postgres", OwnerSuper: true}} }, report.NonCompliant, "owned by superuser postgres"},
		{"PGB-DB-PA-7-03", "plpython3u", func(f *facts) { f.languages = append(f.languages, language{"plpython3u", false}) }, report.NonCompliant, "plpython3u"},
		{"PGB-DB-PA-7-04", "file_fdw", func(f *facts) { f.extensions = append(f.extensions, extension{"file_fdw", "1.0", "public"}) }, report.NonCompliant, "file_fdw"},
		{"PGB-DB-PA-7-05", "member", func(f *facts) { f.memberships = []membership{{"etl", "pg_write_server_files"}} }, report.NonCompliant, "etl -> pg_write_server_files"},
		{"PGB-DB-PA-7-05", "azure_pg_admin judged elsewhere", func(f *facts) { f.memberships = []membership{{"admin", "azure_pg_admin"}} }, report.Compliant, "No role"},
		{"PGB-DB-LT-4-01", "off", func(f *facts) { f.settings["log_connections"] = "off" }, report.NonCompliant, "off"},
		{"PGB-DB-LT-4-02", "on", nil, report.Compliant, "on"},
		{"PGB-DB-LT-4-03", "off", func(f *facts) { f.settings["log_checkpoints"] = "off" }, report.NonCompliant, "off"},
		{"PGB-DB-LT-4-04", "azure default", func(f *facts) { f.settings["log_line_prefix"] = "%t-%c-" }, report.NonCompliant, "user (%u)"},
		{"PGB-DB-LT-4-04", "remote host via %r", func(f *facts) { f.settings["log_line_prefix"] = "%m [%r] [%p]: [l-%l] %u@%d,app=%a,e=%e " }, report.Compliant, "records"},
		{"PGB-DB-LT-4-05", "not loaded", func(f *facts) { delete(f.settings, "pgaudit.log") }, report.NonCompliant, "not loaded"},
		{"PGB-DB-LT-4-05", "none", func(f *facts) { f.settings["pgaudit.log"] = "none" }, report.NonCompliant, "ddl, role"},
		{"PGB-DB-LT-4-05", "all minus misc", func(f *facts) { f.settings["pgaudit.log"] = "all, -misc" }, report.Compliant, "loaded"},
		{"PGB-DB-LT-4-05", "all minus ddl", func(f *facts) { f.settings["pgaudit.log"] = "all,-ddl" }, report.NonCompliant, "ddl"},
		{"PGB-DB-LT-4-06", "none but pgaudit ddl", func(f *facts) { f.settings["log_statement"] = "none" }, report.Compliant, "pgaudit"},
		{"PGB-DB-LT-4-06", "none", func(f *facts) { f.settings["log_statement"] = "none"; delete(f.settings, "pgaudit.log") }, report.NonCompliant, "none"},
	} {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			f := base()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			c := findCheck(t, tc.rule)
			got := evaluate(f, testResource, nil)
			var r report.Result
			for _, x := range got {
				if x.RuleID == c.rule.ID {
					r = x
				}
			}
			if r.Status != tc.want || !strings.Contains(r.Message, tc.msg) {
				t.Errorf("status %s, message %q; want %s containing %q", r.Status, r.Message, tc.want, tc.msg)
			}
		})
	}
}

// TestBaseIsCompliant makes sure the table above starts from a passing server.
func TestBaseIsCompliant(t *testing.T) {
	for _, r := range evaluate(base(), testResource, nil) {
		if r.Status != report.Compliant && r.Status != report.NotApplicable {
			t.Errorf("%s = %s: %s", r.RuleID, r.Status, r.Message)
		}
	}
}

func TestIsAzure(t *testing.T) {
	for _, tc := range []struct {
		signals []string
		want    bool
	}{
		{nil, false},
		{[]string{SignalHost}, true},
		{[]string{SignalRoles}, false},
		{[]string{SignalRoles, SignalSettings}, true},
		{[]string{SignalCertPath, SignalFunctions}, true},
	} {
		if got := isAzure(tc.signals); got != tc.want {
			t.Errorf("isAzure(%v) = %v", tc.signals, got)
		}
	}
}
