package armtemplate

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeBicep puts a bicep executable on PATH that prints out for `bicep
// build` and params for `bicep build-params`.
func fakeBicep(t *testing.T, out, params string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake bicep is a shell script")
	}
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "out.json"), []byte(out), 0o600)
	os.WriteFile(filepath.Join(bin, "params.json"), []byte(params), 0o600)
	script := "#!/bin/sh\ncase \"$1\" in\nbuild) cat '" + filepath.Join(bin, "out.json") + "';;\nbuild-params) cat '" + filepath.Join(bin, "params.json") + "';;\n*) echo \"unknown command $1\" >&2; exit 1;;\nesac\n"
	if err := os.WriteFile(filepath.Join(bin, "bicep"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestBicepFiles(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(examples, "bicep-avm", "main.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	compiled, _ := os.ReadFile(filepath.Join(examples, "bicep-avm", "main.json"))
	dir := t.TempDir()
	file := filepath.Join(dir, "main.bicep")
	os.WriteFile(file, src, 0o600)
	paramFile := filepath.Join(dir, "main.bicepparam")
	os.WriteFile(paramFile, []byte("using './main.bicep'\n\nparam name = 'psql-from-bicepparam'\nparam keyVaultName = 'kv'\nparam userAssignedIdentityName = 'id'\nparam workspaceResourceId = 'ws'\nparam administratorPassword = 'not-in-the-report'\n"), 0o600)
	read := DirectoryReader(Options{})

	t.Run("compiled with bicep", func(t *testing.T) {
		fakeBicep(t, string(compiled), `{"parametersJson": "{\"parameters\": {\"name\": {\"value\": \"psql-from-bicepparam\"}, \"keyVaultName\": {\"value\": \"kv\"}, \"userAssignedIdentityName\": {\"value\": \"id\"}, \"workspaceResourceId\": {\"value\": \"ws\"}}}"}`)
		inputs, consumed := read(dir, []string{file, paramFile, filepath.Join(dir, "other.json")})
		if len(consumed) != 2 || len(inputs) != 1 {
			t.Fatalf("consumed %v, %d inputs", consumed, len(inputs))
		}
		in := inputs[0]
		noErrors(t, in)
		if in.Location != file || len(in.Resources) != 5 {
			t.Fatalf("input %s with %d resources", in.Location, len(in.Resources))
		}
		srv := in.Resources[0]
		if srv.Name != "psql-from-bicepparam" || srv.Origin.File != file || srv.Origin.Line != lineOf(t, file, "resource server 'Microsoft.DBforPostgreSQL", 1) {
			t.Errorf("server %s at %s:%d", srv.Name, srv.Origin.File, srv.Origin.Line)
		}
		if cfg := in.Resources[1]; cfg.Origin.Line != lineOf(t, file, "resource serverConfigurations ", 1) {
			t.Errorf("copy instance %s at line %d", cfg.Address, cfg.Origin.Line)
		}
	})
	t.Run("bicep fails", func(t *testing.T) {
		fakeBicep(t, "not json", "{}")
		in := ExpandBicep(file, Options{})
		if len(in.Errors) != 1 || in.Errors[0].File != file || !strings.Contains(in.Errors[0].Msg, "invalid JSON") {
			t.Errorf("errors %v", in.Errors)
		}
	})
	t.Run("no bicep on PATH", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		inputs, consumed := read(dir, []string{file, paramFile})
		if len(consumed) != 2 || len(inputs) != 1 || len(inputs[0].Errors) != 1 {
			t.Fatalf("consumed %v, inputs %v", consumed, inputs)
		}
		if e := inputs[0].Errors[0]; e.File != file || !strings.Contains(e.Msg, "bicep build "+file) {
			t.Errorf("error %v", e)
		}
	})
	t.Run("compiled json beside it", func(t *testing.T) {
		fakeBicep(t, "bicep must not run", "{}")
		os.WriteFile(filepath.Join(dir, "main.json"), compiled, 0o600)
		defer os.Remove(filepath.Join(dir, "main.json"))
		inputs, consumed := read(dir, []string{file})
		if len(consumed) != 1 || len(inputs) != 1 || len(inputs[0].Errors) != 0 || len(inputs[0].Resources) != 0 {
			t.Fatalf("a .bicep beside its .json: consumed %v, inputs %+v", consumed, inputs)
		}
		if n := inputs[0].Notes; len(n) != 1 || !strings.HasPrefix(n[0], file+": ") || !strings.Contains(n[0], "main.json beside it was scanned") || strings.Contains(n[0], "install bicep") {
			t.Errorf("notes %q", n)
		}
	})
}

// TestBicepBesideCompiledTemplate: the layouts of the Azure Verified
// Modules (main.bicep, main.json) and of the Azure quickstarts (main.bicep,
// azuredeploy.json) scan the compiled JSON without a bicep executable, and
// say so in a note; a .bicep whose compiled form is not clearly beside it
// still needs compiling.
func TestBicepBesideCompiledTemplate(t *testing.T) {
	generated := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "metadata": {"_generator": {"name": "bicep", "version": "0.30.23.60470"}}, "resources": []}`
	handWritten := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": []}`
	cases := []struct {
		name  string
		files map[string]string // beside main.bicep
		// compiled is the file the note names; "" wants the error that
		// the .bicep needs compiling.
		compiled string
	}{
		{"avm module", map[string]string{"main.json": generated, "version.json": `{"version": "0.1"}`}, "main.json"},
		{"avm module, hand-written main.json", map[string]string{"main.json": handWritten}, "main.json"},
		{"quickstart", map[string]string{"azuredeploy.json": generated, "azuredeploy.parameters.json": `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}}`, "metadata.json": `{"itemDisplayName": "PostgreSQL"}`}, "azuredeploy.json"},
		{"quickstart with a hand-written template", map[string]string{"azuredeploy.json": handWritten}, ""},
		{"two .bicep files", map[string]string{"azuredeploy.json": generated, "other.bicep": "param x string"}, ""},
		{"two compiled templates", map[string]string{"azuredeploy.json": generated, "prod.json": generated}, ""},
		{"lone .bicep", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir()) // no bicep
			dir := t.TempDir()
			file := filepath.Join(dir, "main.bicep")
			os.WriteFile(file, []byte("param name string\n"), 0o600)
			for n, text := range c.files {
				os.WriteFile(filepath.Join(dir, n), []byte(text), 0o600)
			}
			inputs, consumed := DirectoryReader(Options{})(dir, []string{file})
			if len(consumed) != 1 || len(inputs) != 1 {
				t.Fatalf("consumed %v, %d inputs", consumed, len(inputs))
			}
			in := inputs[0]
			if c.compiled == "" {
				if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Msg, "needs compiling") || len(in.Notes) != 0 {
					t.Errorf("errors %v, notes %q; want the error that main.bicep needs compiling", in.Errors, in.Notes)
				}
				return
			}
			want := file + ": skipped; its compiled template " + c.compiled + " beside it was scanned (install bicep to compile the .bicep itself)"
			if len(in.Errors) != 0 || len(in.Notes) != 1 || in.Notes[0] != want {
				t.Errorf("errors %v, notes %q; want the note %q", in.Errors, in.Notes, want)
			}
		})
	}
}
