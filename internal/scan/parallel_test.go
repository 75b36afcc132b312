package scan

import (
	"testing"
)

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
