package monitor

import (
	"time"

	"github.com/pgbaseline/pgbaseline/internal/serveconfig"
)

// The serve configuration is package serveconfig's model; these names are
// kept so that monitor's callers need not change.

// ServeConfig is the `pgbaseline serve` configuration (serveconfig.Config).
type ServeConfig = serveconfig.Config

// Target, AzureTarget, PostgresTarget, Webhook, Token and Limits are the
// configuration's parts (see serveconfig).
type (
	Target         = serveconfig.Target
	AzureTarget    = serveconfig.AzureTarget
	PostgresTarget = serveconfig.PostgresTarget
	Webhook        = serveconfig.Webhook
	Token          = serveconfig.Token
	Limits         = serveconfig.Limits
)

// Schedule says when a target is scanned (serveconfig.Schedule).
type Schedule = serveconfig.Schedule

// The configuration's constants (see serveconfig).
const (
	DefaultListen   = serveconfig.DefaultListen
	DefaultDatabase = serveconfig.DefaultDatabase
	EventRegression = serveconfig.EventRegression
	RoleAdmin       = serveconfig.RoleAdmin
	RoleReader      = serveconfig.RoleReader
	MinInterval     = serveconfig.MinInterval
)

// LoadConfig is serveconfig.Load.
func LoadConfig(file string) (*ServeConfig, error) { return serveconfig.Load(file) }

// ParseConfig is serveconfig.Parse.
func ParseConfig(file string, data []byte) (*ServeConfig, error) {
	return serveconfig.Parse(file, data)
}

// ParseSchedule is serveconfig.ParseSchedule.
func ParseSchedule(s string) (Schedule, error) { return serveconfig.ParseSchedule(s) }

// ParseRetention is serveconfig.ParseRetention.
func ParseRetention(s string) (time.Duration, error) { return serveconfig.ParseRetention(s) }
