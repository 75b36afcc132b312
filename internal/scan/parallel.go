package scan

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/policy"
)

// evalTask is one rule, or one user's policy evaluation, to run on one
// resource.
type evalTask struct {
	cr *compiledRule
	ev *policy.Evaluation
	r  *arm.Resource
	// seq is the task's place in Evaluate's order (rules, then users'
	// evaluations, each by target type), which breaks ties between
	// resources that share an id.
	seq int32
}

// evalEnv is what evaluating a task needs, computed once per scan.
type evalEnv struct {
	set *arm.Set
	env *policy.Env
	now time.Time
	ap  *assignedPolicies
}

func (e *Engine) newEvalEnv(set *arm.Set, now time.Time) *evalEnv {
	return &evalEnv{set: set, env: &policy.Env{Related: set, Now: now, NoDetails: true}, now: now, ap: e.assignedEvaluations(set)}
}

// taskVerdict evaluates one task into v.
func (e *Engine) taskVerdict(v *verdict, t evalTask, x *evalEnv) {
	v.r = t.r
	if t.cr != nil {
		v.res, v.rule = e.evalRule(t.cr, t.r, x.set, x.env, &v.scratch, x.now, x.ap), t.cr.settings
		return
	}
	v.res, v.rule = e.userPolicyResult(t.ev, t.r, x.set, t.ev.Evaluate(t.r, x.env)), e.extraSettings[t.ev]
}

// parallelChunk is how many tasks a worker takes at a time: large enough
// that the shared counter is not contended, small enough to balance.
const parallelChunk = 256

// forEachParallel calls fn(i) for every i in [0, n) on GOMAXPROCS
// goroutines. fn must only write to state owned by index i, so that the
// outcome does not depend on scheduling.
func forEachParallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+parallelChunk-1)/parallelChunk)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(parallelChunk)) - parallelChunk
				if start >= n {
					return
				}
				for i := start; i < min(start+parallelChunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// compareResourceIDs orders resource ids (or Terraform addresses) as a
// tree: case-insensitively (ASCII), segment by segment ('/' sorts before
// any other byte), so that every resource whose id extends another's
// ("<id>/...") follows it, before any other id. Ids that differ only in
// case compare as bytes.
func compareResourceIDs(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x, y = treeByte(x), treeByte(y); x != y {
			return int(x) - int(y)
		}
	}
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// treeByte is the byte compareResourceIDs compares: lower case, and '/'
// lowest.
func treeByte(c byte) byte {
	switch {
	case c == '/':
		return 0
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	}
	return c
}
