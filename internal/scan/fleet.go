package scan

import (
	"bytes"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/policy"
	"github.com/pgbaseline/pgbaseline/report"
)

// Fleet scans. RunJSON reads a large export (an array of resources, or
// {"value": [...]}) without decoding it: jsonpos.Skim validates it and
// lists each resource's id, type and name. Every flexible server and the
// resources under its id (configurations, firewall rules, diagnostic
// settings, ...) form a group; everything else (networks, private
// endpoints, subscriptions, policy objects, the inputs read whole) is the
// base set, decoded at once. The report's results are in resource order
// (compareResourceIDs), in which a group's resources are consecutive, so
// that each group is decoded, completed with its defaults, evaluated over
// an arm.NewLayer on the base, encoded and dropped in turn, on every core.
//
// The results are those of the whole-set scan exactly when no rule needs
// two groups at once. planFleet checks that, and falls back to decoding
// everything otherwise: when a policy's existence check looks for a type
// that groups hold in a resource group or subscription, when ids repeat,
// when a resource read whole lies under a grouped server, when results
// come from outside the engine, or when an id is empty or not ASCII. The
// Go checks (package check) see only a check.Scope: resources by id, and a
// resource's children and extensions, never an enumeration of other
// servers.

// materialize decodes a lazy input's resources into in.Resources.
func materialize(in *source.Input) error {
	if in.Lazy == nil {
		return nil
	}
	all := make([]int, len(in.Lazy.Entries()))
	for i := range all {
		all[i] = i
	}
	res, err := in.Lazy.NewReader().Read(all)
	if err != nil {
		return err
	}
	in.Resources, in.Lazy = res, nil
	return nil
}

// fleetSlot is one resource of a fleet scan, read or still to read.
type fleetSlot struct {
	id, typ string
	r       *arm.Resource // the base set's resource; nil for a grouped one
	in      int32         // the lazy input and entry of a grouped one
	entry   int32
}

// fleetPlan is a fleet scan's work.
type fleetPlan struct {
	inputs []*source.Input
	base   *arm.Set
	slots  []fleetSlot // in report order
	units  []int       // slots[units[i]:units[i+1]] is the i-th unit
	plan   *taskPlan
	rep    *report.Report
	now    time.Time
}

// serverSegment precedes a flexible server's name in its id and in the ids
// of the resources under it (compared case-insensitively).
const serverSegment = "/providers/Microsoft.DBforPostgreSQL/flexibleServers/"

// entryKeys are what planFleet needs of one resource: its id's hash, and
// the hash of the server id it lies under (0 when none).
type entryKeys struct {
	id, server uint64
	ok         bool
}

// keysOfID is the keys of id: arm.HashNormal of the id in ASCII lower case and of the id of the flexible server it is or lies
// under (the id up to the name after serverSegment, when a name follows
// it), from one lower-cased copy of the id. ok is false for an id that is
// empty, ends in '/' or is not ASCII (a fleet scan leaves such inputs to
// the whole-set scan).
func keysOfID(id string) entryKeys {
	if id == "" || id[len(id)-1] == '/' {
		return entryKeys{}
	}
	var buf [256]byte
	b := buf[:0]
	if len(id) > len(buf) {
		b = make([]byte, 0, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 0x80 {
			return entryKeys{}
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	k := entryKeys{id: arm.HashNormal(b), ok: true}
	// The first occurrence of the segment decides (a later one is nearer
	// the end).
	if i := bytes.Index(b, lowerServerSegment); i >= 0 && i+len(lowerServerSegment) < len(b) {
		end := i + len(lowerServerSegment)
		n := len(b)
		if j := bytes.IndexByte(b[end:], '/'); j >= 0 {
			n = end + j
		}
		k.server = arm.HashNormal(b[:n])
	}
	return k
}

// lowerServerSegment is serverSegment in lower case.
var lowerServerSegment = []byte(strings.ToLower(serverSegment))

// planFleet plans a fleet scan of inputs, or returns nil when the scan
// must read everything at once (see above).
func (e *Engine) planFleet(o Options, inputs []*source.Input, started time.Time) (p *fleetPlan, err error) {
	if len(o.Results) > 0 || len(o.Resources) > 0 {
		return nil, nil
	}
	for _, in := range inputs {
		for _, rule := range e.Catalog.Rules {
			if in.Lazy != nil && rule.Kind == baseline.KindSource && containsFold(rule.Inputs, in.Kind) && e.enabled(rule) {
				return nil, nil // its results are made from in.Resources
			}
		}
	}
	for _, v := range e.sourceVerdicts(inputs) {
		if e.settings(v.res.RuleID).enabled {
			return nil, nil
		}
	}
	// The report's header is made meanwhile (it needs only the inputs).
	header := make(chan *report.Report, 1)
	go func() { header <- e.fleetHeader(o, inputs, started) }()
	defer func() {
		if p == nil { // the header is not needed
			<-header
		}
	}()
	// Every resource's keys, computed on every core.
	keys := make([][]entryKeys, len(inputs))
	for i, in := range inputs {
		if in.Lazy == nil {
			keys[i] = make([]entryKeys, len(in.Resources))
			forEachParallel(len(in.Resources), func(j int) { keys[i][j] = keysOfID(in.Resources[j].ID) })
			continue
		}
		entries := in.Lazy.Entries()
		keys[i] = make([]entryKeys, len(entries))
		forEachParallel(len(entries), func(j int) { keys[i][j] = keysOfID(entries[j].ID) })
	}
	// The grouped servers: those of the lazy inputs.
	servers := map[uint64]int32{}
	for i, in := range inputs {
		if in.Lazy == nil {
			continue
		}
		for j, en := range in.Lazy.Entries() {
			if k := keys[i][j]; strings.EqualFold(en.Type, flexserver.ServerType) {
				if !k.ok || k.server != k.id {
					return nil, nil
				}
				if _, dup := servers[k.id]; dup {
					return nil, nil
				}
				servers[k.id] = int32(len(servers))
			}
		}
	}
	// Every id once; no resource read whole under a grouped server.
	total := 0
	for _, k := range keys {
		total += len(k)
	}
	ids := make([]uint64, 0, total)
	groupTypes := map[string]bool{}
	var types []string
	typeSeen := map[string]bool{}
	normType := map[string]string{} // as written -> normalized
	addType := func(t string) string {
		if k, ok := normType[t]; ok {
			return k
		}
		k := arm.Normalize(t)
		normType[t] = k
		if k != t {
			types = append(types, t) // a spelling forType then finds as it is
		}
		if !typeSeen[k] {
			typeSeen[k] = true
			types = append(types, k)
		}
		return k
	}
	for i, in := range inputs {
		for j, k := range keys[i] {
			if !k.ok {
				return nil, nil
			}
			ids = append(ids, k.id)
			_, underServer := servers[k.server]
			if in.Lazy == nil {
				if underServer {
					return nil, nil
				}
				addType(in.Resources[j].Type)
				continue
			}
			typ := in.Lazy.Entries()[j].Type
			norm := addType(typ)
			if underServer && !isPolicyType(typ) {
				groupTypes[norm] = true
			}
		}
	}
	slices.Sort(ids) // a repeated id (or, far less likely, a repeated hash) reads everything at once
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return nil, nil
		}
	}
	ids = nil
	if !e.groupLocal(types, groupTypes) {
		return nil, nil
	}

	// The base set: every resource that is in no group, in input order.
	// Units: each grouped server with the resources under its id, and
	// each other resource on its own.
	base := arm.NewSet()
	p = &fleetPlan{inputs: inputs, base: base, now: o.Now}
	if p.now.IsZero() {
		p.now = time.Now()
	}
	groups := make([][]fleetSlot, len(servers))
	var singles []fleetSlot
	for i, in := range inputs {
		if in.Lazy == nil {
			base.AddAll(in.Resources)
			continue
		}
		var global []int
		for j, en := range in.Lazy.Entries() {
			g, underServer := servers[keys[i][j].server]
			if underServer && !isPolicyType(en.Type) {
				groups[g] = append(groups[g], fleetSlot{id: en.ID, typ: en.Type, in: int32(i), entry: int32(j)})
			} else {
				global = append(global, j)
			}
		}
		if len(global) > 0 {
			res, err := in.Lazy.NewReader().Read(global)
			if err != nil {
				return nil, err
			}
			base.AddAll(res)
		}
	}
	if err := flexserver.Complete(base); err != nil {
		return nil, err
	}
	for _, r := range base.All() {
		if r.Synthesized != "" {
			continue
		}
		slot := fleetSlot{id: resourceID(r), typ: r.Type, r: r}
		if g, ok := servers[keysOfID(r.ID).server]; ok { // a policy object under a server
			groups[g] = append(groups[g], slot)
		} else {
			singles = append(singles, slot)
		}
	}
	// The report's order (compareResourceIDs): the units by their first
	// resource, and each group's resources after its server.
	forEachParallel(len(groups), func(g int) {
		slices.SortFunc(groups[g], func(a, b fleetSlot) int { return compareResourceIDs(a.id, b.id) })
	})
	units := make([][]fleetSlot, 0, len(groups)+len(singles))
	units = append(units, groups...)
	for i := range singles {
		units = append(units, singles[i:i+1])
	}
	slices.SortFunc(units, func(a, b []fleetSlot) int { return compareResourceIDs(a[0].id, b[0].id) })
	n := len(singles)
	for _, g := range groups {
		n += len(g)
	}
	p.slots = make([]fleetSlot, 0, n)
	for _, u := range units {
		p.units = append(p.units, len(p.slots))
		p.slots = append(p.slots, u...)
	}
	p.units = append(p.units, len(p.slots))
	p.plan = e.newTaskPlan(types)
	p.rep = <-header
	return p, nil
}

// isPolicyType reports whether typ is a policy object's (assignments,
// exemptions, definitions), which the base set holds wherever its id
// lies, since assignedEvaluations reads them all.
func isPolicyType(typ string) bool {
	return len(typ) > len("Microsoft.Authorization/") && strings.EqualFold(typ[:len("Microsoft.Authorization/")], "Microsoft.Authorization/")
}

// groupLocal reports whether every policy the engine evaluates finds its
// related resources within the evaluated resource's own group, or among
// types that no group holds.
func (e *Engine) groupLocal(types []string, groupTypes map[string]bool) bool {
	check := func(def *policy.Definition, targets []string) bool {
		for _, t := range targets {
			typ, scope := def.Related(t)
			if (scope == policy.RelatedResourceGroup || scope == policy.RelatedSubscription) && groupTypes[arm.Normalize(typ)] {
				return false
			}
		}
		return true
	}
	for _, cr := range e.rules {
		if cr.def != nil && !check(cr.def, cr.targets) {
			return false
		}
	}
	for _, ev := range e.extra {
		targets := ev.Definition.TargetTypes()
		if len(targets) == 0 {
			targets = types
		}
		if !check(ev.Definition, targets) {
			return false
		}
	}
	return true
}

// fleetHeader is the report's header, resources and errors, as
// prepareInputs makes them.
func (e *Engine) fleetHeader(o Options, inputs []*source.Input, started time.Time) *report.Report {
	rep := e.newReport(o, inputs, started)
	for _, in := range inputs {
		if in.Lazy == nil {
			for _, r := range in.Resources {
				rep.Resources = append(rep.Resources, reportResource(r))
			}
			continue
		}
		file := in.Lazy.File()
		entries := in.Lazy.Entries()
		origins := make([]report.Origin, len(entries)) // one allocation, not one each
		rep.Resources = slices.Grow(rep.Resources, len(entries))
		for i, en := range entries {
			origins[i] = report.Origin{File: file, Line: en.Line}
			rep.Resources = append(rep.Resources, report.Resource{ID: en.ID, Type: en.Type, Name: en.Name, Origin: &origins[i]})
		}
	}
	return rep
}

// fleetChunk is about how many results a worker evaluates and encodes at a
// time in a fleet scan (whole units at a time).
const fleetChunk = 1024

// fleetProducer yields the plan's verdicts, unit by unit: each chunk
// reads, completes and evaluates whole units, about fleetChunk results.
func (e *Engine) fleetProducer(p *fleetPlan) producer {
	ap := e.assignedEvaluations(p.base)
	baseEnv := &evalEnv{set: p.base, env: &policy.Env{Related: p.base, Now: p.now, NoDetails: true}, now: p.now, ap: ap}
	var chunks []int // units[chunks[c]:chunks[c+1]]
	n := fleetChunk
	for u := 0; u+1 < len(p.units); u++ {
		if n >= fleetChunk {
			chunks = append(chunks, u)
			n = 0
		}
		for _, s := range p.slots[p.units[u]:p.units[u+1]] {
			n += len(p.plan.forType(s.typ))
		}
	}
	chunks = append(chunks, len(p.units)-1)
	return producer{
		chunks:  len(chunks) - 1,
		bufSize: 2 << 20,
		chunk: func(c int, w *worker) iter.Seq[*verdict] {
			return func(yield func(*verdict) bool) {
				var v verdict
				v.scratch.reuse = w.enc != nil // streamed: results are not kept
				for u := chunks[c]; u < chunks[c+1]; u++ {
					if !e.fleetUnit(p, p.slots[p.units[u]:p.units[u+1]], w, baseEnv, &v, yield) {
						return
					}
				}
			}
		},
	}
}

// fleetUnit reads, completes and evaluates one unit, yielding its
// verdicts (in v); it reports false when the consumer stopped or reading
// failed (w.err).
func (e *Engine) fleetUnit(p *fleetPlan, unit []fleetSlot, w *worker, baseEnv *evalEnv, v *verdict, yield func(*verdict) bool) bool {
	rd := w.readers
	env := baseEnv
	resources := make([]*arm.Resource, len(unit))
	if unit[0].r == nil { // a group: read it, in input and document order
		order := make([]int, 0, len(unit))
		for i := range unit {
			if unit[i].r == nil {
				order = append(order, i)
			} else {
				resources[i] = unit[i].r
			}
		}
		slices.SortFunc(order, func(a, b int) int {
			if unit[a].in != unit[b].in {
				return int(unit[a].in - unit[b].in)
			}
			return int(unit[a].entry - unit[b].entry)
		})
		layer := arm.NewLayer(p.base)
		for lo := 0; lo < len(order); {
			in := unit[order[lo]].in
			hi := lo
			var idx []int
			for hi < len(order) && unit[order[hi]].in == in {
				idx = append(idx, int(unit[order[hi]].entry))
				hi++
			}
			r := rd[in]
			if r == nil {
				r = p.inputs[in].Lazy.NewReader()
				rd[in] = r
			}
			res, err := r.Read(idx)
			if err != nil {
				w.err = err
				return false
			}
			for k, x := range res {
				resources[order[lo+k]] = x
			}
			layer.AddAll(res)
			lo = hi
		}
		if err := flexserver.Complete(layer); err != nil {
			w.err = err
			return false
		}
		env = &evalEnv{set: layer, env: &policy.Env{Related: layer, Now: p.now, NoDetails: true}, now: p.now, ap: baseEnv.ap}
	} else {
		resources[0] = unit[0].r
	}
	for _, r := range resources {
		for _, t := range p.plan.forType(r.Type) {
			t.r = r
			e.taskVerdict(v, t, env)
			if !yield(v) {
				return false
			}
		}
	}
	return true
}
