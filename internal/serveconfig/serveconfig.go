// Package serveconfig is the configuration model of `pgbaseline serve`: the
// keys listen, database, tokens, targets (with their schedules), webhooks,
// retention and limits of pgbaseline.yaml, read and checked by Load with
// errors that name the file and line. Package monitor runs the targets on
// their schedules and tells the webhooks; package serve takes the tokens
// and the HTTP limits as they are. Both import this package, so neither
// copies the other's types, and the command passes the configuration
// through without converting it field by field.
package serveconfig

import "time"

// The defaults of the scan heartbeat (Limits.Heartbeat and StaleAfter).
const (
	// DefaultHeartbeatInterval is how often a replica renews the heartbeat
	// of each scan it runs, and how often every replica looks for stale
	// scans.
	DefaultHeartbeatInterval = 10 * time.Second
	// DefaultStaleAfter is how old a running scan's heartbeat may grow
	// before the scan counts as abandoned (its replica was killed, or lost
	// the database) and is queued again: a killed replica's scan runs
	// again within DefaultStaleAfter + DefaultHeartbeatInterval.
	DefaultStaleAfter = 45 * time.Second
)

// Role is what a token may do.
type Role string

// The roles.
const (
	// RoleAdmin reads and triggers scans.
	RoleAdmin Role = "admin"
	// RoleReader only reads.
	RoleReader Role = "reader"
)

// Token is one accepted bearer token, as the configuration holds it: its
// name (shown in the audit log), its role, and the hex SHA-256 of the token
// (never the token itself).
type Token struct {
	Name   string `yaml:"name" json:"name"`
	Role   Role   `yaml:"role" json:"role"`
	SHA256 string `yaml:"sha256" json:"sha256"`
	// Line is the token's line in the configuration file; 0 when the
	// token was not read from a file.
	Line int `yaml:"-" json:"-"`
}

// Limits are the reliability limits of `limits:` in pgbaseline.yaml
// (docs/reliability.md). Zero fields take the defaults: package monitor's
// for the scan heartbeat, package serve's for the rest.
type Limits struct {
	// Heartbeat is how often a running scan renews its lease, and
	// StaleAfter how long after its last heartbeat another replica may
	// take it over (see monitor.WithHeartbeat).
	Heartbeat  time.Duration
	StaleAfter time.Duration
	// AuthFailures is how many failed authentications (API 401s and
	// dashboard sign-ins) one client address may make within AuthWindow
	// before it must wait.
	AuthFailures int
	// AuthWindow is the window AuthFailures are counted in.
	AuthWindow time.Duration
	// AuthBackoff is the first wait; each further lock-out of the same
	// address doubles it, up to AuthBackoffMax. A success resets it.
	AuthBackoff    time.Duration
	AuthBackoffMax time.Duration
	// AuthClients bounds how many client addresses are tracked at once
	// (the oldest are forgotten first).
	AuthClients int
	// HeavyRequests is how many heavy requests (a scan's report or a page
	// of its results, a diff) are answered at once; more wait up to
	// HeavyWait for a turn, then get 503 with Retry-After.
	HeavyRequests int
	HeavyWait     time.Duration
	// ResultsPage is the default page size of a scan's results, and
	// ResultsPageMax the largest a client may ask for.
	ResultsPage    int
	ResultsPageMax int
}
