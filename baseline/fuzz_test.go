package baseline

import (
	"testing"
	"testing/fstest"
)

// FuzzLoadRules feeds arbitrary rules files to the loader: it must return a
// catalog or an error, never panic.
func FuzzLoadRules(f *testing.F) {
	base := dataFS(f)
	for _, name := range []string{"rules/attested.yaml", "rules/controlplane.yaml"} {
		f.Add(base[name].Data)
	}
	f.Add([]byte("rules:\n  - id: X\n"))
	f.Add([]byte("rules: [1, 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Only the catalog and the fuzzed file, to keep each run fast.
		m := fstest.MapFS{
			"catalog.yaml":    base["catalog.yaml"],
			"rules/fuzz.yaml": &fstest.MapFile{Data: data},
		}
		c, err := LoadFS(m)
		if err == nil && c == nil {
			t.Fatal("no catalog and no error")
		}
	})
}
