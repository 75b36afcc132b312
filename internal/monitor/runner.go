package monitor

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pgbaseline/pgbaseline/internal/assess"
	"github.com/pgbaseline/pgbaseline/internal/dataplane"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/internal/source/azure"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/internal/source/terraform"
	"github.com/pgbaseline/pgbaseline/report"
)

// runTarget is the default ScanFunc: it scans a target as `pgbaseline
// scan` would (assess.Run), with the rules and attestations of the same
// configuration file. Live Azure that cannot be read fails the scan; a
// database that cannot be reached is an error entry in the report, as in
// the CLI.
func (m *Monitor) runTarget(ctx context.Context, t Target) (*report.Report, error) {
	req := &assess.Request{Paths: t.Paths, Catalog: m.cat, Config: m.cfg.Scan, ToolVersion: m.opts.toolVersion,
		Sources: detect.Options{
			Terraform: terraform.Options{Vars: t.Vars, VarFiles: t.VarFiles},
			ARM:       armtemplate.Options{ParamFiles: t.ParamFiles},
		},
		Note: func(n string) { m.log.Info("scan note", "target", t.Name, "note", n) }}
	if a := t.Azure; a != nil {
		req.Azure = &azure.Options{Subscriptions: a.Subscriptions, ResourceGroups: a.ResourceGroups,
			Tenant: a.Tenant, Cloud: a.Cloud, ARMEndpoint: a.ARMEndpoint}
	}
	if p := t.Postgres; p != nil {
		dsn, err := p.ResolveDSN()
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		req.Postgres = []dataplane.Options{{DSN: dsn, ProbeTLS: p.ProbeTLS, Entra: p.Entra, TokenProvider: dataplane.EntraTokens()}}
		req.PostgresConcurrency = 1
	}
	rep, _, err := assess.Run(ctx, req)
	return rep, err
}

func decodeArgs(b []byte, v any) error { return json.Unmarshal(b, v) }
