package armtemplate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/report"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFolderLayouts scans, as a directory and without a bicep executable,
// the folder layouts of the Azure quickstarts (main.bicep beside its
// compiled azuredeploy.json, azuredeploy.parameters.json, metadata.json)
// and of the Azure Verified Modules (main.bicep beside main.json, here with
// a main.parameters.json). The .bicep is not an error: the compiled
// template is scanned, and a note says so.
func TestFolderLayouts(t *testing.T) {
	avm := t.TempDir()
	src := filepath.Join("testdata", "avm-flexible-server")
	copyFile(t, filepath.Join(src, "main.json"), filepath.Join(avm, "main.json"))
	copyFile(t, filepath.Join(src, "main.bicep"), filepath.Join(avm, "main.bicep"))
	copyFile(t, filepath.Join(src, "tests", "private.parameters.json"), filepath.Join(avm, "main.parameters.json"))
	cases := []struct {
		name, dir, compiled, server string
	}{
		{"quickstart", filepath.Join("testdata", "quickstart-flexible-server-vnet"), "azuredeploy.json", "psql-quickstart-vnet"},
		{"avm module", avm, "main.json", "psql-avm-private"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			doc, dir := armtemplate.Readers(armtemplate.Options{})
			loader := &scan.Loader{Readers: []scan.DocumentReader{doc}, DirectoryReaders: []scan.DirectoryReader{dir}}
			inputs := loader.Load([]string{c.dir})
			var notes []string
			for _, in := range inputs {
				for _, e := range in.Errors {
					t.Errorf("error: %v", e)
				}
				notes = append(notes, in.Notes...)
			}
			bicep := filepath.Join(c.dir, "main.bicep")
			want := bicep + ": skipped; its compiled template " + c.compiled + " beside it was scanned (install bicep to compile the .bicep itself)"
			if len(notes) != 1 || notes[0] != want {
				t.Errorf("notes %q, want %q", notes, want)
			}
			rep := runScan(t, inputs...)
			got := ruleVerdicts(rep)
			// The server is found, in its delegated subnet, and judged.
			for rule, status := range map[string]report.Status{
				"PGB-NS1-01":   report.Compliant,
				"AZP-5e1de0e3": report.Compliant,
			} {
				if k := rule + " Microsoft.DBforPostgreSQL/flexibleServers " + c.server; got[k] != status {
					t.Errorf("%s: %q, want %s", k, got[k], status)
				}
			}
			servers := 0
			for _, in := range inputs {
				for _, r := range in.Resources {
					if strings.EqualFold(r.Type, "Microsoft.DBforPostgreSQL/flexibleServers") {
						servers++
						if r.Origin.File != filepath.Join(c.dir, c.compiled) {
							t.Errorf("the server points at %s", r.Origin.File)
						}
					}
				}
			}
			if servers != 1 {
				t.Errorf("%d servers, want 1", servers)
			}
		})
	}
}
