package dataplane

import (
	"context"
	"sync"

	azpolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// EntraTokens returns a token provider for Options.TokenProvider backed by
// azidentity's default Azure credential chain, which it creates on first
// use only (most scans never need a token).
func EntraTokens() func(ctx context.Context) (string, error) {
	var once sync.Once
	var cred *azidentity.DefaultAzureCredential
	var credErr error
	return func(ctx context.Context) (string, error) {
		once.Do(func() { cred, credErr = azidentity.NewDefaultAzureCredential(nil) })
		if credErr != nil {
			return "", credErr
		}
		tok, err := cred.GetToken(ctx, azpolicy.TokenRequestOptions{Scopes: []string{EntraScope}})
		if err != nil {
			return "", err
		}
		return tok.Token, nil
	}
}

// Inputs turns ScanMany's outcomes into what the scan engine takes: one
// input per target (for the report's targets, and an error naming the
// redacted DSN when the target could not be assessed), and the resources
// and results of those that could.
func Inputs(outcomes []Outcome) ([]*source.Input, []report.Resource, []report.Result) {
	var inputs []*source.Input
	var resources []report.Resource
	var results []report.Result
	for _, o := range outcomes {
		in := &source.Input{Kind: source.KindPostgres, Location: o.Target}
		if o.Err != nil {
			in.Errors = append(in.Errors, &source.Error{Msg: o.Err.Error()})
		} else {
			resources = append(resources, o.Assessment.Resource)
			results = append(results, o.Assessment.Results...)
		}
		inputs = append(inputs, in)
	}
	return inputs, resources, results
}
