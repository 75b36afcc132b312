package scan

import (
	"context"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/flexserver"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/source"
)

// Options configures one scan.
type Options struct {
	// Paths are files and directories to read.
	Paths []string
	// Loader reads Paths; nil means LoadPaths (ARM exports only).
	// detect.Loader reads every input kind.
	Loader *Loader
	// Inputs are inputs already read by other sources (live Azure, ...).
	Inputs []*source.Input
	// Results are results obtained outside the engine (database checks),
	// added to the report as they are.
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
	p, err := e.prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	rep, set, now, inputs := p.rep, p.set, p.now, p.inputs
	rep.Results = append(e.Evaluate(set, now), p.extra...)
	rep.Results = append(rep.Results, e.sourceResults(inputs, now)...)
	e.sortResults(rep.Results)
	// Remediation is for results that need action; a fleet report of
	// compliant results would otherwise repeat each rule's fix text
	// thousands of times. The rule's fix stays in `pgbaseline rules ID`.
	for i := range rep.Results {
		if s := rep.Results[i].Status; s == report.Compliant || s == report.NotApplicable {
			rep.Results[i].Remediation = nil
		}
	}
	rep.Controls = Summarize(e, rep.Results)
	for _, r := range rep.Results {
		rep.Summary.Add(r.Status)
	}
	rep.FinishedAt = time.Now().UTC()
	return rep, nil
}

// Summarize rolls results up per control, in catalog order. A control's
// status is NonCompliant when any result is, else Error, Compliant, Exempt,
// Unknown and NotApplicable in that order of precedence (Azure's rollup,
// with errors surfaced).
func Summarize(e *Engine, results []report.Result) []report.ControlSummary {
	byControl := map[string]map[report.Status]int{}
	for _, r := range results {
		c := byControl[r.ControlID]
		if c == nil {
			c = report.NewCounts()
			byControl[r.ControlID] = c
		}
		c[r.Status]++
	}
	out := make([]report.ControlSummary, 0, len(e.Catalog.Controls))
	for _, c := range e.Catalog.Controls {
		counts := byControl[c.ID]
		if counts == nil {
			counts = report.NewCounts()
		}
		out = append(out, report.ControlSummary{ID: c.ID, Title: c.Title, Domain: c.Domain, Status: report.Rollup(counts), Counts: counts})
	}
	return out
}


// ExitCode is the scan's exit status: 2 when any input failed, else 1 when
// a NonCompliant result is at or above failOn (an empty failOn means low;
// "never" disables it), else 0.
func ExitCode(r *report.Report, failOn string) int {
	if len(r.Errors) > 0 {
		return 2
	}
	if failOn == "never" {
		return 0
	}
	min := report.Severity(failOn)
	if failOn == "" {
		min = report.Low
	}
	for _, res := range r.Results {
		if res.Status == report.NonCompliant && res.Severity.Rank() >= min.Rank() {
			return 1
		}
	}
	return 0
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
