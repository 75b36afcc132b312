package main

import (
	"context"
	"time"

	"github.com/pgbaseline/pgbaseline/dataplane"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/source"
)

// postgresFlags are scan's database-connection flags.
type postgresFlags struct {
	dsns           []string
	probeTLS       bool
	entra          bool
	connectTimeout time.Duration
	concurrency    int
}

// scanDatabases assesses every --postgres target, at most concurrency at a
// time. Each target becomes an input (for the report's targets and errors);
// its results and resource are returned for the engine to add.
func scanDatabases(ctx context.Context, f postgresFlags) ([]*source.Input, []report.Resource, []report.Result) {
	if len(f.dsns) == 0 {
		return nil, nil, nil
	}
	tokens := dataplane.EntraTokens()
	targets := make([]dataplane.Options, len(f.dsns))
	for i, dsn := range f.dsns {
		targets[i] = dataplane.Options{DSN: dsn, ProbeTLS: f.probeTLS, Entra: f.entra,
			ConnectTimeout: f.connectTimeout, TokenProvider: tokens}
	}
	return dataplane.Inputs(dataplane.ScanMany(ctx, targets, f.concurrency))
}
