// Package assess is the one way in to a scan, for `pgbaseline scan` and for
// the scheduled scans of `pgbaseline serve`: a Request names what to read
// (files and directories with their Terraform variables and deployment
// parameters, live Azure, PostgreSQL connections), how to judge it (the
// configuration file, users' policies and exemptions) and where the report
// goes, and Run reads every source, runs the scan engine (package scan)
// and returns the report and its exit code.
//
// It sits above the sources and the engine so that neither imports the
// other: the sources produce source.Inputs, the engine judges them.
package assess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/internal/dataplane"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/azure"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
	"github.com/pgbaseline/pgbaseline/policy"
	"github.com/pgbaseline/pgbaseline/report"
)

// Request is one scan.
type Request struct {
	// Paths are files and directories to read (recursively), each file
	// as what its content says it is.
	Paths []string
	// Sources holds the Terraform variables and var files and the ARM
	// deployment parameter files.
	Sources detect.Options
	// Azure, when set, reads live Azure.
	Azure *azure.Options
	// AzureTimeout, when above 0, bounds the reading of live Azure.
	AzureTimeout time.Duration
	// SaveSnapshot, with Azure, writes everything read to this file.
	SaveSnapshot string
	// Postgres are database connections to assess, at most
	// PostgresConcurrency at once (1 when below 1).
	Postgres            []dataplane.Options
	PostgresConcurrency int
	// Policies are files and directories of users' Azure Policy
	// definitions, initiatives, assignments and exemptions.
	Policies []string
	// Config is the configuration file's rules and attestations; nil for
	// none.
	Config *config.Config
	// Catalog is the baseline; nil loads the embedded one.
	Catalog *baseline.Catalog
	// ToolVersion is written into the report.
	ToolVersion string
	// Now is the evaluation time; zero means the time of the scan.
	Now time.Time
	// JSON, when set, receives the JSON report, written while the rules
	// run (large exports are then read one flexible server at a time);
	// the returned report has no results or resources. Without it the
	// report is returned whole.
	JSON io.Writer
	// FailOn is the lowest severity of a NonCompliant result that makes
	// the exit code 1 (critical, high, medium, low; "" is low; never).
	FailOn string
	// Note receives what the user should know that is not in the report's
	// errors: unresolved policy assignments and live Azure's notes. nil
	// drops them. The inputs' notes are in the report's notes.
	Note func(string)
	// Progress, when set, is told how the scan advances: the files read,
	// then the resources to assess and, for exports read one server at a
	// time (with JSON), each batch assessed. Calls may come from several
	// goroutines at once.
	Progress Progress
	// Skip, when set, names files a directory walk passes over (the
	// report being written inside the scanned tree); Note says so once
	// for each file skipped.
	Skip func(path string) bool
	// TuneGC lets a fleet scan, which holds one server at a time, use
	// Go's default collector target when GOGC is not set (the CLI's).
	TuneGC bool
}

// Progress receives a scan's progress (Request.Progress).
type Progress interface {
	// Stage is called as the scan begins a stage that reports no count
	// of its own: connecting to databases, reading the inputs.
	Stage(desc string)
	// Read is called as the inputs are listed: n more files seen.
	Read(n int)
	// Assessing is called once the inputs are read: how many flexible
	// servers (and database servers) and resources the scan assesses,
	// and whether Assessed will follow for each batch.
	Assessing(servers, resources int, batched bool)
	// Assessed is called as a fleet scan reads its servers: n more
	// resources read and assessed.
	Assessed(n int)
}

// Run performs the scan. It returns the report (without its results when
// they were streamed to r.JSON) and the exit code for r.FailOn. An error
// means no report could be made: a policy file or the catalog that cannot
// be read, live Azure that cannot be reached at all, or the report that
// cannot be written.
func Run(ctx context.Context, r *Request) (*report.Report, int, error) {
	note := r.Note
	if note == nil {
		note = func(string) {}
	}
	cat := r.Catalog
	if cat == nil {
		var err error
		if cat, err = baseline.Load(); err != nil {
			return nil, 0, err
		}
	}
	engine, err := scan.NewEngine(cat, r.Config)
	if err != nil {
		return nil, 0, err
	}
	if len(r.Policies) > 0 {
		coll, errs := policy.LoadFiles(r.Policies)
		if len(errs) > 0 {
			return nil, 0, errors.Join(errs...)
		}
		// An assignment of something not loaded (the benchmark initiative
		// itself, say) still applies its exemptions; the rest is used.
		if err := engine.UsePolicies(coll); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				note("warning: " + line)
			}
		}
	}
	var live []*source.Input
	if r.Azure != nil {
		if live, err = readAzure(ctx, r, note); err != nil {
			return nil, 0, err
		}
	}
	var dbInputs []*source.Input
	var dbResources []report.Resource
	var dbResults []report.Result
	if len(r.Postgres) > 0 {
		if r.Progress != nil {
			r.Progress.Stage(fmt.Sprintf("assessing %d database%s", len(r.Postgres), map[bool]string{true: "", false: "s"}[len(r.Postgres) == 1]))
		}
		dbInputs, dbResources, dbResults = dataplane.Inputs(dataplane.ScanMany(ctx, r.Postgres, r.PostgresConcurrency))
	}
	sources := r.Sources
	if sources.Terraform.Paths == nil {
		// Terraform root modules are decided from the scanned tree only.
		sources.Terraform.Paths = r.Paths
	}
	loader := detect.Loader(sources)
	if r.Skip != nil || r.Progress != nil {
		// The first directory reader sees every file of each directory:
		// it counts them, and consumes the skipped ones so that no other
		// reader reads them.
		loader.DirectoryReaders = append([]load.DirectoryReader{watchFiles(r, note)}, loader.DirectoryReaders...)
	}
	paths := r.Paths
	if r.Skip != nil {
		paths = slices.DeleteFunc(slices.Clone(paths), func(p string) bool {
			if r.Skip(p) {
				note(p + ": skipped: it is the report this scan writes")
				return true
			}
			return false
		})
	}
	if r.JSON != nil {
		// Large exports are listed, then read one server at a time while
		// the rules run (the engine reads them whole if need be).
		loader.LazyMin = load.DefaultLazyMin
	}
	if r.Progress != nil && len(paths) > 0 {
		r.Progress.Stage("reading inputs")
	}
	inputs := loader.Load(paths)
	if r.Progress != nil {
		inputs = watchAssessed(r.Progress, inputs, slices.Concat(live, dbInputs), dbResources)
	}
	if r.TuneGC && os.Getenv("GOGC") == "" && slices.ContainsFunc(inputs, func(in *source.Input) bool { return in.Lazy != nil }) {
		// A fleet scan holds one server at a time: Go's default collector
		// target costs little memory here and saves time.
		debug.SetGCPercent(100)
	}
	opts := scan.Options{ToolVersion: r.ToolVersion, Now: r.Now, Inputs: slices.Concat(inputs, live, dbInputs),
		Resources: dbResources, Results: dbResults}
	if r.JSON != nil {
		return engine.RunJSON(ctx, opts, r.JSON, r.FailOn)
	}
	rep, err := engine.Run(ctx, opts)
	if err != nil {
		return nil, 0, err
	}
	return rep, scan.ExitCode(rep, r.FailOn), nil
}

// readAzure reads live Azure, and writes the snapshot when asked.
func readAzure(ctx context.Context, r *Request, note func(string)) ([]*source.Input, error) {
	if r.AzureTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.AzureTimeout)
		defer cancel()
	}
	res, err := azure.Scan(ctx, *r.Azure)
	if err != nil {
		return nil, err // it says what failed ("azure scan: ...", "--cloud: ...")
	}
	for _, n := range res.Notes {
		note(n)
	}
	if r.SaveSnapshot != "" {
		out, err := os.Create(r.SaveSnapshot)
		if err != nil {
			return nil, fmt.Errorf("--save-snapshot: %w", err)
		}
		werr := azure.WriteSnapshot(out, res)
		if cerr := out.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("--save-snapshot %s: %w", r.SaveSnapshot, werr)
		}
	}
	return res.Inputs, nil
}

// watchFiles is a directory reader that reads nothing: it tells
// r.Progress how many files each directory holds and consumes the files
// r.Skip names, with a note.
func watchFiles(r *Request, note func(string)) load.DirectoryReader {
	return func(dir string, files []string) ([]*source.Input, []string) {
		if r.Progress != nil {
			r.Progress.Read(len(files))
		}
		var skipped []string
		if r.Skip != nil {
			for _, f := range files {
				if r.Skip(f) {
					note(f + ": skipped: it is the report this scan writes")
					skipped = append(skipped, f)
				}
			}
		}
		return nil, skipped
	}
}

// watchAssessed tells p what the scan is about to assess, and wraps the
// inputs read one server at a time so that each batch read is counted.
func watchAssessed(p Progress, inputs, others []*source.Input, dbResources []report.Resource) []*source.Input {
	servers, resources := 0, 0
	batched := false
	count := func(typ string) {
		resources++
		if strings.EqualFold(typ, flexServerType) || typ == "PostgreSQL" {
			servers++
		}
	}
	out := make([]*source.Input, len(inputs))
	for i, in := range slices.Concat(inputs, others) {
		if in.Lazy != nil {
			for _, e := range in.Lazy.Entries() {
				count(e.Type)
			}
			if i < len(inputs) {
				c := *in
				c.Lazy = watchedLazy{LazyResources: in.Lazy, p: p}
				out[i] = &c
				batched = true
			}
			continue
		}
		for _, res := range in.Resources {
			count(res.Type)
		}
		if i < len(inputs) {
			out[i] = in
		}
	}
	for _, res := range dbResources {
		count(res.Type)
	}
	p.Assessing(servers, resources, batched)
	return out
}

// flexServerType is the ARM type of a flexible server.
const flexServerType = "Microsoft.DBforPostgreSQL/flexibleServers"

// watchedLazy counts the resources read from a LazyResources.
type watchedLazy struct {
	source.LazyResources
	p Progress
}

func (w watchedLazy) NewReader() source.LazyReader {
	return watchedReader{r: w.LazyResources.NewReader(), p: w.p}
}

type watchedReader struct {
	r source.LazyReader
	p Progress
}

func (w watchedReader) Read(indexes []int) ([]*arm.Resource, error) {
	res, err := w.r.Read(indexes)
	w.p.Assessed(len(indexes))
	return res, err
}
