package dataplane

// Privilege is what a check needs from the connecting role.
type Privilege string

// The privilege tiers, lowest first.
const (
	// PrivAnyLogin is any role that can log in.
	PrivAnyLogin Privilege = "any login role"
	// PrivReadAllSettings is membership of pg_read_all_settings (pg_monitor includes it).
	PrivReadAllSettings Privilege = "pg_read_all_settings (or pg_monitor)"
	// PrivReadAllStats is membership of pg_read_all_stats (pg_monitor includes it).
	PrivReadAllStats Privilege = "pg_read_all_stats (or pg_monitor)"
	// PrivReadHBA is superuser, or SELECT on pg_hba_file_rules and EXECUTE on pg_hba_file_rules().
	PrivReadHBA Privilege = "superuser, or SELECT on pg_hba_file_rules and EXECUTE on pg_hba_file_rules()"
	// PrivSuperuser is superuser (SELECT on pg_authid).
	PrivSuperuser Privilege = "superuser (SELECT on pg_authid)"
	// PrivProbe is no privilege at all, but the opt-in network probes (--probe-tls).
	PrivProbe Privilege = "none; opt-in TLS probes (--probe-tls)"
)

// Capabilities is what the connecting role turned out to be allowed to
// read, from the capability probe (Q00) that runs before any check.
type Capabilities struct {
	User            string `json:"user"`
	Superuser       bool   `json:"superuser"`
	ReadAllSettings bool   `json:"readAllSettings"`
	ReadAllStats    bool   `json:"readAllStats"`
	ReadHBA         bool   `json:"readHba"`
	ReadAuthid      bool   `json:"readAuthid"`
}

// Has reports whether the role holds p. PrivProbe is held by every role:
// whether the probes ran is decided by Options.ProbeTLS.
func (c Capabilities) Has(p Privilege) bool {
	switch p {
	case PrivAnyLogin, PrivProbe, "":
		return true
	case PrivReadAllSettings:
		return c.Superuser || c.ReadAllSettings
	case PrivReadAllStats:
		return c.Superuser || c.ReadAllStats
	case PrivReadHBA:
		return c.Superuser || c.ReadHBA
	case PrivSuperuser:
		return c.Superuser || c.ReadAuthid
	}
	return false
}

// Tier names the role's highest tier, for the report.
func (c Capabilities) Tier() string {
	switch {
	case c.Superuser:
		return "superuser"
	case c.ReadAllSettings && c.ReadAllStats:
		return "pg_monitor"
	case c.ReadAllSettings:
		return "pg_read_all_settings"
	}
	return "login role"
}

const capabilityQuery = `
SELECT current_user::text,
       current_setting('server_version_num')::int,
       current_setting('server_version'),
       current_database()::text,
       r.rolsuper,
       pg_has_role(current_user, 'pg_read_all_settings', 'USAGE'),
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),
       has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT')
         AND has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE'),
       has_table_privilege('pg_catalog.pg_authid', 'SELECT'),
       current_setting('transaction_read_only') = 'on'
FROM pg_roles r WHERE r.rolname = current_user`
