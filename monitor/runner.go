package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	azpolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/pgbaseline/pgbaseline/dataplane"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/scan"
	"github.com/pgbaseline/pgbaseline/source"
	"github.com/pgbaseline/pgbaseline/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/source/azure"
	"github.com/pgbaseline/pgbaseline/source/detect"
	"github.com/pgbaseline/pgbaseline/source/terraform"
)

// runTarget is the default ScanFunc: it scans a target as `pgbaseline
// scan` would, with the rules and attestations of the same configuration
// file. Live Azure that cannot be read fails the scan; a database that
// cannot be reached is an error entry in the report, as in the CLI.
func (m *Monitor) runTarget(ctx context.Context, t Target) (*report.Report, error) {
	eng, err := scan.NewEngine(m.cat, m.cfg.Scan)
	if err != nil {
		return nil, err
	}
	opts := scan.Options{Paths: t.Paths, ToolVersion: m.opts.toolVersion,
		Loader: detect.Loader(detect.Options{
			Terraform: terraform.Options{Vars: t.Vars, VarFiles: t.VarFiles},
			ARM:       armtemplate.Options{ParamFiles: t.ParamFiles},
		})}
	if a := t.Azure; a != nil {
		res, err := azure.Scan(ctx, azure.Options{Subscriptions: a.Subscriptions, ResourceGroups: a.ResourceGroups,
			Tenant: a.Tenant, Cloud: a.Cloud, ARMEndpoint: a.ARMEndpoint})
		if err != nil {
			return nil, fmt.Errorf("azure: %w", err)
		}
		for _, n := range res.Notes {
			m.log.Info("azure note", "target", t.Name, "note", n)
		}
		opts.Inputs = append(opts.Inputs, res.Inputs...)
	}
	if p := t.Postgres; p != nil {
		dsn, err := p.resolveDSN()
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		o := dataplane.Options{DSN: dsn, ProbeTLS: p.ProbeTLS, Entra: p.Entra, TokenProvider: entraTokens()}
		for _, out := range dataplane.ScanMany(ctx, []dataplane.Options{o}, 1) {
			in := &source.Input{Kind: source.KindPostgres, Location: out.Target}
			if out.Err != nil {
				in.Errors = append(in.Errors, &source.Error{Msg: out.Err.Error()}) // names the redacted DSN
			} else {
				opts.Resources = append(opts.Resources, out.Assessment.Resource)
				opts.Results = append(opts.Results, out.Assessment.Results...)
			}
			opts.Inputs = append(opts.Inputs, in)
		}
	}
	rep, err := eng.Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	azure.MarkHidden(eng, rep) // rules that read what Azure refused to show give Error
	return rep, nil
}

// resolveDSN reads the DSN from its environment variable, file, or the
// configuration.
func (p *PostgresTarget) resolveDSN() (string, error) {
	switch {
	case p.DSNEnv != "":
		v := strings.TrimSpace(os.Getenv(p.DSNEnv))
		if v == "" {
			return "", fmt.Errorf("the environment variable %s (the DSN) is not set", p.DSNEnv)
		}
		return v, nil
	case p.DSNFile != "":
		b, err := os.ReadFile(p.DSNFile)
		if err != nil {
			return "", fmt.Errorf("postgres.dsnFile: %v", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("postgres.dsnFile %s is empty", p.DSNFile)
		}
		return v, nil
	}
	return p.DSN, nil
}

// entraTokens returns a Microsoft Entra token provider backed by the
// default Azure credential chain, created on first use.
func entraTokens() func(ctx context.Context) (string, error) {
	var once sync.Once
	var cred *azidentity.DefaultAzureCredential
	var credErr error
	return func(ctx context.Context) (string, error) {
		once.Do(func() { cred, credErr = azidentity.NewDefaultAzureCredential(nil) })
		if credErr != nil {
			return "", credErr
		}
		tok, err := cred.GetToken(ctx, azpolicy.TokenRequestOptions{Scopes: []string{dataplane.EntraScope}})
		if err != nil {
			return "", err
		}
		return tok.Token, nil
	}
}

func decodeArgs(b []byte, v any) error { return json.Unmarshal(b, v) }
