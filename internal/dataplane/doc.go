// Package dataplane assesses a PostgreSQL server from inside the database,
// over a real connection, read-only and with least privilege.
//
// Scan connects with pgx (verify-full TLS by default for Azure hosts, a
// Microsoft Entra token where no password is given), makes the session
// read-only (default_transaction_read_only, every query in a READ ONLY
// transaction, a statement_timeout), probes the role's privileges first
// (any login role; pg_read_all_settings / pg_read_all_stats, which pg_monitor
// includes; superuser), detects Azure Database for PostgreSQL flexible
// server from several independent signals, and runs the data-plane checks of
// DP-3, IM-1, PA-1, PA-7 and LT-4. A check the role cannot run is Unknown and
// names the privilege it needs. The optional TLS probes (Options.ProbeTLS)
// answer DP-3 without any privilege.
//
// The rule metadata (Rules, RulesYAML) is also written to
// baseline/data/rules/dataplane.yaml; TestRulesYAML keeps the two identical.
// The reference queries are those of docs dataplane-checks.sql (Q00-Q17).
package dataplane
