// Package serveconfig is the configuration model that the two halves of
// `pgbaseline serve` share: the API's bearer tokens and their roles, and the
// reliability limits a deployment may change. Package monitor reads them
// from pgbaseline.yaml (monitor.ServeConfig) and uses the scan heartbeat;
// package serve takes the tokens and the HTTP limits as they are, so the
// command passes the configuration through without copying it field by
// field.
//
// The package holds types only; it imports nothing of the project.
package serveconfig

import "time"

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
