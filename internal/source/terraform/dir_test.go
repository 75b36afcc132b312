package terraform

import (
	"path/filepath"
	"testing"
)

func TestDirectoryReader(t *testing.T) {
	read := DirectoryReader(Options{Paths: []string{examples}})
	files := func(dir string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	hardened := filepath.Join(examples, "hardened")
	ins, used := read(hardened, files(hardened, "main.tf", "outputs.tf", "terraform.tfvars", "variables.tf", "README.md"))
	if len(ins) != 1 || len(used) != 4 || len(ins[0].Resources) == 0 {
		t.Errorf("root module: %d inputs, consumed %v", len(ins), used)
	}
	// The shared module is called by both examples: it is consumed but not
	// read as a root of its own.
	mod := filepath.Join(examples, "modules", "postgresql")
	ins, used = read(mod, files(mod, "main.tf", "outputs.tf", "variables.tf"))
	if len(ins) != 0 || len(used) != 3 {
		t.Errorf("called module: %d inputs, consumed %v", len(ins), used)
	}
	// Named explicitly, it is read.
	ins, used = read(mod, files(mod, "main.tf"))
	if len(ins) != 1 || len(used) != 1 {
		t.Errorf("explicit file of a called module: %d inputs, consumed %v", len(ins), used)
	}
	// A directory without .tf files is left to the other readers.
	if ins, used := read(mod, files(mod, "x.json")); ins != nil || used != nil {
		t.Errorf("non-Terraform directory consumed: %v", used)
	}
}
