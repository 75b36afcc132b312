package dataplane

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// facts is everything the checks judge, read once from the server. Checks
// are pure functions of facts, so they are table-tested without a server.
type facts struct {
	caps          Capabilities
	version       int
	serverVersion string
	database      string
	readOnly      bool // the session's transactions are read-only
	azure         bool
	settings      map[string]string // visible pg_settings rows
	sslMode       string
	sslSource     string
	unixSocket    bool // connected over a unix socket
	client        *clientTLS

	ownTLS *ownTLS
	nonTLS *nonTLSSessions

	hba      []hbaRule
	hbaError []string

	hashes []roleHash

	roles       []roleInfo
	memberships []membership
	entraLabels map[string]string // role -> pgaadauth label
	pgaadauth   bool              // pgaadauth functions present

	publicSchema *schemaACL
	dbPrivs      []databasePriv
	secdef       []secdefFunc
	languages    []language
	extensions   []extension

	probes *probeResults

	// errs holds the error of each fact that could not be read, by fact name.
	errs map[string]error
}

type ownTLS struct {
	SSL     bool
	Version string
	Cipher  string
	Bits    int
}

type nonTLSSessions struct{ NonTLS, Unknown int }

type roleHash struct{ Role, Hash string }

type roleInfo struct {
	Name                                                string
	Super, CreateRole, CreateDB, Replication, BypassRLS bool
	CanLogin                                            bool
	ValidUntil                                          string // "" = never expires (NULL or infinity)
	AzureAdmin                                          bool   // member of azure_pg_admin
}

type membership struct{ Member, Role string }

type schemaACL struct {
	Owner        string
	ACL          string
	PublicCreate bool
	PublicUsage  bool
}

type databasePriv struct {
	Name               string
	PublicCreate, Temp bool
	PublicConnect      bool
}

type secdefFunc struct {
	Schema, Name, Args, Owner string
	OwnerSuper, PublicExecute bool
	PinsSearchPath            bool
}

type language struct {
	Name    string
	Trusted bool
}

type extension struct{ Name, Version, Schema string }

// gather reads every fact the role may read. A fact the role is not
// allowed to read is left nil; any error is kept in f.errs.
func gather(ctx context.Context, s *session, o Options) (*facts, error) {
	f := &facts{errs: map[string]error{}, sslMode: s.plan.sslMode, sslSource: s.plan.sslSource}
	err := s.queryRow(ctx, capabilityQuery, &f.caps.User, &f.version, &f.serverVersion, &f.database,
		&f.caps.Superuser, &f.caps.ReadAllSettings, &f.caps.ReadAllStats, &f.caps.ReadHBA, &f.caps.ReadAuthid, &f.readOnly)
	if err != nil {
		return nil, fmt.Errorf("capability probe: %s", scrub(err.Error(), s.plan.secrets...))
	}
	f.client = s.clientTLS()

	f.settings = map[string]string{}
	f.try("settings", s.query(ctx, `SELECT name, setting FROM pg_settings`, func(r pgx.Rows) error {
		var n, v string
		if err := r.Scan(&n, &v); err != nil {
			return err
		}
		f.settings[n] = v
		return nil
	}))

	// Custom (extension or Azure) parameters can be placeholders that
	// pg_settings does not list; current_setting(name, true) still sees them.
	for _, name := range customSettings {
		if _, ok := f.settings[name]; ok {
			continue
		}
		var v *string
		if err := s.queryRowArgs(ctx, `SELECT current_setting($1, true)`, []any{&v}, []any{name}); err == nil && v != nil {
			f.settings[name] = *v
		}
	}

	var o1 ownTLS
	if f.try("ownTLS", s.queryRow(ctx, `SELECT ssl, COALESCE(version,''), COALESCE(cipher,''), COALESCE(bits,0) FROM pg_stat_ssl WHERE pid = pg_backend_pid()`,
		&o1.SSL, &o1.Version, &o1.Cipher, &o1.Bits)) {
		f.ownTLS = &o1
	}
	if f.caps.Has(PrivReadAllStats) {
		var n nonTLSSessions
		if f.try("nonTLS", s.queryRow(ctx, `SELECT count(*) FILTER (WHERE s.ssl IS FALSE AND a.pid <> pg_backend_pid()),
			count(*) FILTER (WHERE s.ssl IS NULL)
			FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
			WHERE a.backend_type = 'client backend' AND a.client_addr IS NOT NULL`, &n.NonTLS, &n.Unknown)) {
			f.nonTLS = &n
		}
	}
	if f.caps.Has(PrivReadHBA) {
		f.readHBA(ctx, s)
	}
	if f.caps.Has(PrivSuperuser) {
		f.try("hashes", s.query(ctx, `SELECT rolname::text,
			CASE WHEN rolpassword IS NULL THEN 'none'
			     WHEN rolpassword LIKE 'md5%' THEN 'md5'
			     WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'
			     ELSE 'other' END
			FROM pg_authid WHERE rolcanlogin ORDER BY 1`, func(r pgx.Rows) error {
			var h roleHash
			if err := r.Scan(&h.Role, &h.Hash); err != nil {
				return err
			}
			f.hashes = append(f.hashes, h)
			return nil
		}))
		if f.hashes == nil && f.errs["hashes"] == nil {
			f.hashes = []roleHash{}
		}
	}
	f.readRoles(ctx, s)
	f.readObjects(ctx, s)
	return f, nil
}

// try records err under name and reports whether the fact was read.
func (f *facts) try(name string, err error) bool {
	if err != nil {
		f.errs[name] = err
		return false
	}
	return true
}

func (f *facts) readHBA(ctx context.Context, s *session) {
	f.hba = []hbaRule{}
	f.try("hba", s.query(ctx, `SELECT line_number, type, COALESCE(database, '{}'), COALESCE(user_name, '{}'),
		COALESCE(address, ''), COALESCE(netmask, ''), COALESCE(auth_method, ''), COALESCE(error, '')
		FROM pg_hba_file_rules ORDER BY line_number`, func(r pgx.Rows) error {
		var h hbaRule
		var errText string
		if err := r.Scan(&h.Line, &h.Type, &h.Databases, &h.Users, &h.Address, &h.Netmask, &h.Method, &errText); err != nil {
			return err
		}
		if errText != "" {
			f.hbaError = append(f.hbaError, fmt.Sprintf("line %d: %s", h.Line, errText))
			return nil
		}
		f.hba = append(f.hba, h)
		return nil
	}))
	if f.errs["hba"] != nil {
		f.hba = nil
	}
}

func (f *facts) readRoles(ctx context.Context, s *session) {
	f.try("roles", s.query(ctx, `SELECT r.rolname::text, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,
		r.rolbypassrls, r.rolcanlogin,
		CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN '' ELSE r.rolvaliduntil::text END,
		EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = 'azure_pg_admin' AND a.oid <> r.oid
		        AND NOT r.rolsuper AND pg_has_role(r.oid, a.oid, 'MEMBER'))
		FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1`, func(r pgx.Rows) error {
		var ri roleInfo
		if err := r.Scan(&ri.Name, &ri.Super, &ri.CreateRole, &ri.CreateDB, &ri.Replication, &ri.BypassRLS, &ri.CanLogin, &ri.ValidUntil, &ri.AzureAdmin); err != nil {
			return err
		}
		f.roles = append(f.roles, ri)
		return nil
	}))
	f.try("memberships", s.query(ctx, `SELECT r.rolname::text, p.rolname::text
		FROM pg_roles r
		JOIN pg_roles p ON p.rolname IN ('pg_read_server_files','pg_write_server_files','pg_execute_server_program',
		                                 'pg_read_all_data','pg_write_all_data','pg_signal_backend','azure_pg_admin')
		WHERE r.oid <> p.oid AND NOT r.rolsuper AND r.rolname !~ '^pg_' AND r.rolname <> 'azuresu'
		  AND pg_has_role(r.oid, p.oid, 'MEMBER')
		ORDER BY 1, 2`, func(r pgx.Rows) error {
		var m membership
		if err := r.Scan(&m.Member, &m.Role); err != nil {
			return err
		}
		f.memberships = append(f.memberships, m)
		return nil
	}))
	f.try("pgaadauth", s.queryRow(ctx, `SELECT to_regprocedure('pg_catalog.pgaadauth_list_principals(boolean)') IS NOT NULL
		OR EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgaadauth')`, &f.pgaadauth))
	labels := map[string]string{}
	if f.try("entraLabels", s.query(ctx, `SELECT r.rolname::text, s.label FROM pg_roles r
		JOIN pg_shseclabel s ON s.objoid = r.oid AND s.classoid = 'pg_authid'::regclass AND s.provider = 'pgaadauth'
		ORDER BY 1`, func(r pgx.Rows) error {
		var n, l string
		if err := r.Scan(&n, &l); err != nil {
			return err
		}
		labels[n] = l
		return nil
	})) {
		f.entraLabels = labels
	}
}

func (f *facts) readObjects(ctx context.Context, s *session) {
	var sc schemaACL
	var found bool
	if f.try("publicSchema", s.query(ctx, `SELECT pg_get_userbyid(n.nspowner)::text, COALESCE(n.nspacl::text, ''),
		has_schema_privilege('public', n.oid, 'CREATE'), has_schema_privilege('public', n.oid, 'USAGE')
		FROM pg_namespace n WHERE n.nspname = 'public'`, func(r pgx.Rows) error {
		found = true
		return r.Scan(&sc.Owner, &sc.ACL, &sc.PublicCreate, &sc.PublicUsage)
	})) && found {
		f.publicSchema = &sc
	}
	f.try("dbPrivs", s.query(ctx, `SELECT datname::text, has_database_privilege('public', oid, 'CREATE'),
		has_database_privilege('public', oid, 'TEMP'), has_database_privilege('public', oid, 'CONNECT')
		FROM pg_database WHERE datallowconn ORDER BY 1`, func(r pgx.Rows) error {
		var d databasePriv
		if err := r.Scan(&d.Name, &d.PublicCreate, &d.Temp, &d.PublicConnect); err != nil {
			return err
		}
		f.dbPrivs = append(f.dbPrivs, d)
		return nil
	}))
	f.secdef = []secdefFunc{}
	if !f.try("secdef", s.query(ctx, `SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid),
		o.rolname::text, o.rolsuper, has_function_privilege('public', p.oid, 'EXECUTE'),
		COALESCE(array_to_string(p.proconfig, ',') ~ 'search_path=', false)
		FROM pg_proc p
		JOIN pg_namespace n ON n.oid = p.pronamespace
		JOIN pg_roles o ON o.oid = p.proowner
		WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog','information_schema')
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d
		                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
		                    AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e')
		ORDER BY 1, 2`, func(r pgx.Rows) error {
		var fn secdefFunc
		if err := r.Scan(&fn.Schema, &fn.Name, &fn.Args, &fn.Owner, &fn.OwnerSuper, &fn.PublicExecute, &fn.PinsSearchPath); err != nil {
			return err
		}
		f.secdef = append(f.secdef, fn)
		return nil
	})) {
		f.secdef = nil
	}
	f.languages = []language{}
	if !f.try("languages", s.query(ctx, `SELECT lanname::text, lanpltrusted FROM pg_language WHERE lanispl ORDER BY 1`, func(r pgx.Rows) error {
		var l language
		if err := r.Scan(&l.Name, &l.Trusted); err != nil {
			return err
		}
		f.languages = append(f.languages, l)
		return nil
	})) {
		f.languages = nil
	}
	f.extensions = []extension{}
	if !f.try("extensions", s.query(ctx, `SELECT e.extname::text, e.extversion, n.nspname::text
		FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1`, func(r pgx.Rows) error {
		var e extension
		if err := r.Scan(&e.Name, &e.Version, &e.Schema); err != nil {
			return err
		}
		f.extensions = append(f.extensions, e)
		return nil
	})) {
		f.extensions = nil
	}
}

// customSettings are read with current_setting when pg_settings lacks them.
var customSettings = []string{"require_secure_transport", "azure.extensions", "azure.accepted_password_auth_method",
	"connection_throttle.enable", "logfiles.retention_days"} // not pgaudit.*: only the loaded library's rows prove it is loaded

// setting returns a visible pg_settings value.
func (f *facts) setting(name string) (string, bool) {
	v, ok := f.settings[name]
	return v, ok
}

// roleNames lists role names matching keep.
func (f *facts) roleNames(keep func(roleInfo) bool) []string {
	out := []string{}
	for _, r := range f.roles {
		if keep(r) {
			out = append(out, r.Name)
		}
	}
	return out
}

// isAzureSystemRole reports the roles Microsoft manages on a flexible server.
func isAzureSystemRole(name string) bool {
	return name == "azuresu" || name == "azure_pg_admin" || name == "replication" || strings.HasPrefix(name, "azure_")
}
