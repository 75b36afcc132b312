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
	inputs, err := e.load(ctx, o)
	if err != nil {
		return nil, err
	}
	return e.prepareInputs(o, inputs, started)
}

// load reads the scan's inputs.
func (e *Engine) load(ctx context.Context, o Options) ([]*source.Input, error) {
	l := o.Loader
	if l == nil {
		l = &Loader{}
	}
	inputs := append(l.Load(o.Paths), o.Inputs...)
	return inputs, ctx.Err()
}

// prepareInputs is prepare once the inputs are read; it decodes the lazy
// ones.
func (e *Engine) prepareInputs(o Options, inputs []*source.Input, started time.Time) (*prepared, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, in := range inputs {
		if err := materialize(in); err != nil {
			return nil, err
		}
	}
	rep := e.newReport(o, inputs, started)
	set := arm.NewSet()
	for _, in := range inputs {
		set.AddAll(in.Resources)
		for _, u := range in.Unresolved {
			set.AddUnresolved(u)
		}
	}
	if err := flexserver.Complete(set); err != nil {
		return nil, err
	}
	rep.Resources = make([]report.Resource, 0, set.Len())
	for _, r := range set.All() {
		if r.Synthesized == "" {
			rep.Resources = append(rep.Resources, reportResource(r))
		}
	}
	extraRes, extraResults := joinDatabaseResults(set, o.Resources, o.Results)
	rep.Resources = append(rep.Resources, extraRes...)
	return &prepared{rep: rep, set: set, inputs: inputs, extra: extraResults, now: now}, nil
}

// newReport returns the report's header for the inputs: the tool, the
// benchmark, the targets and the inputs' errors, with no resources or
// results yet.
func (e *Engine) newReport(o Options, inputs []*source.Input, started time.Time) *report.Report {
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
	seenTarget := map[report.Target]bool{}
	for _, in := range inputs {
		t := report.Target{Kind: in.Kind, Location: in.Location}
		if !seenTarget[t] {
			seenTarget[t] = true
			rep.Targets = append(rep.Targets, t)
		}
		for _, err := range in.Errors {
			rep.Errors = append(rep.Errors, report.ErrorEntry{Target: in.Location, File: err.File, Line: err.Line, Message: err.Error()})
		}
	}
	return rep
}

// reportResource is r's entry in the report's resources.
func reportResource(r *arm.Resource) report.Resource {
	rr := report.Resource{ID: resourceID(r), Type: r.Type, Name: r.Name}
	if r.Origin.File != "" {
		rr.Origin = &report.Origin{File: r.Origin.File, Line: r.Origin.Line}
	}
	return rr
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
	started := time.Now().UTC()
	inputs, err := e.load(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	if slices.ContainsFunc(inputs, func(in *source.Input) bool { return in.Lazy != nil }) {
		fp, err := e.planFleet(o, inputs, started)
		if err != nil {
			return nil, 0, err
		}
		if fp != nil {
			return e.runFleet(ctx, fp, w, failOn)
		}
	}
	p, err := e.prepareInputs(o, inputs, started)
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
	return e.endJSON(rep, agg, stream, failOn)
}

// endJSON completes the streamed report with what the tally counted, and
// returns it without its results and with the exit code.
func (e *Engine) endJSON(rep *report.Report, agg *tally, stream *report.JSONStream, failOn string) (*report.Report, int, error) {
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

// taskPlan holds, per normalized resource type, the tasks that apply to
// resources of that type (with r unset), in the report's order for one
// resource: by control rank, then rule id, stably (catalog rules in
// catalog order, then users' evaluations).
type taskPlan struct {
	byType map[string][]evalTask
}

// newTaskPlan plans the tasks of the given resource types, as written or
// normalized; users' evaluations without target types apply to all of
// them. forType finds each spelling given here without normalizing it.
func (e *Engine) newTaskPlan(types []string) *taskPlan {
	rank := e.controlRank()
	type planned struct {
		t    evalTask
		rank int
		id   string
	}
	byType := map[string][]planned{}
	seq := int32(0)
	add := func(typ string, t evalTask) {
		k := arm.Normalize(typ)
		t.seq = seq
		seq++
		c, id := e.ruleKey(t)
		byType[k] = append(byType[k], planned{t, rank(c), id})
	}
	for _, cr := range e.rules {
		for _, typ := range cr.targets {
			add(typ, evalTask{cr: cr})
		}
	}
	var all []string // every type once, for the evaluations that target all
	seen := map[string]bool{}
	for _, typ := range types {
		if k := arm.Normalize(typ); !seen[k] {
			seen[k] = true
			all = append(all, k)
		}
	}
	for _, ev := range e.extra {
		targets := ev.Definition.TargetTypes()
		if len(targets) == 0 {
			targets = all
		}
		for _, typ := range targets {
			add(typ, evalTask{ev: ev})
		}
	}
	p := &taskPlan{byType: make(map[string][]evalTask, len(byType))}
	for typ, list := range byType {
		slices.SortStableFunc(list, func(a, b planned) int {
			if a.rank != b.rank {
				return a.rank - b.rank
			}
			return strings.Compare(a.id, b.id)
		})
		tasks := make([]evalTask, len(list))
		for i, x := range list {
			tasks[i] = x.t
		}
		p.byType[typ] = tasks
	}
	for _, typ := range types {
		if _, ok := p.byType[typ]; !ok {
			p.byType[typ] = p.byType[arm.Normalize(typ)]
		}
	}
	return p
}

// forType returns the tasks for resources of type typ.
func (p *taskPlan) forType(typ string) []evalTask {
	if list, ok := p.byType[typ]; ok {
		return list
	}
	return p.byType[arm.Normalize(typ)]
}

// reportOrder lists the report's results in the order Run sorts them: by
// resource (compareResourceIDs), control rank and rule id, stably, with the
// rules' results before the fixed results on ties.
func (e *Engine) reportOrder(set *arm.Set, fixed []report.Result) []item {
	rank := e.controlRank()
	var resources []*arm.Resource
	types := set.Types()
	spelled := map[string]bool{}
	for _, r := range set.All() {
		if r.Synthesized == "" {
			resources = append(resources, r)
			if !spelled[r.Type] {
				spelled[r.Type] = true
				types = append(types, r.Type)
			}
		}
	}
	plan := e.newTaskPlan(types)
	slices.SortStableFunc(resources, func(a, b *arm.Resource) int { return compareResourceIDs(resourceID(a), resourceID(b)) })
	fixedOrder := make([]int32, len(fixed))
	for i := range fixedOrder {
		fixedOrder[i] = int32(i)
	}
	fixedKey := func(i int32) (string, int, string) {
		return fixed[i].ResourceID, rank(fixed[i].ControlID), fixed[i].RuleID
	}
	compareKeys := func(x1 string, r1 int, i1 string, x2 string, r2 int, i2 string) int {
		if c := compareResourceIDs(x1, x2); c != 0 {
			return c
		}
		if r1 != r2 {
			return r1 - r2
		}
		return strings.Compare(i1, i2)
	}
	slices.SortStableFunc(fixedOrder, func(a, b int32) int {
		xa, ra, ia := fixedKey(a)
		xb, rb, ib := fixedKey(b)
		return compareKeys(xa, ra, ia, xb, rb, ib)
	})
	out := make([]item, 0, len(fixed)+len(resources)*8)
	nextFixed := 0
	emit := func(t evalTask, id string) {
		c, ruleID := e.ruleKey(t)
		rk := rank(c)
		// The fixed results that sort before this one (on a tie, the
		// rule's result comes first).
		for nextFixed < len(fixedOrder) {
			x, fr, fi := fixedKey(fixedOrder[nextFixed])
			if compareKeys(x, fr, fi, id, rk, ruleID) >= 0 {
				break
			}
			out = append(out, item{fixed: fixedOrder[nextFixed]})
			nextFixed++
		}
		out = append(out, item{task: t, fixed: -1})
	}
	for i := 0; i < len(resources); {
		id := resourceID(resources[i])
		j := i + 1
		for j < len(resources) && resourceID(resources[j]) == id {
			j++
		}
		if j == i+1 {
			for _, t := range plan.forType(resources[i].Type) {
				t.r = resources[i]
				emit(t, id)
			}
			i = j
			continue
		}
		// Resources that share an id (Terraform addresses of two modules,
		// say): their results in Evaluate's order, by task, then by the
		// order the resources were added.
		var tasks []evalTask
		for _, r := range resources[i:j] {
			for _, t := range plan.forType(r.Type) {
				t.r = r
				tasks = append(tasks, t)
			}
		}
		slices.SortStableFunc(tasks, func(a, b evalTask) int {
			ca, ia := e.ruleKey(a)
			cb, ib := e.ruleKey(b)
			if ra, rb := rank(ca), rank(cb); ra != rb {
				return ra - rb
			}
			if c := strings.Compare(ia, ib); c != 0 {
				return c
			}
			return int(a.seq) - int(b.seq) // then by resource: a stable sort keeps their order
		})
		for _, t := range tasks {
			emit(t, id)
		}
		i = j
	}
	for ; nextFixed < len(fixedOrder); nextFixed++ {
		out = append(out, item{fixed: fixedOrder[nextFixed]})
	}
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
		out = append(out, report.ControlSummary{ID: c.ID, Title: c.Title, Domain: c.Domain, Status: report.Rollup(counts), Counts: counts})
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
	// A full chunk's results take about 3 MB; a small scan's take far
	// less, and zeroing megabytes it never fills would cost it time.
	bufSize := min(4<<20, min(len(items), streamChunk)*1600+4096)
	begin := func() (*report.JSONStream, error) { return stream, nil }
	return e.writeInOrder(ctx, nChunks, bufSize, agg, begin, func(c int, out *chunk) {
		for i := c * streamChunk; i < min((c+1)*streamChunk, len(items)); i++ {
			res := e.itemResult(items[i], fixed, env)
			if !out.add(&res) {
				return
			}
		}
	})
}

// chunk is a run of consecutive results, encoded.
type chunk struct {
	buf []byte
	n   int
	t   *tally
	err error
	w   *worker // the worker's state
}

// worker is what a worker of writeInOrder keeps from chunk to chunk.
type worker struct {
	enc *report.ResultEncoder
	// readers are the worker's readers of lazy inputs, by input (fleet
	// scans); a reader is not safe for concurrent use.
	readers map[int32]source.LazyReader
}

// add counts and encodes one more result; it reports false after an
// encoding error, which ends the chunk.
func (out *chunk) add(res *report.Result) bool {
	out.t.add(res)
	out.buf = append(out.buf, report.ResultSeparator(1)...) // the stream drops the first comma
	if out.buf, out.err = out.w.enc.Append(out.buf, res); out.err != nil {
		return false
	}
	out.n++
	return true
}

// writeInOrder calls produce for chunks 0 to nChunks-1 on GOMAXPROCS
// workers, each taking the next chunk, and writes the chunks' results to
// the stream in order. At most a few chunks per worker are in memory at
// once.
// begin, called once the workers are started, returns the stream (having
// written what goes before the results, if need be).
func (e *Engine) writeInOrder(ctx context.Context, nChunks, bufSize int, agg *tally, begin func() (*report.JSONStream, error), produce func(c int, out *chunk)) error {
	workers := max(1, min(runtime.GOMAXPROCS(0), nChunks))
	done := make([]chan chunk, nChunks)
	for i := range done {
		done[i] = make(chan chunk, 1)
	}
	// window bounds the chunks evaluated but not yet written.
	window := make(chan struct{}, 4*workers)
	next := make(chan int)
	free := make(chan []byte, cap(window)+workers)
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
			w := &worker{enc: &report.ResultEncoder{}, readers: map[int32]source.LazyReader{}}
			for c := range next {
				out := chunk{buf: getBuf(), t: newTally(e), w: w}
				produce(c, &out)
				done[c] <- out
			}
		}()
	}
	stream, err := begin()
	if err != nil {
		return err
	}
	written := 0
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
		buf := out.buf
		if written == 0 && len(buf) > 0 && buf[0] == ',' {
			buf = buf[1:] // the first result of the array
		}
		if err := stream.Results(buf, out.n); err != nil {
			return err
		}
		written += out.n
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
