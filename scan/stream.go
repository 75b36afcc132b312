package scan

import (
	"context"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/flexserver"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/source"
)

// prepared is what a scan has read and modelled before the rules run.
type prepared struct {
	rep    *report.Report // header, resources and errors; no results yet
	set    *arm.Set
	inputs []*source.Input
	extra  []report.Result // results obtained outside the engine
	now    time.Time
}

// prepare reads the inputs, builds and completes the resource model and
// the report's header, resources and errors.
func (e *Engine) prepare(ctx context.Context, o Options) (*prepared, error) {
	started := time.Now().UTC()
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	var inputs []*source.Input
	if o.Loader != nil {
		inputs = o.Loader.Load(o.Paths)
	} else {
		inputs = LoadPaths(o.Paths)
	}
	inputs = append(inputs, o.Inputs...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "pgbaseline", Version: o.ToolVersion},
		Benchmark: report.Benchmark{ID: e.Catalog.Benchmark.ID, Version: e.Catalog.Benchmark.Version,
			Baseline: e.Catalog.Benchmark.Baseline},
		StartedAt: started,
		Targets:   []report.Target{},
		Resources: []report.Resource{},
		Results:   []report.Result{},
		Errors:    []report.ErrorEntry{},
	}
	set := arm.NewSet()
	seenTarget := map[report.Target]bool{}
	for _, in := range inputs {
		t := report.Target{Kind: in.Kind, Location: in.Location}
		if !seenTarget[t] {
			seenTarget[t] = true
			rep.Targets = append(rep.Targets, t)
		}
		set.AddAll(in.Resources)
		for _, err := range in.Errors {
			rep.Errors = append(rep.Errors, report.ErrorEntry{Target: in.Location, File: err.File, Line: err.Line, Message: err.Error()})
		}
	}
	if err := flexserver.Complete(set); err != nil {
		return nil, err
	}
	rep.Resources = make([]report.Resource, 0, set.Len())
	for _, r := range set.All() {
		if r.Synthesized != "" {
			continue
		}
		rr := report.Resource{ID: resourceID(r), Type: r.Type, Name: r.Name}
		if r.Origin.File != "" {
			rr.Origin = &report.Origin{File: r.Origin.File, Line: r.Origin.Line}
		}
		rep.Resources = append(rep.Resources, rr)
	}
	extraRes, extraResults := joinDatabaseResults(set, o.Resources, o.Results)
	rep.Resources = append(rep.Resources, extraRes...)
	return &prepared{rep: rep, set: set, inputs: inputs, extra: extraResults, now: now}, nil
}

// RunJSON runs the scan as Run does and writes its JSON report to w while
// the rules run, in the same order and with the same results, so that a
// fleet's results are never all held in memory: the workers evaluate and
// encode consecutive slices of the report in parallel and the slices are
// written in order. The report's "finishedAt" member comes last (see
// report.JSONStream).
//
// It returns the report without its results (Results is empty; Summary,
// Controls and Errors are complete) and the exit code ExitCode would give
// the full report for failOn.
func (e *Engine) RunJSON(ctx context.Context, o Options, w io.Writer, failOn string) (*report.Report, int, error) {
	p, err := e.prepare(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	rep := p.rep
	fixed := append(p.extra, e.sourceResults(p.inputs, p.now)...)
	items := e.reportOrder(p.set, fixed)
	stream, err := report.BeginJSON(w, rep)
	if err != nil {
		return nil, 0, err
	}
	env := e.newEvalEnv(p.set, p.now)
	agg := newTally(e)
	err = e.encodeInOrder(ctx, items, fixed, env, agg, stream)
	if err != nil {
		return nil, 0, err
	}
	rep.Results = []report.Result{}
	rep.Controls = agg.controls(e)
	rep.Summary = agg.summary
	rep.FinishedAt = time.Now().UTC()
	if err := stream.End(rep); err != nil {
		return nil, 0, err
	}
	return rep, agg.exitCode(rep, failOn), nil
}

// item is one entry of the results array: a rule to evaluate on a resource,
// or (when fixed >= 0) a result obtained outside the engine.
type item struct {
	task  evalTask
	fixed int32
}

// ruleKey returns the control and rule id that a task's result will carry.
func (e *Engine) ruleKey(t evalTask) (controlID, ruleID string) {
	if t.cr != nil {
		return t.cr.rule.Control, t.cr.rule.ID
	}
	def := t.ev.Definition
	controlID = firstNonEmpty(t.ev.ControlID(), "custom")
	if c := e.Catalog.Control(controlID); c != nil && len(c.Features) > 0 {
		controlID = c.ID
	}
	return controlID, firstNonEmpty(t.ev.ReferenceID, def.Name)
}

// reportOrder lists the report's results in the order Run sorts them: by
// the control's rank, the rule id and the resource id, stably, with the
// rules' results before the fixed results on ties. It sorts each resource
// type once instead of every rule's results.
func (e *Engine) reportOrder(set *arm.Set, fixed []report.Result) []item {
	rank := e.controlRank()
	type run struct {
		rank      int
		ruleID    string
		first     evalTask // the rule; r is set per resource
		resources []*arm.Resource
	}
	sortedByType := map[string][]*arm.Resource{}
	ofType := func(t string) []*arm.Resource {
		key := arm.Normalize(t)
		if list, ok := sortedByType[key]; ok {
			return list
		}
		var list []*arm.Resource
		for _, r := range set.OfType(t) {
			if r.Synthesized == "" {
				list = append(list, r)
			}
		}
		slices.SortStableFunc(list, func(a, b *arm.Resource) int { return strings.Compare(resourceID(a), resourceID(b)) })
		sortedByType[key] = list
		return list
	}
	var runs []run
	add := func(t evalTask, types []string) {
		c, id := e.ruleKey(t)
		for _, typ := range types {
			runs = append(runs, run{rank: rank(c), ruleID: id, first: t, resources: ofType(typ)})
		}
	}
	for _, cr := range e.rules {
		add(evalTask{cr: cr}, cr.targets)
	}
	for _, ev := range e.extra {
		add(evalTask{ev: ev}, targetsOrAll(ev.Definition.TargetTypes(), set))
	}
	slices.SortStableFunc(runs, func(a, b run) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.ruleID, b.ruleID)
	})
	fixedOrder := make([]int32, len(fixed))
	for i := range fixedOrder {
		fixedOrder[i] = int32(i)
	}
	fixedKey := func(i int32) (int, string, string) {
		return rank(fixed[i].ControlID), fixed[i].RuleID, fixed[i].ResourceID
	}
	slices.SortStableFunc(fixedOrder, func(a, b int32) int {
		ra, ia, xa := fixedKey(a)
		rb, ib, xb := fixedKey(b)
		if ra != rb {
			return ra - rb
		}
		if c := strings.Compare(ia, ib); c != 0 {
			return c
		}
		return strings.Compare(xa, xb)
	})
	total := len(fixed)
	for _, r := range runs {
		total += len(r.resources)
	}
	out := make([]item, 0, total)
	nextFixed := 0
	// fixedBefore reports whether the n-th fixed result sorts before a
	// rule's result with the key (rank, rule, resource); on a tie the rule's
	// result comes first.
	fixedBefore := func(n int, rank int, ruleID, resID string) bool {
		fr, fi, fx := fixedKey(fixedOrder[n])
		return fr < rank || fr == rank && (fi < ruleID || fi == ruleID && fx < resID)
	}
	// flushFixed emits the fixed results that sort before (rank, rule,
	// resource), or all of them when all is set.
	flushFixed := func(rank int, ruleID, resID string, all bool) {
		for nextFixed < len(fixedOrder) {
			if !all && !fixedBefore(nextFixed, rank, ruleID, resID) {
				return
			}
			out = append(out, item{fixed: fixedOrder[nextFixed]})
			nextFixed++
		}
	}
	for i := 0; i < len(runs); {
		j := i + 1
		for j < len(runs) && runs[j].rank == runs[i].rank && runs[j].ruleID == runs[i].ruleID {
			j++
		}
		groupStart := len(out)
		for _, r := range runs[i:j] {
			for _, res := range r.resources {
				t := r.first
				t.r = res
				out = append(out, item{task: t, fixed: -1})
			}
		}
		group := out[groupStart:]
		if j-i > 1 {
			slices.SortStableFunc(group, func(a, b item) int {
				return strings.Compare(resourceID(a.task.r), resourceID(b.task.r))
			})
		}
		if len(group) > 0 && nextFixed < len(fixedOrder) && fixedBefore(nextFixed, runs[i].rank, runs[i].ruleID, resourceID(group[len(group)-1].task.r)) {
			// Interleave the fixed results that sort inside the group.
			group = slices.Clone(group)
			out = out[:groupStart]
			for _, it := range group {
				flushFixed(runs[i].rank, runs[i].ruleID, resourceID(it.task.r), false)
				out = append(out, it)
			}
		}
		i = j
	}
	flushFixed(0, "", "", true)
	return out
}

// controlRank returns the rank of a control id in the catalog's order;
// unknown ids rank last.
func (e *Engine) controlRank() func(string) int {
	order := make(map[string]int, len(e.Catalog.Controls))
	for i, c := range e.Catalog.Controls {
		order[c.ID] = i
	}
	return func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(order)
	}
}

// tally counts results by control and status as they are written.
type tally struct {
	rank       func(string) int
	byControl  [][numStatuses]int
	summary    report.Summary
	worstNonOK int // highest severity rank of a NonCompliant result
}

// numStatuses is the number of statuses a result can have.
const numStatuses = 6

var statusIndex = map[report.Status]int{report.Compliant: 0, report.NonCompliant: 1, report.NotApplicable: 2,
	report.Exempt: 3, report.Unknown: 4, report.Error: 5}

func newTally(e *Engine) *tally {
	return &tally{rank: e.controlRank(), byControl: make([][numStatuses]int, len(e.Catalog.Controls)+1)}
}

func (t *tally) add(r *report.Result) {
	t.summary.Add(r.Status)
	if i, ok := statusIndex[r.Status]; ok {
		t.byControl[t.rank(r.ControlID)][i]++
	}
	if r.Status == report.NonCompliant {
		t.worstNonOK = max(t.worstNonOK, r.Severity.Rank())
	}
}

func (t *tally) merge(o *tally) {
	for i := range t.byControl {
		for j := range t.byControl[i] {
			t.byControl[i][j] += o.byControl[i][j]
		}
	}
	s, x := &t.summary, o.summary
	s.Total += x.Total
	s.Compliant += x.Compliant
	s.NonCompliant += x.NonCompliant
	s.NotApplicable += x.NotApplicable
	s.Exempt += x.Exempt
	s.Unknown += x.Unknown
	s.Error += x.Error
	t.worstNonOK = max(t.worstNonOK, o.worstNonOK)
}

// controls is Summarize's output for the counted results.
func (t *tally) controls(e *Engine) []report.ControlSummary {
	out := make([]report.ControlSummary, 0, len(e.Catalog.Controls))
	for i, c := range e.Catalog.Controls {
		counts := report.NewCounts()
		for s, j := range statusIndex {
			counts[s] = t.byControl[i][j]
		}
		out = append(out, report.ControlSummary{ID: c.ID, Title: c.Title, Domain: c.Domain, Status: rollup(counts), Counts: counts})
	}
	return out
}

// exitCode is ExitCode for the counted results.
func (t *tally) exitCode(r *report.Report, failOn string) int {
	if len(r.Errors) > 0 {
		return 2
	}
	if failOn == "never" || t.worstNonOK == 0 {
		return 0
	}
	min := report.Severity(failOn)
	if failOn == "" {
		min = report.Low
	}
	if t.worstNonOK >= min.Rank() {
		return 1
	}
	return 0
}

// streamChunk is how many results a worker evaluates and encodes at a time.
const streamChunk = 2048

// encodeInOrder evaluates the items on GOMAXPROCS workers, each taking the
// next chunk of items and encoding its results, and writes the chunks in
// order. At most a few chunks per worker are in memory at once.
func (e *Engine) encodeInOrder(ctx context.Context, items []item, fixed []report.Result, env *evalEnv, agg *tally, stream *report.JSONStream) error {
	nChunks := (len(items) + streamChunk - 1) / streamChunk
	workers := max(1, min(runtime.GOMAXPROCS(0), nChunks))
	type chunk struct {
		buf []byte
		n   int
		t   *tally
		err error
	}
	done := make([]chan chunk, nChunks)
	for i := range done {
		done[i] = make(chan chunk, 1)
	}
	// window bounds the chunks evaluated but not yet written.
	window := make(chan struct{}, 4*workers)
	next := make(chan int)
	free := make(chan []byte, cap(window)+workers)
	// A full chunk's results take about 3 MB; a small scan's take far
	// less, and zeroing megabytes it never fills would cost it time.
	bufSize := min(4<<20, min(len(items), streamChunk)*1600+4096)
	getBuf := func() []byte {
		select {
		case b := <-free:
			return b[:0]
		default:
			return make([]byte, 0, bufSize)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(next)
		for c := 0; c < nChunks; c++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			for c := range next {
				out := chunk{buf: getBuf(), t: newTally(e)}
				for i := c * streamChunk; i < min((c+1)*streamChunk, len(items)); i++ {
					res := e.itemResult(items[i], fixed, env)
					out.t.add(&res)
					out.buf = append(out.buf, report.ResultSeparator(i)...)
					if out.buf, out.err = report.AppendResultJSON(out.buf, &res); out.err != nil {
						break
					}
					out.n++
				}
				done[c] <- out
			}
		}()
	}
	for c := 0; c < nChunks; c++ {
		var out chunk
		select {
		case out = <-done[c]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if out.err != nil {
			return out.err
		}
		if err := stream.Results(out.buf, out.n); err != nil {
			return err
		}
		agg.merge(out.t)
		select {
		case free <- out.buf:
		default:
		}
		<-window
	}
	return nil
}

// itemResult evaluates one item as Run would, remediation included.
func (e *Engine) itemResult(it item, fixed []report.Result, env *evalEnv) report.Result {
	var res report.Result
	if it.fixed >= 0 {
		res = fixed[it.fixed]
	} else {
		res = e.evalTask(it.task, env)
	}
	if res.Status == report.Compliant || res.Status == report.NotApplicable {
		res.Remediation = nil
	}
	return res
}
