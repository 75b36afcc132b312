package scan

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
	"github.com/pgbaseline/pgbaseline/report"
)

// Options configures one scan.
type Options struct {
	// Paths are files and directories to read.
	Paths []string
	// Loader reads Paths; nil means load.Paths (ARM exports only).
	// detect.Loader reads every input kind.
	Loader *load.Loader
	// Inputs are inputs already read by other sources (live Azure, ...).
	Inputs []*source.Input
	// Results are verdicts made outside the engine (database checks):
	// finished (configuration, remediation) and ordered like every other.
	Results []report.Result
	// Resources are report entries for those results' resources.
	Resources []report.Resource
	// Now is the evaluation time; zero means time.Now().
	Now time.Time
	// ToolVersion is written into the report.
	ToolVersion string
}

// Run reads the inputs, evaluates the engine's rules and assembles the
// report. Input problems do not stop the scan: they are recorded in the
// report's errors, and every result obtained is kept.
func (e *Engine) Run(ctx context.Context, o Options) (*report.Report, error) {
	rep, _, err := e.run(ctx, o, nil, "")
	return rep, err
}

// RunJSON runs the scan as Run does and writes its JSON report to w while
// the rules run, in the same order and with the same results, so that a
// fleet's results are never all held in memory: the workers evaluate and
// encode consecutive slices of the report in parallel and the slices are
// written in order. The report's "finishedAt" member comes last (see
// report.JSONStream). Large exports read lazily (Loader.LazyMin) are read
// one flexible server at a time when no rule needs two at once.
//
// It returns the report without its results and resources (Summary,
// Controls and Errors are complete) and the exit code ExitCode would give
// the full report for failOn.
func (e *Engine) RunJSON(ctx context.Context, o Options, w io.Writer, failOn string) (*report.Report, int, error) {
	return e.run(ctx, o, w, failOn)
}

// run is every scan: the producers of the inputs' verdicts, the finish
// step and the consumer (collected when w is nil, else streamed to w).
func (e *Engine) run(ctx context.Context, o Options, w io.Writer, failOn string) (*report.Report, int, error) {
	started := time.Now().UTC()
	inputs, err := e.load(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	if w != nil && slices.ContainsFunc(inputs, func(in *source.Input) bool { return in.Lazy != nil }) {
		fp, err := e.planFleet(o, inputs, started)
		if err != nil {
			return nil, 0, err
		}
		if fp != nil {
			return e.complete(ctx, fp.rep, e.fleetProducer(fp), newFinishing(inputs, fp.now), w, failOn)
		}
	}
	p, err := e.prepareInputs(o, inputs, started)
	if err != nil {
		return nil, 0, err
	}
	fixed := append(p.extra, e.sourceVerdicts(p.inputs)...)
	items := e.reportOrder(p.set, fixed)
	return e.complete(ctx, p.rep, e.itemsProducer(items, fixed, e.newEvalEnv(p.set, p.now)), newFinishing(p.inputs, p.now), w, failOn)
}

// joinDatabaseResults puts the results of a database connection to an Azure
// flexible server under the ARM resource of the same server when the scan
// also read that server from the control plane, so that one server has one
// resource in the report. Servers are matched by name, case-insensitively;
// a name shared by several control-plane servers is left alone.
func joinDatabaseResults(set *arm.Set, resources []report.Resource, results []report.Result) ([]report.Resource, []report.Result) {
	byName := map[string]*arm.Resource{}
	ambiguous := map[string]bool{}
	for _, r := range set.OfType(flexserver.ServerType) {
		k := strings.ToLower(r.Name)
		if _, seen := byName[k]; seen {
			ambiguous[k] = true
		}
		byName[k] = r
	}
	joined := map[string]*arm.Resource{} // database resource id -> ARM resource
	var keep []report.Resource
	for _, dr := range resources {
		k := strings.ToLower(dr.Name)
		if strings.EqualFold(dr.Type, flexserver.ServerType) && byName[k] != nil && !ambiguous[k] {
			joined[dr.ID] = byName[k]
			continue
		}
		keep = append(keep, dr)
	}
	out := make([]report.Result, len(results))
	for i, r := range results {
		if srv := joined[r.ResourceID]; srv != nil {
			ev := make(map[string]any, len(r.Evidence)+1)
			for k, v := range r.Evidence {
				ev[k] = v
			}
			ev["connection"] = r.ResourceID
			r.Evidence = ev
			r.ResourceID, r.ResourceName = resourceID(srv), srv.Name
		}
		out[i] = r
	}
	return keep, out
}
