package scan

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
	"github.com/pgbaseline/pgbaseline/report"
)

// prepared is what a scan has read and modelled before the rules run.
type prepared struct {
	rep    *report.Report // header, resources and errors; no results yet
	set    *arm.Set
	inputs []*source.Input
	extra  []verdict // results obtained outside the engine (database checks)
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
		l = &load.Loader{}
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
	extra := make([]verdict, len(extraResults))
	for i := range extraResults {
		extra[i] = verdict{res: extraResults[i]}
	}
	return &prepared{rep: rep, set: set, inputs: inputs, extra: extra, now: now}, nil
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
	read := len(o.Results) > 0 // anything read at all
	postgres := read           // any PostgreSQL resource
	for _, in := range inputs {
		t := report.Target{Kind: in.Kind, Location: in.Location}
		if !seenTarget[t] {
			seenTarget[t] = true
			rep.Targets = append(rep.Targets, t)
		}
		for _, err := range in.Errors {
			rep.Errors = append(rep.Errors, report.ErrorEntry{Target: in.Location, File: err.File, Line: err.Line, Message: err.Error()})
		}
		rep.Notes = append(rep.Notes, in.Notes...)
		read = read || len(in.Resources) > 0 || in.Lazy != nil || len(in.Unresolved) > 0 || len(in.Findings) > 0
		postgres = postgres || holdsPostgres(in)
	}
	if !postgres {
		rep.Notes = append(rep.Notes, "no PostgreSQL resource in the inputs: no server was assessed against the baseline")
	}
	if !read && len(rep.Errors) == 0 {
		// An empty directory, or files of no known kind: a scan that
		// judged nothing must not pass.
		where, verb := "the inputs", "hold"
		if len(rep.Targets) > 0 {
			where, verb = rep.Targets[0].Location, "holds"
			if len(rep.Targets) > 1 {
				where, verb = where+fmt.Sprintf(" and %d more", len(rep.Targets)-1), "hold"
			}
		}
		rep.Errors = append(rep.Errors, report.ErrorEntry{Target: where,
			Message: "nothing to scan: " + where + " " + verb + " no resource pgbaseline reads"})
	}
	return rep
}

// postgresPrefix begins the type of every PostgreSQL resource.
const postgresPrefix = "Microsoft.DBforPostgreSQL/"

// holdsPostgres reports whether an input holds a PostgreSQL resource.
func holdsPostgres(in *source.Input) bool {
	isPG := func(typ string) bool {
		return len(typ) >= len(postgresPrefix) && strings.EqualFold(typ[:len(postgresPrefix)], postgresPrefix)
	}
	if in.Lazy != nil {
		for _, en := range in.Lazy.Entries() {
			if isPG(en.Type) {
				return true
			}
		}
		return false
	}
	for _, r := range in.Resources {
		if isPG(r.Type) {
			return true
		}
	}
	return false
}

// reportResource is r's entry in the report's resources.
func reportResource(r *arm.Resource) report.Resource {
	rr := report.Resource{ID: resourceID(r), Type: r.Type, Name: r.Name}
	if r.Origin.File != "" {
		rr.Origin = &report.Origin{File: r.Origin.File, Line: r.Origin.Line}
	}
	return rr
}

// item is one entry of the results array: a rule to evaluate on a resource,
// or (when fixed >= 0) a verdict made outside the engine.
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

// reportOrder is the report's order, the one every scan writes: by
// resource (compareResourceIDs), control rank and rule id, stably (rules
// in catalog order, then users' evaluations), with the rules' results
// before the fixed verdicts on ties.
func (e *Engine) reportOrder(set *arm.Set, fixed []verdict) []item {
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
		return fixed[i].res.ResourceID, rank(fixed[i].res.ControlID), fixed[i].res.RuleID
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

// streamChunk is how many results a worker evaluates and encodes at a time.
const streamChunk = 2048

// itemsProducer yields the verdicts of the planned items (reportOrder):
// the rules evaluated on a resource set, and the verdicts made outside the
// engine, merged in order.
func (e *Engine) itemsProducer(items []item, fixed []verdict, env *evalEnv) producer {
	n := len(items)
	return producer{
		chunks: (n + streamChunk - 1) / streamChunk,
		size:   n,
		// A full chunk's results take about 3 MB; a small scan's take far
		// less, and zeroing megabytes it never fills would cost it time.
		bufSize: min(4<<20, min(n, streamChunk)*1600+4096),
		chunk: func(c int, w *worker) iter.Seq[*verdict] {
			return func(yield func(*verdict) bool) {
				var v verdict
				for i := c * streamChunk; i < min((c+1)*streamChunk, n); i++ {
					if it := items[i]; it.fixed >= 0 {
						sc := v.scratch
						v = fixed[it.fixed]
						v.scratch = sc
					} else {
						v.scratch.reuse = w != nil && w.enc != nil // streamed: results are not kept
						e.taskVerdict(&v, it.task, env)
					}
					if !yield(&v) {
						return
					}
				}
			}
		},
	}
}
