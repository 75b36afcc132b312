package scan

import (
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

// TestSortResultsByRankMatchesStableSort checks the index-permutation sort
// against sort.SliceStable on shuffled results with ties (equal keys must
// keep their input order, told apart by Message).
func TestSortResultsByRankMatchesStableSort(t *testing.T) {
	rank := func(c string) int { return map[string]int{"NS-1": 0, "DP-3": 1}[c] }
	for _, n := range []int{0, 1, 2, 7, 300, 5000} {
		rng := rand.New(rand.NewSource(int64(n)))
		rs := make([]report.Result, n)
		for i := range rs {
			rs[i] = report.Result{ControlID: []string{"NS-1", "DP-3", "custom"}[rng.Intn(3)],
				RuleID: []string{"a", "b"}[rng.Intn(2)], ResourceID: []string{"/x", "/x/y", "/X-z", "/x/Y", "/y"}[rng.Intn(5)],
				Message: string(rune('A' + i%50))}
			rs[i].Evidence = map[string]any{"i": i}
		}
		want := slices.Clone(rs)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := want[i], want[j]
			if a.ResourceID != b.ResourceID {
				return compareResourceIDs(a.ResourceID, b.ResourceID) < 0
			}
			if rank(a.ControlID) != rank(b.ControlID) {
				return rank(a.ControlID) < rank(b.ControlID)
			}
			return a.RuleID < b.RuleID
		})
		sortResultsByRank(rs, rank)
		for i := range rs {
			if rs[i].Evidence["i"] != want[i].Evidence["i"] {
				t.Fatalf("n=%d: position %d holds input %v, want input %v", n, i, rs[i].Evidence["i"], want[i].Evidence["i"])
			}
		}
	}
}

// TestCompareResourceIDs checks the tree order: descendants right after
// their ancestor, case folded, '/' first.
func TestCompareResourceIDs(t *testing.T) {
	ordered := []string{"", "/s/rg/providers/p/servers/a", "/s/rg/providers/p/servers/A/configurations/x",
		"/s/rg/providers/p/servers/a/firewallRules/f", "/s/rg/providers/p/servers/a-b", "/s/rg/providers/p/servers/a.b",
		"/s/rg/providers/p/servers/ab", "/s/rg/providers/p/servers/B", "/s/rg/providers/p/servers/b"}
	for i := range ordered {
		for j := range ordered {
			got := compareResourceIDs(ordered[i], ordered[j])
			if (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("compare(%q, %q) = %d", ordered[i], ordered[j], got)
			}
		}
	}
}

// TestForEachParallelVisitsEveryIndexOnce checks the worker pool.
func TestForEachParallelVisitsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 10_000} {
		seen := make([]int32, n)
		forEachParallel(n, func(i int) { seen[i]++ })
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
	}
}
