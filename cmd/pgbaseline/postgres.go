package main

import (
	"context"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

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
	tokens := entraTokens()
	targets := make([]dataplane.Options, len(f.dsns))
	for i, dsn := range f.dsns {
		targets[i] = dataplane.Options{DSN: dsn, ProbeTLS: f.probeTLS, Entra: f.entra,
			ConnectTimeout: f.connectTimeout, TokenProvider: tokens}
	}
	var inputs []*source.Input
	var resources []report.Resource
	var results []report.Result
	for _, o := range dataplane.ScanMany(ctx, targets, f.concurrency) {
		in := &source.Input{Kind: source.KindPostgres, Location: o.Target}
		if o.Err != nil {
			in.Errors = append(in.Errors, &source.Error{Msg: o.Err.Error()}) // names the redacted DSN
		} else {
			resources = append(resources, o.Assessment.Resource)
			results = append(results, o.Assessment.Results...)
		}
		inputs = append(inputs, in)
	}
	return inputs, resources, results
}

// entraTokens returns a Microsoft Entra token provider backed by the default
// Azure credential chain, created on first use only (most scans never need
// it).
func entraTokens() func(ctx context.Context) (string, error) {
	var once sync.Once
	var cred *azidentity.DefaultAzureCredential
	var credErr error
	return func(ctx context.Context) (string, error) {
		once.Do(func() { cred, credErr = azidentity.NewDefaultAzureCredential(nil) })
		if credErr != nil {
			return "", credErr
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{dataplane.EntraScope}})
		if err != nil {
			return "", err
		}
		return tok.Token, nil
	}
}
