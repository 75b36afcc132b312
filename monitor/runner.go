package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pgbaseline/pgbaseline/dataplane"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/scan"
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
		o := dataplane.Options{DSN: dsn, ProbeTLS: p.ProbeTLS, Entra: p.Entra, TokenProvider: dataplane.EntraTokens()}
		inputs, resources, results := dataplane.Inputs(dataplane.ScanMany(ctx, []dataplane.Options{o}, 1))
		opts.Inputs = append(opts.Inputs, inputs...)
		opts.Resources = append(opts.Resources, resources...)
		opts.Results = append(opts.Results, results...)
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

func decodeArgs(b []byte, v any) error { return json.Unmarshal(b, v) }
