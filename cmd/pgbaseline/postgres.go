package main

import (
	"time"

	"github.com/pgbaseline/pgbaseline/internal/dataplane"
)

// postgresFlags are scan's database-connection flags.
type postgresFlags struct {
	dsns           []string
	probeTLS       bool
	entra          bool
	connectTimeout time.Duration
	concurrency    int
}

// targets are the --postgres connections to assess.
func (f postgresFlags) targets() []dataplane.Options {
	if len(f.dsns) == 0 {
		return nil
	}
	tokens := dataplane.EntraTokens()
	targets := make([]dataplane.Options, len(f.dsns))
	for i, dsn := range f.dsns {
		targets[i] = dataplane.Options{DSN: dsn, ProbeTLS: f.probeTLS, Entra: f.entra,
			ConnectTimeout: f.connectTimeout, TokenProvider: tokens}
	}
	return targets
}
