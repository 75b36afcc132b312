package scan

import "testing"

func TestStatusAtMatchesStatusIndex(t *testing.T) {
	for s, want := range statusIndex {
		if got, ok := statusAt(s); !ok || got != want {
			t.Errorf("statusAt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	if _, ok := statusAt("Other"); ok {
		t.Error("statusAt of an unknown status")
	}
}
