package dataplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EntraScope is the OAuth scope of a Microsoft Entra access token for Azure
// Database for PostgreSQL in the public cloud.
const EntraScope = "https://ossrdbms-aad.database.windows.net/.default"

// Defaults applied when Options leaves a duration at zero.
const (
	DefaultConnectTimeout   = 10 * time.Second
	DefaultStatementTimeout = 30 * time.Second
)

// Options says how to reach and assess one PostgreSQL server.
type Options struct {
	// DSN is a postgres:// URL or a libpq key=value string. The password comes
	// from the DSN, PGPASSWORD or ~/.pgpass, or from TokenProvider.
	DSN string
	// ProbeTLS turns on the active protocol probes: a plaintext connection
	// attempt and one TLS handshake per protocol version. They log failed
	// logins on the server, so they are opt-in.
	ProbeTLS bool
	// Entra forces a Microsoft Entra token as the password, even when the DSN
	// has one.
	Entra bool
	// ConnectTimeout bounds each connection attempt (DefaultConnectTimeout when 0).
	ConnectTimeout time.Duration
	// StatementTimeout bounds each query (DefaultStatementTimeout when 0).
	StatementTimeout time.Duration
	// TokenProvider returns a Microsoft Entra access token for EntraScope. It
	// is called for an Azure host without a password, or when Entra is set.
	TokenProvider func(ctx context.Context) (string, error)
	// ResourceID, when set, is reported as the result's resourceId (for
	// example the ARM id of the flexible server, when the caller knows it).
	ResourceID string
}

func (o Options) connectTimeout() time.Duration {
	if o.ConnectTimeout > 0 {
		return o.ConnectTimeout
	}
	return DefaultConnectTimeout
}

func (o Options) statementTimeout() time.Duration {
	if o.StatementTimeout > 0 {
		return o.StatementTimeout
	}
	return DefaultStatementTimeout
}

// azureHostSuffix ends the host name of every Azure Database for PostgreSQL
// flexible server (public and private DNS zones).
const azureHostSuffix = ".postgres.database.azure.com"

// AzureServerName returns the flexible server's name when host is an Azure
// Database for PostgreSQL host name (name.postgres.database.azure.com or
// name.private.postgres.database.azure.com).
func AzureServerName(host string) (string, bool) {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if !strings.HasSuffix(h, azureHostSuffix) {
		return "", false
	}
	name, _, _ := strings.Cut(h, ".")
	if name == "" {
		return "", false
	}
	return name, true
}

// connPlan is a parsed, hardened connection configuration.
type connPlan struct {
	cfg       *pgx.ConnConfig
	redacted  string // the DSN with the password removed
	sslMode   string // the sslmode in force
	sslSource string // "dsn", "PGSSLMODE", "default (Azure host)" or "default"
	azureHost bool
	entra     bool // the password is an Entra token
	secrets   []string
}

// ConfigError is a DSN that cannot be parsed or completed. Its message never
// holds a password.
type ConfigError struct {
	DSN string // redacted
	Msg string
}

// Error renders the redacted DSN and the problem.
func (e *ConfigError) Error() string { return fmt.Sprintf("postgres %s: %s", e.DSN, e.Msg) }

// plan parses o.DSN and hardens the configuration: verify-full TLS for Azure
// hosts without an explicit sslmode, an Entra token where needed, a read-only
// session and timeouts.
func plan(ctx context.Context, o Options) (*connPlan, error) {
	p := &connPlan{redacted: RedactDSN(o.DSN), secrets: dsnSecrets(o.DSN)}
	if pw := os.Getenv("PGPASSWORD"); pw != "" {
		p.secrets = append(p.secrets, pw)
	}
	if msg := URLPasswordProblem(o.DSN); msg != "" {
		return nil, &ConfigError{DSN: p.redacted, Msg: "cannot parse the DSN: " + msg}
	}
	dsn := o.DSN
	mode, explicit := dsnSetting(dsn, "sslmode")
	switch {
	case explicit:
		p.sslSource = "dsn"
	case os.Getenv("PGSSLMODE") != "":
		mode, p.sslSource = os.Getenv("PGSSLMODE"), "PGSSLMODE"
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, &ConfigError{DSN: p.redacted, Msg: "cannot parse the DSN: " + parseMessage(err, p.secrets)}
	}
	_, p.azureHost = AzureServerName(cfg.Host)
	if p.sslSource == "" {
		if p.azureHost {
			mode, p.sslSource = "verify-full", "default (Azure host)"
			dsn = withDSNSetting(dsn, "sslmode", mode)
			if cfg, err = pgx.ParseConfig(dsn); err != nil {
				return nil, &ConfigError{DSN: p.redacted, Msg: "cannot parse the DSN: " + parseMessage(err, p.secrets)}
			}
		} else {
			mode, p.sslSource = "prefer", "default"
		}
	}
	p.sslMode = mode
	if p.azureHost && (o.Entra || cfg.Password == "") || o.Entra {
		if o.TokenProvider == nil {
			if o.Entra {
				return nil, &ConfigError{DSN: p.redacted, Msg: "Microsoft Entra authentication was requested but no token provider is configured"}
			}
		} else {
			tok, err := o.TokenProvider(ctx)
			if err != nil {
				return nil, &ConfigError{DSN: p.redacted, Msg: "cannot get a Microsoft Entra token: " + scrub(err.Error(), p.secrets...)}
			}
			if tok == "" {
				return nil, &ConfigError{DSN: p.redacted, Msg: "the Microsoft Entra token provider returned an empty token"}
			}
			if cfg.TLSConfig == nil || len(cfg.Fallbacks) > 0 {
				return nil, &ConfigError{DSN: p.redacted, Msg: fmt.Sprintf("refusing to send a Microsoft Entra token with sslmode=%s: use sslmode=verify-full", mode)}
			}
			cfg.Password = tok
			p.entra = true
			p.secrets = append(p.secrets, tok)
		}
	}
	if cfg.Password != "" {
		p.secrets = append(p.secrets, cfg.Password)
	}
	cfg.ConnectTimeout = o.connectTimeout()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(o.statementTimeout().Milliseconds())
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "pgbaseline"
	}
	p.cfg = cfg
	return p, nil
}

// parseMessage renders a DSN parse error without the connection string.
func parseMessage(err error, secrets []string) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := errors.Unwrap(pe); inner != nil {
			return scrub(inner.Error(), secrets...)
		}
		return "invalid connection string"
	}
	return scrub(err.Error(), secrets...)
}
