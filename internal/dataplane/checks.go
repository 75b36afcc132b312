package dataplane

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/verdict"
)

// outcome is a check's verdict before it is dressed as a report.Result; a
// database check names no related resource.
type outcome = verdict.Outcome[struct{}]

func pass(msg string, ev map[string]any) outcome {
	return outcome{Status: report.Compliant, Message: msg, Evidence: ev}
}
func fail(msg string, ev map[string]any) outcome {
	return outcome{Status: report.NonCompliant, Message: msg, Evidence: ev}
}
func notApplicable(msg string) outcome { return outcome{Status: report.NotApplicable, Message: msg} }
func unknown(msg string, ev map[string]any) outcome {
	return outcome{Status: report.Unknown, Message: msg, Evidence: ev}
}

// check is one rule and the function that judges it from the facts.
type check struct {
	rule Rule
	// run judges the facts. It runs only when the role holds rule.Privilege,
	// or when fallback is set (the check then decides for itself).
	run      func(f *facts) outcome
	fallback bool
}

// ev is shorthand for an evidence map.
type ev = map[string]any

// onOff judges a boolean setting that must be on.
func onOff(name string) func(f *facts) outcome {
	return func(f *facts) outcome {
		v, ok := f.setting(name)
		if !ok {
			return unknown(name+" is not visible to this role", nil)
		}
		if v == "on" {
			return pass(name+" is on.", ev{name: v})
		}
		return fail(name+" is "+v+"; it should be on.", ev{name: v})
	}
}

// tlsRank orders protocol names; 0 for an unknown or empty name.
func tlsRank(v string) int {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "TLSV1", "TLSV1.0", "TLS 1.0":
		return 10
	case "TLSV1.1", "TLS 1.1":
		return 11
	case "TLSV1.2", "TLS 1.2":
		return 12
	case "TLSV1.3", "TLS 1.3":
		return 13
	}
	return 0
}

var checks = []check{
	// ---------------- DP-3 Data in Transit Encryption ----------------
	{rule: Rule{ID: "PGB-DB-DP-3-01", Title: "TLS is enabled on the server (ssl = on)", Control: "DP-3", Feature: featureDP3,
		Severity: report.High, CIS: "6.8", Privilege: PrivAnyLogin,
		Rationale: "Without ssl = on every client connection travels in clear text. Mapped to the seed's only DP-3 feature, Data in Transit Encryption, which is the server's TLS support.",
		Remediation: Remediation{Summary: "Install a server certificate and key, set ssl = on and reload.",
			SQL: "ALTER SYSTEM SET ssl = on;\nSELECT pg_reload_conf();"}},
		run: onOff("ssl")},
	{rule: Rule{ID: "PGB-DB-DP-3-02", Title: "The minimum TLS protocol version is TLS 1.2 or later", Control: "DP-3", Feature: featureDP3,
		Severity: report.High, CIS: "6.9", Privilege: PrivReadAllSettings,
		Rationale: "TLS 1.0 and 1.1 are deprecated (RFC 8996). ssl_min_protocol_version is hidden from roles without pg_read_all_settings; the --probe-tls handshakes answer the same question without privilege. Data in Transit Encryption is the DP-3 feature this setting configures.",
		Remediation: Remediation{Summary: "Set ssl_min_protocol_version to TLSv1.2 (or TLSv1.3) and leave ssl_max_protocol_version empty.",
			SQL: "ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2';\nALTER SYSTEM RESET ssl_max_protocol_version;\nSELECT pg_reload_conf();", AzureCLI: azParam("ssl_min_protocol_version", "TLSv1.2")}},
		run: checkMinTLS, fallback: true},
	{rule: Rule{ID: "PGB-DB-DP-3-03", Title: "Only forward-secret AEAD TLS cipher suites are enabled", Control: "DP-3", Feature: featureDP3,
		Severity: report.Medium, CIS: "6.10", Privilege: PrivReadAllSettings,
		Rationale: "CIS 6.10 limits ssl_ciphers to an allow-list of strong suites. This rule accepts explicitly listed ECDHE/DHE suites with GCM, CHACHA20 or CCM (and TLS 1.3 suites) and rejects broad classes such as HIGH or MEDIUM whose content depends on the OpenSSL build. With ssl_min_protocol_version TLSv1.3 the list (TLS 1.2 and older suites only) cannot weaken any connection, and the rule passes. Data in Transit Encryption is the DP-3 feature the cipher list configures.",
		Remediation: Remediation{Summary: "List only forward-secret AEAD suites in ssl_ciphers.",
			SQL: "ALTER SYSTEM SET ssl_ciphers = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';\nSELECT pg_reload_conf();"}},
		run: checkCiphers},
	{rule: Rule{ID: "PGB-DB-DP-3-04", Title: "The assessment's own connection is encrypted with TLS 1.2 or later", Control: "DP-3", Feature: featureDP3,
		Severity: report.Medium, CIS: "6.8", Privilege: PrivAnyLogin,
		Rationale: "The scanner's session is a client like any other: pg_stat_ssl shows what TLS the server negotiated, and the client side shows the certificate and the sslmode in force. Evidence for Data in Transit Encryption as clients experience it.",
		Remediation: Remediation{Summary: "Connect with sslmode=verify-full (the default for Azure hosts) and enable TLS on the server.",
			SQL: "-- On the server (self-hosted; Azure servers always offer TLS):\nALTER SYSTEM SET ssl = on;\nALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2';\nSELECT pg_reload_conf();\n-- On the client: sslmode=verify-full sslrootcert=<CA bundle>"}},
		run: checkSessionTLS},
	{rule: Rule{ID: "PGB-DB-DP-3-05", Title: "No client session is connected over TCP without TLS", Control: "DP-3", Feature: featureDP3,
		Severity: report.Medium, CIS: "6.8", Privilege: PrivReadAllStats,
		Rationale: "Other sessions' TLS state in pg_stat_ssl is visible only with pg_read_all_stats. A plaintext TCP session means Data in Transit Encryption is not enforced for every client.",
		Remediation: Remediation{Summary: "Require TLS (hostssl rules, or require_secure_transport = on on Azure) and reconnect the clients with sslmode=verify-full.",
			AzureCLI: azParam("require_secure_transport", "on"),
			SQL:      "-- Find the sessions still in plaintext, then reconnect those clients with sslmode=verify-full:\nSELECT a.pid, a.usename, a.application_name, a.client_addr\nFROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)\nWHERE NOT s.ssl AND a.client_addr IS NOT NULL;"}},
		run: checkNonTLSSessions},
	{rule: Rule{ID: "PGB-DB-DP-3-06", Title: "The server refuses plaintext connections", Control: "DP-3", Feature: featureDP3,
		Severity: report.High, CIS: "6.8", Privilege: PrivProbe,
		Rationale: "An sslmode=disable attempt with a wrong password shows whether the server would accept a plaintext login: an authentication challenge means plaintext is allowed; 'no encryption' means it is refused. The probe needs no privilege but logs a failed login, so it is opt-in. Direct evidence for Data in Transit Encryption.",
		Remediation: Remediation{Summary: "Self-hosted: replace host rules with hostssl (and add hostnossl ... reject). Azure: set require_secure_transport = on.",
			AzureCLI: azParam("require_secure_transport", "on")}},
		run: checkPlaintextProbe},
	{rule: Rule{ID: "PGB-DB-DP-3-07", Title: "The server refuses TLS 1.0 and TLS 1.1 handshakes", Control: "DP-3", Feature: featureDP3,
		Severity: report.High, CIS: "6.9", Privilege: PrivProbe,
		Rationale: "One handshake per protocol version, pinned on the client, shows the lowest version the server accepts, whatever the role may read. Opt-in because every attempt logs a failed login. Evidence for Data in Transit Encryption.",
		Remediation: Remediation{Summary: "Set ssl_min_protocol_version to TLSv1.2 or TLSv1.3.",
			SQL: "ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2';\nSELECT pg_reload_conf();", AzureCLI: azParam("ssl_min_protocol_version", "TLSv1.2")}},
		run: checkTLSProbe},
	{rule: Rule{ID: "PGB-DB-DP-3-08", Title: "require_secure_transport is on (Azure)", Control: "DP-3", Feature: featureDP3,
		Severity: report.High, CIS: "6.8", Privilege: PrivAnyLogin,
		Rationale:   "On a flexible server pg_hba.conf is managed by Azure; require_secure_transport is the switch that refuses non-TLS connections, and it is the data-plane view of Data in Transit Encryption.",
		Remediation: Remediation{Summary: "Set the server parameter require_secure_transport to on.", AzureCLI: azParam("require_secure_transport", "on")}},
		run: checkRequireSecureTransport},

	// ---------------- IM-1 Local Authentication Methods ----------------
	{rule: Rule{ID: "PGB-DB-IM-1-01", Title: "No reachable pg_hba.conf rule uses trust or password", Control: "IM-1", Feature: featureIM1,
		Severity: report.Critical, CIS: "5.3/5.4", Privilege: PrivReadHBA,
		Rationale: "trust logs in without any credential and password sends it in clear text. Rules are evaluated in first-match order, so a line that an earlier line always matches first is ignored. pg_hba.conf is the configuration of the server's local authentication methods, the IM-1 feature.",
		Remediation: Remediation{Summary: "Replace trust and password with scram-sha-256 (or peer for local connections), or remove the lines, then reload.",
			SQL: "-- edit pg_hba.conf, then:\nSELECT pg_reload_conf();"}},
		run: hbaCheck(func(r hbaReach) bool { return r.Rule.Method == "trust" || r.Rule.Method == "password" },
			"rule(s) use trust or password", "No reachable rule uses trust or password.")},
	{rule: Rule{ID: "PGB-DB-IM-1-02", Title: "No reachable pg_hba.conf rule uses md5 or ident", Control: "IM-1", Feature: featureIM1,
		Severity: report.Medium, CIS: "5.4", Privilege: PrivReadHBA,
		Rationale: "md5 hashes can be replayed from a stolen hash and ident over TCP trusts the client host. scram-sha-256 is the strong local method. Part of the server's local authentication methods (IM-1).",
		Remediation: Remediation{Summary: "Rehash passwords with password_encryption = scram-sha-256, switch md5 and ident lines to scram-sha-256, then reload.",
			SQL: "-- Hash new passwords with SCRAM, then make each md5 user set its password again.\nALTER SYSTEM SET password_encryption = 'scram-sha-256';\nSELECT pg_reload_conf();\n-- In pg_hba.conf, change the method of md5 and ident lines to scram-sha-256, then:\nSELECT pg_reload_conf();"}},
		run: hbaCheck(func(r hbaReach) bool { return r.Rule.Method == "md5" || r.Rule.Method == "ident" },
			"rule(s) use md5 or ident", "No reachable rule uses md5 or ident.")},
	{rule: Rule{ID: "PGB-DB-IM-1-03", Title: "pg_hba.conf accepts TCP logins only over TLS", Control: "IM-1", Feature: featureIM1,
		Severity: report.High, CIS: "6.8", Privilege: PrivReadHBA,
		Rationale: "A host or hostnossl line that is not reject lets a client authenticate without TLS, exposing the credential exchange; hostssl should be used instead. Kept with IM-1 because it is a property of the authentication rules; DP-3-06 probes the same from the network.",
		Remediation: Remediation{Summary: "Use hostssl instead of host, and put `hostnossl all all 0.0.0.0/0 reject` and `hostnossl all all ::/0 reject` first.",
			SQL: "-- pg_hba.conf, first lines:\n--   hostnossl all all 0.0.0.0/0 reject\n--   hostnossl all all ::/0      reject\n-- and hostssl instead of host on the remaining TCP lines; then:\nSELECT pg_reload_conf();"}},
		run: hbaCheck(func(r hbaReach) bool { return r.Classes&classPlain != 0 && r.Rule.Method != "reject" },
			"rule(s) accept TCP connections without TLS", "Every reachable TCP rule requires TLS or rejects.")},
	{rule: Rule{ID: "PGB-DB-IM-1-04", Title: "New passwords are hashed with SCRAM-SHA-256", Control: "IM-1", Feature: featureIM1,
		Severity: report.Medium, CIS: "5.4", Privilege: PrivAnyLogin,
		Rationale: "password_encryption decides how a new or changed password is stored; md5 hashes are weak and replayable. CIS has no dedicated recommendation; 5.4's host authentication guidance uses scram-sha-256. A property of the local password method (IM-1).",
		Remediation: Remediation{Summary: "Set password_encryption to scram-sha-256, then reset every password.",
			SQL: "ALTER SYSTEM SET password_encryption = 'scram-sha-256';\nSELECT pg_reload_conf();", AzureCLI: azParam("password_encryption", "scram-sha-256")}},
		run: func(f *facts) outcome {
			v, ok := f.setting("password_encryption")
			if !ok {
				return unknown("password_encryption is not visible to this role", nil)
			}
			if v == "scram-sha-256" {
				return pass("password_encryption is scram-sha-256.", ev{"password_encryption": v})
			}
			return fail("password_encryption is "+v+"; it should be scram-sha-256.", ev{"password_encryption": v})
		}},
	{rule: Rule{ID: "PGB-DB-IM-1-05", Title: "No login role still has an MD5 password hash", Control: "IM-1", Feature: featureIM1,
		Severity: report.Medium, CIS: "5.4", Privilege: PrivSuperuser,
		Rationale: "Changing password_encryption does not rehash stored passwords. pg_authid, the only place the hash type is visible, is readable by superusers only. A property of the local password method (IM-1).",
		Remediation: Remediation{Summary: "With password_encryption = scram-sha-256, set each listed role's password again.",
			SQL: "SET password_encryption = 'scram-sha-256';\n\\password <role>"}},
		run: checkMD5Hashes},
	{rule: Rule{ID: "PGB-DB-IM-1-06", Title: "Logins use Microsoft Entra principals rather than local password roles (Azure)", Control: "IM-1", Feature: featureIM1,
		Severity: report.Medium, CIS: "5.4", Privilege: PrivAnyLogin,
		Rationale: "The seed advises avoiding local authentication and using Microsoft Entra ID. Entra principals carry a pgaadauth security label; any other login role is a local password role. At most the provisioning administrator should remain local.",
		Remediation: Remediation{Summary: "Enable Microsoft Entra authentication, create Entra principals with pgaadauth_create_principal, and drop local password roles (or disable password authentication).",
			AzureCLI: "az resource update --ids <server resource id> --set properties.authConfig.activeDirectoryAuth=Enabled properties.authConfig.passwordAuth=Disabled"}},
		run: checkEntra},

	// ---------------- PA-1 Local Admin Accounts ----------------
	{rule: Rule{ID: "PGB-DB-PA-1-01", Title: "Only the bootstrap superuser exists (none for customers on Azure)", Control: "PA-1", Feature: featurePA1,
		Severity: report.High, CIS: "4.3", Privilege: PrivAnyLogin,
		Rationale: "Every superuser bypasses all permission checks. Self-hosted clusters need exactly the bootstrap superuser; on Azure only Microsoft's azuresu is a superuser. Superusers are the local administrative accounts of PA-1.",
		Remediation: Remediation{Summary: "Remove SUPERUSER from every other role and grant predefined roles instead.",
			SQL: "ALTER ROLE <role> NOSUPERUSER;"}},
		run: checkSuperusers},
	{rule: Rule{ID: "PGB-DB-PA-1-02", Title: "At most one local administrator is a member of azure_pg_admin (Azure)", Control: "PA-1", Feature: featurePA1,
		Severity: report.Medium, CIS: "4.3", Privilege: PrivAnyLogin,
		Rationale: "azure_pg_admin is the flexible server's pseudo-superuser role. Besides the provisioning administrator its members should be Microsoft Entra principals, so that administrative access stays centrally managed. These are PA-1's local admin accounts on Azure.",
		Remediation: Remediation{Summary: "Revoke azure_pg_admin from local password roles and make Entra principals the administrators.",
			SQL: "REVOKE azure_pg_admin FROM <role>;"}},
		run: checkAzureAdmins},
	{rule: Rule{ID: "PGB-DB-PA-1-03", Title: "No non-superuser role holds CREATEROLE or BYPASSRLS, and REPLICATION roles are dedicated", Control: "PA-1", Feature: featurePA1,
		Severity: report.Medium, CIS: "4.3", Privilege: PrivAnyLogin,
		Rationale: "CREATEROLE can grant itself almost anything, BYPASSRLS ignores row-level security, and a replication role can read every row; roles holding them are administrative accounts (PA-1). A replication-only role is what CIS 7.1 recommends. On Azure the administrator's CREATEROLE and REPLICATION are by design and allowed.",
		Remediation: Remediation{Summary: "Remove the attribute from each listed role.",
			SQL: "ALTER ROLE <role> NOCREATEROLE NOBYPASSRLS;"}},
		run: checkRoleAttributes},
	{rule: Rule{ID: "PGB-DB-PA-1-04", Title: "Local login roles have an expiring password", Control: "PA-1", Feature: featurePA1,
		Severity: report.Low, CIS: "4.4", Privilege: PrivAnyLogin,
		Rationale: "A login role whose password never expires (VALID UNTIL unset or infinity) keeps a standing credential. Microsoft Entra principals are excluded (their tokens expire). Mapped to PA-1 because these are local accounts, which the seed advises to avoid.",
		Remediation: Remediation{Summary: "Set VALID UNTIL on each listed login role, or replace it with a Microsoft Entra principal.",
			SQL: "ALTER ROLE <role> VALID UNTIL '<date>';"}},
		run: checkPasswordExpiry},

	// ---------------- PA-7 least privilege ----------------
	{rule: Rule{ID: "PGB-DB-PA-7-01", Title: "PUBLIC cannot create objects in schema public or in any database", Control: "PA-7", Feature: featurePA7,
		Severity: report.Medium, CIS: "4.6", Privilege: PrivAnyLogin,
		Rationale: "CREATE for PUBLIC on schema public lets any role plant functions and operators that others resolve through search_path (CVE-2018-1058). No dedicated CIS recommendation; closest is 4.6 (excessive privileges). Azure RBAC for data plane is not supported (seed), so least privilege inside the database is enforced by PostgreSQL grants; this is PA-7's only feature.",
		Remediation: Remediation{Summary: "Revoke CREATE from PUBLIC on schema public and on each listed database.",
			SQL: "REVOKE CREATE ON SCHEMA public FROM PUBLIC;\nREVOKE CREATE ON DATABASE <db> FROM PUBLIC;"}},
		run: checkPublicCreate},
	{rule: Rule{ID: "PGB-DB-PA-7-02", Title: "SECURITY DEFINER functions are owned by unprivileged roles, not executable by PUBLIC, and pin search_path", Control: "PA-7", Feature: featurePA7,
		Severity: report.Medium, CIS: "4.5", Privilege: PrivAnyLogin,
		Rationale: "A SECURITY DEFINER function runs with its owner's rights; owned by a superuser, executable by PUBLIC or without a pinned search_path it is a privilege-escalation path. Least privilege inside the database (PA-7; Azure RBAC does not reach the data plane).",
		Remediation: Remediation{Summary: "For each listed function: change the owner to a minimal role, revoke EXECUTE from PUBLIC and pin search_path.",
			SQL: "ALTER FUNCTION <schema>.<fn>(<args>) OWNER TO <role>;\nREVOKE EXECUTE ON FUNCTION <schema>.<fn>(<args>) FROM PUBLIC;\nALTER FUNCTION <schema>.<fn>(<args>) SET search_path = pg_catalog, pg_temp;"}},
		run: checkSecurityDefiner},
	{rule: Rule{ID: "PGB-DB-PA-7-03", Title: "No untrusted procedural language is installed", Control: "PA-7", Feature: featurePA7,
		Severity: report.High, CIS: "4.5", Privilege: PrivAnyLogin,
		Rationale: "Untrusted languages (plpython3u, plperlu, pltclu) run code as the server's OS user. Only trusted languages keep database privileges meaningful (PA-7).",
		Remediation: Remediation{Summary: "Drop the untrusted language (its extension) unless it is required and restricted to superusers.",
			SQL: "DROP EXTENSION <language>;"}},
		run: checkLanguages},
	{rule: Rule{ID: "PGB-DB-PA-7-04", Title: "No extension that reaches files, the network or other servers is installed", Control: "PA-7", Feature: featurePA7,
		Severity: report.Medium, CIS: "1.2", Privilege: PrivAnyLogin,
		Rationale: "adminpack, file_fdw, dblink, postgres_fdw, pageinspect, pg_cron, lo, azure_storage and azure_ai extend what a granted role can do beyond the database. CIS 1.2 asks to install only what is required. Least functionality is part of least privilege (PA-7).",
		Remediation: Remediation{Summary: "Drop each listed extension that is not required; on Azure also remove it from azure.extensions.",
			SQL: "DROP EXTENSION <extension>;", AzureCLI: azParam("azure.extensions", "<required extensions only>")}},
		run: checkExtensions},
	{rule: Rule{ID: "PGB-DB-PA-7-05", Title: "No role is a member of a high-risk predefined role", Control: "PA-7", Feature: featurePA7,
		Severity: report.High, CIS: "4.9", Privilege: PrivAnyLogin,
		Rationale: "pg_read_server_files, pg_write_server_files and pg_execute_server_program reach the OS; pg_read_all_data, pg_write_all_data and pg_signal_backend bypass per-object grants. Membership, direct or inherited, should be exceptional (PA-7).",
		Remediation: Remediation{Summary: "Revoke the predefined role from each listed member.",
			SQL: "REVOKE <predefined role> FROM <role>;"}},
		run: checkMemberships},

	// ---------------- LT-4 logging ----------------
	{rule: Rule{ID: "PGB-DB-LT-4-01", Title: "Connections are logged (log_connections = on)", Control: "LT-4", Feature: featureLT4,
		Severity: report.Medium, CIS: "3.1.20", Privilege: PrivAnyLogin,
		Rationale:   "Connection attempts are the first thing an investigation needs. The server log is what Azure ships as the PostgreSQLLogs resource log, the seed's LT-4 feature.",
		Remediation: Remediation{Summary: "Set log_connections to on.", SQL: "ALTER SYSTEM SET log_connections = on;\nSELECT pg_reload_conf();", AzureCLI: azParam("log_connections", "on")}},
		run: onOff("log_connections")},
	{rule: Rule{ID: "PGB-DB-LT-4-02", Title: "Disconnections are logged (log_disconnections = on)", Control: "LT-4", Feature: featureLT4,
		Severity: report.Medium, CIS: "3.1.21", Privilege: PrivAnyLogin,
		Rationale:   "Session end and duration complete the connection record in the server log (the PostgreSQLLogs resource log on Azure).",
		Remediation: Remediation{Summary: "Set log_disconnections to on.", SQL: "ALTER SYSTEM SET log_disconnections = on;\nSELECT pg_reload_conf();", AzureCLI: azParam("log_disconnections", "on")}},
		run: onOff("log_disconnections")},
	{rule: Rule{ID: "PGB-DB-LT-4-03", Title: "Checkpoints are logged (log_checkpoints = on)", Control: "LT-4", Feature: featureLT4,
		Severity: report.Low, CIS: "3.1", Privilege: PrivAnyLogin,
		Rationale:   "Checkpoint records help reconstruct server activity. CIS PostgreSQL has no dedicated item (section 3.1 covers logging); the CIS Azure Database Services benchmark asks for it. Resource-log content (LT-4).",
		Remediation: Remediation{Summary: "Set log_checkpoints to on.", SQL: "ALTER SYSTEM SET log_checkpoints = on;\nSELECT pg_reload_conf();", AzureCLI: azParam("log_checkpoints", "on")}},
		run: onOff("log_checkpoints")},
	{rule: Rule{ID: "PGB-DB-LT-4-04", Title: "log_line_prefix records time, process, user, database, application and client", Control: "LT-4", Feature: featureLT4,
		Severity: report.Low, CIS: "3.1.24", Privilege: PrivAnyLogin,
		Rationale: "Without these escapes a log line cannot be tied to who did what from where. Azure's default %t-%c- lacks user, database, application and client. Resource-log content (LT-4).",
		Remediation: Remediation{Summary: "Set log_line_prefix to include %m, %p, %u, %d, %a and %h.",
			SQL:      "ALTER SYSTEM SET log_line_prefix = '%m [%p]: user=%u,db=%d,app=%a,client=%h ';\nSELECT pg_reload_conf();",
			AzureCLI: azParam("log_line_prefix", "'%m [%p]: user=%u,db=%d,app=%a,client=%h '")}},
		run: checkLogLinePrefix},
	{rule: Rule{ID: "PGB-DB-LT-4-05", Title: "pgaudit is loaded and logs at least ddl and role statements", Control: "LT-4", Feature: featureLT4,
		Severity: report.Medium, CIS: "3.2", Privilege: PrivAnyLogin,
		Rationale: "pgaudit writes structured audit records (class, object, statement) to the server log; Microsoft recommends it over log_statement on Azure. pgaudit.* settings are visible to any role once the library is preloaded. Resource-log content (LT-4).",
		Remediation: Remediation{Summary: "Add pgaudit to shared_preload_libraries (restart), CREATE EXTENSION pgaudit, and set pgaudit.log to at least 'ddl,role' (pgdsat and CIS also suggest write).",
			SQL:      "ALTER SYSTEM SET shared_preload_libraries = 'pgaudit';\n-- restart, then:\nCREATE EXTENSION pgaudit;\nALTER SYSTEM SET pgaudit.log = 'ddl,role,write';\nSELECT pg_reload_conf();",
			AzureCLI: azParam("shared_preload_libraries", "pgaudit") + "\n" + azParam("pgaudit.log", "'ddl,role,write'")}},
		run: checkPgaudit},
	{rule: Rule{ID: "PGB-DB-LT-4-06", Title: "Statements are logged (log_statement is not none, or pgaudit logs ddl)", Control: "LT-4", Feature: featureLT4,
		Severity: report.Low, CIS: "3.1.25", Privilege: PrivAnyLogin,
		Rationale: "log_statement = ddl (at least) records schema and role changes. pgaudit logging ddl is accepted instead, since log_statement can write passwords of CREATE/ALTER ROLE in clear. Resource-log content (LT-4).",
		Remediation: Remediation{Summary: "Set log_statement to ddl, or configure pgaudit.log with ddl.",
			SQL: "ALTER SYSTEM SET log_statement = 'ddl';\nSELECT pg_reload_conf();", AzureCLI: azParam("log_statement", "ddl")}},
		run: checkLogStatement},
}

// ---------------- DP-3 ----------------

// tlsOff returns a NotApplicable outcome when the server has TLS off, which
// makes its TLS parameters moot (PGB-DB-DP-3-01 fails instead).
func tlsOff(f *facts) (outcome, bool) {
	if v, ok := f.setting("ssl"); ok && v == "off" {
		return notApplicable("TLS is off on the server (see PGB-DB-DP-3-01), so this parameter has no effect."), true
	}
	return outcome{}, false
}

func checkMinTLS(f *facts) outcome {
	if o, off := tlsOff(f); off {
		return o
	}
	if f.caps.Has(PrivReadAllSettings) {
		min, ok := f.setting("ssl_min_protocol_version")
		if !ok {
			return unknown("ssl_min_protocol_version is not visible to this role", nil)
		}
		max := f.settings["ssl_max_protocol_version"]
		e := ev{"ssl_min_protocol_version": min, "ssl_max_protocol_version": max}
		switch {
		case tlsRank(min) < 12:
			return fail("ssl_min_protocol_version is "+min+"; it should be TLSv1.2 or later.", e)
		case max != "" && tlsRank(max) < tlsRank(min):
			return fail("ssl_max_protocol_version ("+max+") is below ssl_min_protocol_version ("+min+").", e)
		}
		return pass("ssl_min_protocol_version is "+min+".", e)
	}
	if f.probes != nil && f.probes.Skipped == "" {
		if v, ok := f.probes.minAcceptedTLS(); ok {
			e := ev{"probe.minAcceptedTLS": v, "privilegeMissing": string(PrivReadAllSettings)}
			if tlsRank(v) < 12 {
				return fail("The server accepted a "+v+" handshake (probe); the minimum should be TLS 1.2.", e)
			}
			return pass("The lowest TLS version the server accepted in the probes is "+v+".", e)
		}
	}
	return unknown(notAssessable(f, PrivReadAllSettings)+" Run with --probe-tls to test the accepted versions without it.", nil)
}

// strongCipher accepts one explicit forward-secret AEAD cipher suite name.
func strongCipher(c string) bool {
	u := strings.ToUpper(c)
	if strings.HasPrefix(u, "TLS_") { // TLS 1.3 suites
		return strings.Contains(u, "GCM") || strings.Contains(u, "CHACHA20") || strings.Contains(u, "CCM")
	}
	fs := strings.HasPrefix(u, "ECDHE-") || strings.HasPrefix(u, "DHE-")
	aead := strings.Contains(u, "-GCM-") || strings.Contains(u, "CHACHA20") || strings.Contains(u, "-CCM")
	return fs && aead
}

func checkCiphers(f *facts) outcome {
	if o, off := tlsOff(f); off {
		return o
	}
	v, ok := f.setting("ssl_ciphers")
	if min, _ := f.setting("ssl_min_protocol_version"); strings.EqualFold(min, "TLSv1.3") {
		// ssl_ciphers lists TLS 1.2 and older suites only (TLS 1.3 suites
		// are fixed AEAD suites): with TLS 1.3 as the minimum it cannot
		// weaken a connection, whatever it says.
		e := ev{"ssl_min_protocol_version": min}
		if ok {
			e["ssl_ciphers"] = v
		}
		return pass("ssl_min_protocol_version is TLSv1.3, so ssl_ciphers (TLS 1.2 and older suites) cannot weaken any connection.", e)
	}
	if !ok {
		return unknown("ssl_ciphers is not visible to this role", nil)
	}
	weak := []string{}
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if tok == "" || strings.ContainsAny(tok[:1], "!-+@") {
			continue // exclusions, reordering and strength directives add nothing
		}
		if !strongCipher(tok) {
			weak = append(weak, tok)
		}
	}
	e := ev{"ssl_ciphers": v}
	if len(weak) > 0 {
		e["notAllowed"] = weak
		return fail(fmt.Sprintf("ssl_ciphers enables %s, which is not an explicit forward-secret AEAD suite.", strings.Join(weak, ", ")), e)
	}
	return pass("ssl_ciphers lists only forward-secret AEAD suites.", e)
}

func checkSessionTLS(f *facts) outcome {
	e := ev{"sslmode": f.sslMode, "sslmodeSource": f.sslSource}
	if f.ownTLS == nil {
		return unknown("pg_stat_ssl could not be read for this session.", e)
	}
	e["server.ssl"] = f.ownTLS.SSL
	if f.ownTLS.SSL {
		e["server.version"], e["server.cipher"], e["server.bits"] = f.ownTLS.Version, f.ownTLS.Cipher, f.ownTLS.Bits
	}
	if c := f.client; c != nil {
		e["client.version"], e["client.cipherSuite"] = c.Version, c.CipherSuite
		if c.Subject != "" {
			e["certificate.subject"], e["certificate.issuer"] = c.Subject, c.Issuer
			e["certificate.notAfter"] = c.NotAfter.UTC().Format("2006-01-02T15:04:05Z")
		}
	}
	verified := f.sslMode == "verify-full" || f.sslMode == "verify-ca"
	e["certificateVerified"] = verified
	if !f.ownTLS.SSL {
		if f.unixSocket {
			return notApplicable("The assessment connected over a unix socket, where TLS does not apply.")
		}
		return fail("The assessment's own connection is not encrypted (sslmode="+f.sslMode+").", e)
	}
	if tlsRank(f.ownTLS.Version) < 12 {
		return fail("The assessment's own connection negotiated "+f.ownTLS.Version+".", e)
	}
	msg := fmt.Sprintf("The assessment's connection uses %s with %s (sslmode=%s", f.ownTLS.Version, f.ownTLS.Cipher, f.sslMode)
	if !verified {
		msg += "; the server certificate was not verified"
	}
	return pass(msg+").", e)
}

func checkNonTLSSessions(f *facts) outcome {
	if f.nonTLS == nil {
		return unknown("pg_stat_ssl could not be read for other sessions.", nil)
	}
	e := ev{"nonTlsTcpSessions": f.nonTLS.NonTLS}
	if f.nonTLS.NonTLS > 0 {
		return fail(fmt.Sprintf("%d client session(s) are connected over TCP without TLS.", f.nonTLS.NonTLS), e)
	}
	return pass("Every other TCP client session uses TLS.", e)
}

func probesNotRun(f *facts) (outcome, bool) {
	if f.probes == nil {
		return notApplicable("Not run: the TLS protocol probes are opt-in (--probe-tls)."), true
	}
	if f.probes.Skipped != "" {
		return notApplicable("Not run: " + f.probes.Skipped + "."), true
	}
	return outcome{}, false
}

func checkPlaintextProbe(f *facts) outcome {
	if o, skip := probesNotRun(f); skip {
		return o
	}
	e := ev{"probe.plaintext": string(f.probes.Plaintext), "probe.serverAnswer": f.probes.PlainMsg}
	switch f.probes.Plaintext {
	case probeRefused:
		return pass("The server refused a plaintext connection: "+f.probes.PlainMsg+".", e)
	case probeAccepted:
		return fail("The server accepted a plaintext connection and went on to authentication: "+f.probes.PlainMsg+".", e)
	}
	return unknown("The plaintext probe was inconclusive (no answer from the server).", e)
}

func checkTLSProbe(f *facts) outcome {
	if o, skip := probesNotRun(f); skip {
		return o
	}
	e := ev{}
	for k, v := range f.probes.TLS {
		e["probe."+k] = string(v)
	}
	min, ok := f.probes.minAcceptedTLS()
	if !ok {
		if f.probes.TLS["TLS 1.2"] == probeFailed {
			return unknown("The TLS probes were inconclusive (no answer from the server).", e)
		}
		return fail("The server accepted no TLS handshake at all.", e)
	}
	e["probe.minAcceptedTLS"] = min
	if tlsRank(min) < 12 {
		return fail("The server accepted a "+min+" handshake.", e)
	}
	return pass("The server refused TLS 1.0 and 1.1; the lowest version accepted is "+min+".", e)
}

func checkRequireSecureTransport(f *facts) outcome {
	if !f.azure {
		return notApplicable("require_secure_transport exists only on Azure Database for PostgreSQL.")
	}
	v, ok := f.setting("require_secure_transport")
	if !ok {
		return unknown("require_secure_transport is not visible to this role.", nil)
	}
	if v == "on" {
		return pass("require_secure_transport is on.", ev{"require_secure_transport": v})
	}
	return fail("require_secure_transport is "+v+"; non-TLS connections are accepted.", ev{"require_secure_transport": v})
}

// ---------------- IM-1 ----------------

func hbaCheck(bad func(hbaReach) bool, failText, passText string) func(f *facts) outcome {
	return func(f *facts) outcome {
		if f.hba == nil {
			return unknown("pg_hba_file_rules could not be read.", nil)
		}
		found := hbaFindings(f.hba, bad)
		e := ev{"rulesEvaluated": len(f.hba)}
		if len(f.hbaError) > 0 {
			e["invalidLines"] = f.hbaError
		}
		if len(found) > 0 {
			e["rules"] = found
			return fail(fmt.Sprintf("%d reachable pg_hba.conf %s: %s.", len(found), failText, strings.Join(found, "; ")), e)
		}
		return pass(passText, e)
	}
}

func checkMD5Hashes(f *facts) outcome {
	if f.hashes == nil {
		return unknown("pg_authid could not be read.", nil)
	}
	md5 := []string{}
	for _, h := range f.hashes {
		if h.Hash == "md5" {
			md5 = append(md5, h.Role)
		}
	}
	if len(md5) > 0 {
		return fail("Login role(s) with an MD5 password hash: "+strings.Join(md5, ", ")+".", ev{"md5Roles": md5})
	}
	return pass("No login role has an MD5 password hash.", ev{"loginRoles": len(f.hashes)})
}

func localLoginRoles(f *facts) []string {
	return f.roleNames(func(r roleInfo) bool {
		_, entra := f.entraLabels[r.Name]
		return r.CanLogin && !entra && !isAzureSystemRole(r.Name)
	})
}

func checkEntra(f *facts) outcome {
	if !f.azure {
		return notApplicable("Microsoft Entra authentication applies to Azure Database for PostgreSQL only.")
	}
	if f.entraLabels == nil {
		return unknown("pg_shseclabel (pgaadauth labels) could not be read.", nil)
	}
	local := localLoginRoles(f)
	entra := make([]string, 0, len(f.entraLabels))
	for n := range f.entraLabels {
		entra = append(entra, n)
	}
	slices.Sort(entra)
	e := ev{"pgaadauth": f.pgaadauth, "entraPrincipals": entra, "localLoginRoles": local}
	if !f.pgaadauth {
		return fail("Microsoft Entra authentication is not enabled (pgaadauth is absent); every login is a local password role.", e)
	}
	if len(local) > 1 {
		return fail(fmt.Sprintf("%d local password login roles besides Entra principals: %s.", len(local), strings.Join(local, ", ")), e)
	}
	return pass(fmt.Sprintf("Microsoft Entra authentication is enabled with %d principal(s); %d local login role(s).", len(entra), len(local)), e)
}

// ---------------- PA-1 ----------------

func checkSuperusers(f *facts) outcome {
	if f.roles == nil {
		return unknown("pg_roles could not be read.", nil)
	}
	supers := f.roleNames(func(r roleInfo) bool { return r.Super })
	e := ev{"superusers": supers}
	if f.azure {
		customer := slices.DeleteFunc(slices.Clone(supers), func(n string) bool { return n == "azuresu" })
		if len(customer) > 0 {
			return fail("Superuser role(s) besides azuresu: "+strings.Join(customer, ", ")+".", e)
		}
		return pass("No customer role is a superuser.", e)
	}
	if len(supers) > 1 {
		return fail(fmt.Sprintf("%d superuser roles: %s; only the bootstrap superuser should remain.", len(supers), strings.Join(supers, ", ")), e)
	}
	return pass(fmt.Sprintf("Exactly %d superuser role: %s.", len(supers), strings.Join(supers, ", ")), e)
}

func checkAzureAdmins(f *facts) outcome {
	if !f.azure {
		return notApplicable("azure_pg_admin exists only on Azure Database for PostgreSQL.")
	}
	if f.roles == nil {
		return unknown("pg_roles could not be read.", nil)
	}
	members := f.roleNames(func(r roleInfo) bool { return r.AzureAdmin && !isAzureSystemRole(r.Name) })
	local := []string{}
	for _, m := range members {
		if _, entra := f.entraLabels[m]; !entra {
			local = append(local, m)
		}
	}
	e := ev{"azurePgAdminMembers": members, "localAdmins": local}
	if len(local) > 1 {
		return fail(fmt.Sprintf("%d local (non-Entra) members of azure_pg_admin: %s.", len(local), strings.Join(local, ", ")), e)
	}
	return pass(fmt.Sprintf("azure_pg_admin has %d member(s), %d of them local.", len(members), len(local)), e)
}

func checkRoleAttributes(f *facts) outcome {
	if f.roles == nil {
		return unknown("pg_roles could not be read.", nil)
	}
	flagged := []string{}
	for _, r := range f.roles {
		if r.Super || isAzureSystemRole(r.Name) || (f.azure && r.AzureAdmin) {
			continue
		}
		var attrs []string
		if r.CreateRole {
			attrs = append(attrs, "CREATEROLE")
		}
		if r.BypassRLS {
			attrs = append(attrs, "BYPASSRLS")
		}
		if r.Replication && (r.CreateRole || r.CreateDB || r.BypassRLS) {
			attrs = append(attrs, "REPLICATION (not a dedicated replication role)")
		}
		if len(attrs) > 0 {
			flagged = append(flagged, r.Name+" ("+strings.Join(attrs, ", ")+")")
		}
	}
	e := ev{"createrole": f.roleNames(func(r roleInfo) bool { return r.CreateRole && !r.Super }),
		"bypassrls":   f.roleNames(func(r roleInfo) bool { return r.BypassRLS && !r.Super }),
		"replication": f.roleNames(func(r roleInfo) bool { return r.Replication && !r.Super })}
	if len(flagged) > 0 {
		e["flagged"] = flagged
		return fail("Non-superuser role(s) with administrative attributes: "+strings.Join(flagged, "; ")+".", e)
	}
	return pass("No non-superuser role holds CREATEROLE or BYPASSRLS, and replication roles are dedicated.", e)
}

func checkPasswordExpiry(f *facts) outcome {
	if f.roles == nil {
		return unknown("pg_roles could not be read.", nil)
	}
	never := f.roleNames(func(r roleInfo) bool {
		_, entra := f.entraLabels[r.Name]
		return r.CanLogin && r.ValidUntil == "" && !entra && !isAzureSystemRole(r.Name)
	})
	e := ev{"neverExpire": never}
	if len(never) > 0 {
		return fail("Login role(s) whose password never expires: "+strings.Join(never, ", ")+".", e)
	}
	return pass("Every local login role has a password expiry date.", e)
}

// ---------------- PA-7 ----------------

func checkPublicCreate(f *facts) outcome {
	if f.publicSchema == nil && f.dbPrivs == nil {
		return unknown("pg_namespace and pg_database could not be read.", nil)
	}
	var found []string
	e := ev{"database": f.database}
	if s := f.publicSchema; s != nil {
		e["schemaPublic.owner"], e["schemaPublic.acl"] = s.Owner, s.ACL
		if s.PublicCreate {
			found = append(found, "CREATE on schema public (database "+f.database+")")
		}
	}
	dbs := []string{}
	for _, d := range f.dbPrivs {
		if d.PublicCreate {
			dbs = append(dbs, d.Name)
			found = append(found, "CREATE on database "+d.Name)
		}
	}
	e["databasesWithPublicCreate"] = dbs
	if len(found) > 0 {
		return fail("PUBLIC holds "+strings.Join(found, ", ")+".", e)
	}
	return pass("PUBLIC holds no CREATE privilege on schema public or on any database.", e)
}

func checkSecurityDefiner(f *facts) outcome {
	if f.secdef == nil {
		return unknown("pg_proc could not be read.", nil)
	}
	risky := []string{}
	for _, fn := range f.secdef {
		var why []string
		if fn.OwnerSuper {
			why = append(why, "owned by superuser "+fn.Owner)
		}
		if fn.PublicExecute {
			why = append(why, "PUBLIC can execute")
		}
		if !fn.PinsSearchPath {
			why = append(why, "search_path not pinned")
		}
		if len(why) > 0 {
			risky = append(risky, fmt.Sprintf("%s.%s(%s): %s", fn.Schema, fn.Name, fn.Args, strings.Join(why, ", ")))
		}
	}
	e := ev{"database": f.database, "securityDefinerFunctions": len(f.secdef)}
	if len(risky) > 0 {
		e["risky"] = risky
		return fail(fmt.Sprintf("%d SECURITY DEFINER function(s) are not locked down: %s.", len(risky), strings.Join(risky, "; ")), e)
	}
	return pass(fmt.Sprintf("%d SECURITY DEFINER function(s), all locked down.", len(f.secdef)), e)
}

func checkLanguages(f *facts) outcome {
	if f.languages == nil {
		return unknown("pg_language could not be read.", nil)
	}
	untrusted := []string{}
	all := []string{}
	for _, l := range f.languages {
		all = append(all, l.Name)
		if !l.Trusted {
			untrusted = append(untrusted, l.Name)
		}
	}
	e := ev{"database": f.database, "proceduralLanguages": all}
	if len(untrusted) > 0 {
		e["untrusted"] = untrusted
		return fail("Untrusted procedural language(s) installed: "+strings.Join(untrusted, ", ")+".", e)
	}
	return pass("Only trusted procedural languages are installed.", e)
}

// dangerousExtensions reach files, the network, other servers or raw pages.
var dangerousExtensions = map[string]string{
	"adminpack": "file write", "file_fdw": "file read", "dblink": "outbound connections",
	"postgres_fdw": "outbound connections", "plperlu": "untrusted language", "plpython3u": "untrusted language",
	"pltclu": "untrusted language", "pageinspect": "raw page access", "pg_cron": "scheduled jobs",
	"azure_storage": "data egress", "azure_ai": "data egress", "lo": "large-object helpers",
}

func checkExtensions(f *facts) outcome {
	if f.extensions == nil {
		return unknown("pg_extension could not be read.", nil)
	}
	installed, risky := []string{}, []string{}
	for _, x := range f.extensions {
		installed = append(installed, x.Name)
		if why, ok := dangerousExtensions[x.Name]; ok {
			risky = append(risky, x.Name+" ("+why+")")
		}
	}
	e := ev{"database": f.database, "extensions": installed}
	if v, ok := f.setting("azure.extensions"); ok {
		e["azure.extensions"] = v
	}
	if len(risky) > 0 {
		e["flagged"] = risky
		return fail("Extension(s) that reach beyond the database are installed: "+strings.Join(risky, ", ")+".", e)
	}
	return pass("No extension that reaches files, the network or other servers is installed.", e)
}

func checkMemberships(f *facts) outcome {
	if f.memberships == nil && f.errs["memberships"] != nil {
		return unknown("Role memberships could not be read.", nil)
	}
	found := []string{}
	for _, m := range f.memberships {
		if m.Role == "azure_pg_admin" {
			continue // judged by PGB-DB-PA-1-02
		}
		found = append(found, m.Member+" -> "+m.Role)
	}
	e := ev{"memberships": found}
	if len(found) > 0 {
		return fail("Role(s) hold high-risk predefined roles: "+strings.Join(found, ", ")+".", e)
	}
	return pass("No role is a member of a high-risk predefined role.", e)
}

// ---------------- LT-4 ----------------

// prefixRequirements are the log_line_prefix escapes CIS 3.1.24 asks for;
// each entry lists the escapes that satisfy it.
var prefixRequirements = []struct {
	what    string
	escapes []string
}{
	{"time", []string{"%m", "%t", "%n"}},
	{"process", []string{"%p", "%c"}},
	{"user", []string{"%u"}},
	{"database", []string{"%d"}},
	{"application", []string{"%a"}},
	{"client", []string{"%h", "%r"}},
}

func checkLogLinePrefix(f *facts) outcome {
	v, ok := f.setting("log_line_prefix")
	if !ok {
		return unknown("log_line_prefix is not visible to this role.", nil)
	}
	missing := []string{}
	for _, r := range prefixRequirements {
		if !slices.ContainsFunc(r.escapes, func(esc string) bool { return strings.Contains(v, esc) }) {
			missing = append(missing, r.what+" ("+strings.Join(r.escapes, "/")+")")
		}
	}
	e := ev{"log_line_prefix": v}
	if len(missing) > 0 {
		e["missing"] = missing
		return fail(fmt.Sprintf("log_line_prefix %q lacks %s.", v, strings.Join(missing, ", ")), e)
	}
	return pass(fmt.Sprintf("log_line_prefix %q records time, process, user, database, application and client.", v), e)
}

// pgauditClasses parses pgaudit.log into its enabled classes.
func pgauditClasses(v string) map[string]bool {
	out := map[string]bool{}
	for _, c := range strings.Split(strings.ToLower(v), ",") {
		c = strings.TrimSpace(c)
		switch {
		case c == "" || c == "none":
		case strings.HasPrefix(c, "-"):
			delete(out, strings.TrimPrefix(c, "-"))
		case c == "all":
			for _, k := range []string{"read", "write", "function", "role", "ddl", "misc", "misc_set"} {
				out[k] = true
			}
		default:
			out[c] = true
		}
	}
	return out
}

func pgauditLoaded(f *facts) (string, bool) {
	v, ok := f.setting("pgaudit.log")
	return v, ok
}

func checkPgaudit(f *facts) outcome {
	v, loaded := pgauditLoaded(f)
	e := ev{"pgauditLoaded": loaded}
	if spl, ok := f.setting("shared_preload_libraries"); ok {
		e["shared_preload_libraries"] = spl
	}
	if !loaded {
		return fail("pgaudit is not loaded (no pgaudit.* settings; add it to shared_preload_libraries).", e)
	}
	e["pgaudit.log"] = v
	classes := pgauditClasses(v)
	missing := []string{}
	for _, c := range []string{"ddl", "role"} {
		if !classes[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fail(fmt.Sprintf("pgaudit is loaded but pgaudit.log %q does not include %s.", v, strings.Join(missing, ", ")), e)
	}
	return pass(fmt.Sprintf("pgaudit is loaded and pgaudit.log is %q.", v), e)
}

func checkLogStatement(f *facts) outcome {
	v, ok := f.setting("log_statement")
	if !ok {
		return unknown("log_statement is not visible to this role.", nil)
	}
	e := ev{"log_statement": v}
	if v != "none" {
		return pass("log_statement is "+v+".", e)
	}
	if a, loaded := pgauditLoaded(f); loaded && pgauditClasses(a)["ddl"] {
		e["pgaudit.log"] = a
		return pass("log_statement is none, but pgaudit logs ddl ("+a+").", e)
	}
	return fail("log_statement is none and pgaudit does not log ddl.", e)
}

// notAssessable is the message of a check the role lacks the privilege for.
func notAssessable(f *facts, p Privilege) string {
	return fmt.Sprintf("Not assessable: needs %s; role %q has %s.", p, f.caps.User, f.caps.Tier())
}
