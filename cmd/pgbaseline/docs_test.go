package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedDocs checks that docs/controls.md and docs/rules.md are what
// `pgbaseline controls --format markdown` and `rules --format markdown`
// print now (the README and the SARIF rules' help links point at them).
// Run with -update to regenerate them.
func TestGeneratedDocs(t *testing.T) {
	for _, c := range []struct{ file, cmd string }{
		{"controls.md", "controls"},
		{"rules.md", "rules"},
	} {
		t.Run(c.file, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), c.file)
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			cmd := newRootCmd()
			cmd.SetOut(f)
			cmd.SetArgs([]string{c.cmd, "--format", "markdown"})
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			f.Close()
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", "docs", c.file)
			if *updateGolden {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("docs/%s is out of date: run go test ./cmd/pgbaseline -run TestGeneratedDocs -update", c.file)
			}
		})
	}
}
