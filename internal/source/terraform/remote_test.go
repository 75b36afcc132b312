package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/flexserver"
)

// A registry module that `terraform init` downloaded is read from
// .terraform/modules, under the caller's module address.
func TestDownloadedRegistryModule(t *testing.T) {
	dir := filepath.Join("testdata", "registry")
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	if len(in.Unresolved) != 0 {
		t.Errorf("unresolved: %+v", in.Unresolved)
	}
	res := byAddress(t, in)
	srv := res["module.postgresql.azurerm_postgresql_flexible_server.this"]
	if srv == nil {
		t.Fatalf("no server from the downloaded module; got %d resources", len(in.Resources))
	}
	wantID := sub + "/resourceGroups/rg-pg-avm/providers/" + flexserver.ServerType + "/psql-avm-demo"
	if srv.ID != wantID {
		t.Errorf("server id %s, want %s", srv.ID, wantID)
	}
	if want := filepath.Join(dir, ".terraform", "modules", "postgresql", "main.tf"); srv.Origin.File != want {
		t.Errorf("server origin %s, want %s", srv.Origin.File, want)
	}
	for path, want := range map[string]any{
		"properties.network.publicNetworkAccess": "Disabled", // the module's default
		"properties.highAvailability.mode":       "ZoneRedundant",
		"properties.version":                     "16",
	} {
		if got := get(t, srv, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	diag := res[`module.postgresql.azurerm_monitor_diagnostic_setting.this["to_law"]`]
	if diag == nil || !strings.HasPrefix(diag.ID, srv.ID+"/providers/") {
		t.Fatalf("diagnostic setting of the server: %+v", diag)
	}
	if got := get(t, diag, "properties.logs.0.categoryGroup"); got != "allLogs" {
		t.Errorf("diagnostic log group from the optional() default: %v", got)
	}
}

// Module calls whose source is not downloaded are errors at the call, with
// the fix, and stand for unseen resources; the rest of the root is read.
func TestModuleNotDownloaded(t *testing.T) {
	dir := filepath.Join("testdata", "not-initialized")
	main := filepath.Join(dir, "main.tf")
	in := ReadModule(dir, nil, Options{})
	res := byAddress(t, in)
	srv := res["azurerm_postgresql_flexible_server.main"]
	if srv == nil {
		t.Fatal("the root's own server is not read")
	}
	want := map[int]string{
		10: `module "diagnostics": source "git::https://github.com/example/terraform-azurerm-diagnostics.git?ref=v1.2.0" is not downloaded`,
		17: `module "naming": source "Azure/naming/azurerm" is not downloaded`,
	}
	if len(in.Errors) != len(want) {
		t.Errorf("errors: %v", in.Errors)
	}
	for _, e := range in.Errors {
		w, ok := want[e.Line]
		if !ok || e.File != main || !strings.Contains(e.Msg, w) || !strings.Contains(e.Msg, "terraform init -backend=false") {
			t.Errorf("error %s:%d: %s", e.File, e.Line, e.Msg)
		}
	}
	scopes := map[string]int{}
	for _, u := range in.Unresolved {
		if u.Type != "" || u.Origin.File != main || u.Reason == "" {
			t.Errorf("unresolved: %+v", u)
		}
		scopes[u.Scope] = u.Origin.Line
	}
	if len(scopes) != 2 || scopes[srv.ID] != 10 || scopes[""] != 17 {
		t.Errorf("unresolved scopes (scope → line): %v, want the server's id at 10 and any at 17", scopes)
	}
}

// A manifest without the module's key, a manifest naming a missing
// directory and a broken manifest are reported, never silently empty.
func TestModuleManifestProblems(t *testing.T) {
	call := `module "db" {
  source  = "Azure/avm-res-dbforpostgresql-flexibleserver/azurerm"
  version = "0.1.4"
}
`
	for _, c := range []struct {
		name, manifest, want string
		line                 int
		inManifest           bool
	}{
		{"no entry", `{"Modules":[{"Key":"","Source":"","Dir":"."}]}`, `is not in`, 1, false},
		{"missing directory", `{"Modules":[{"Key":"db","Source":"registry.terraform.io/Azure/avm-res-dbforpostgresql-flexibleserver/azurerm","Dir":".terraform/modules/db"}]}`, `holds no .tf files`, 1, false},
		{"a different source recorded (changed since terraform init)", `{"Modules":[{"Key":"db","Source":"registry.terraform.io/Azure/avm-res-dbformysql-flexibleserver/azurerm","Dir":"."}]}`, `records source`, 1, false},
		{"invalid JSON", "{\"Modules\":\n[{\"Key\": }]}", `invalid JSON`, 2, true},
		{"wrong shape", `{"Modules":{"Key":"db"}}`, `Modules must be`, 1, true},
	} {
		dir := writeModule(t, map[string]string{"main.tf": call, ".terraform/modules/modules.json": c.manifest})
		in := ReadModule(dir, nil, Options{})
		found := false
		for _, e := range in.Errors {
			file, line := filepath.Join(dir, "main.tf"), 1
			if c.inManifest {
				file, line = filepath.Join(dir, filepath.FromSlash(ManifestPath)), c.line
			}
			if e.File == file && e.Line == line && strings.Contains(e.Msg, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: errors %v, want %q", c.name, in.Errors, c.want)
		}
		if len(in.Unresolved) != 1 || in.Unresolved[0].Scope != "" {
			t.Errorf("%s: unresolved %+v", c.name, in.Unresolved)
		}
	}
}

// Nested calls are keyed "outer.inner" in modules.json.
func TestNestedDownloadedModule(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.tf": `module "app" {
  source = "./app"
}`,
		"app/main.tf": `module "db" {
  source = "github.com/example/terraform-azurerm-postgresql"
  name   = "psql-nested"
}`,
		".terraform/modules/modules.json": `{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"app","Source":"./app","Dir":"app"},
{"Key":"app.db","Source":"git::https://github.com/example/terraform-azurerm-postgresql.git","Dir":".terraform/modules/app.db"}]}`,
		".terraform/modules/app.db/main.tf": `variable "name" {}
resource "azurerm_postgresql_flexible_server" "this" {
  name                = var.name
  resource_group_name = "rg"
}`,
	})
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	res := byAddress(t, in)
	if srv := res["module.app.module.db.azurerm_postgresql_flexible_server.this"]; srv == nil || srv.Name != "psql-nested" {
		t.Errorf("nested downloaded module: %v", res)
	}
}

// FuzzModulesManifest parses arbitrary bytes as modules.json: never a
// panic, and an error always names the file and a line within it.
func FuzzModulesManifest(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "registry", filepath.FromSlash(ManifestPath))); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"Modules":[{"Key":"db.inner","Source":"git::https://x","Dir":"../../etc"}]}`))
	f.Add([]byte("{\"Modules\":\n[null, 1]}"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseModulesManifest("modules.json", data)
		if err != nil {
			lines := 1 + strings.Count(string(data), "\n")
			if err.File != "modules.json" || err.Line > lines || m != nil {
				t.Fatalf("error %+v for %d lines", err, lines)
			}
		}
	})
}

func TestSameSource(t *testing.T) {
	for _, c := range []struct {
		written, recorded string
		same              bool
	}{
		{"Azure/avm-res-dbforpostgresql-flexibleserver/azurerm", "registry.terraform.io/Azure/avm-res-dbforpostgresql-flexibleserver/azurerm", true},
		{"azure/AVM-res-dbforpostgresql-flexibleserver/azurerm//modules/x", "registry.terraform.io/Azure/avm-res-dbforpostgresql-flexibleserver/azurerm", true},
		{"Azure/avm-res-dbforpostgresql-flexibleserver/azurerm", "registry.terraform.io/Azure/avm-res-dbformysql-flexibleserver/azurerm", false},
		{"app.terraform.io/acme/postgresql/azurerm", "registry.terraform.io/acme/postgresql/azurerm", false},
		{"github.com/example/terraform-azurerm-postgresql", "git::https://github.com/example/terraform-azurerm-postgresql.git", true},
		{"git::https://example.com/x.git?ref=v1", "git::https://example.com/x.git?ref=v1", true},
	} {
		if got := sameSource(c.written, c.recorded); got != c.same {
			t.Errorf("sameSource(%q, %q) = %v", c.written, c.recorded, got)
		}
	}
}

// Module sources are printed without credentials.
func TestDisplaySource(t *testing.T) {
	for in, want := range map[string]string{
		"git::https://ghp_T0ken@github.com/acme/pg.git?ref=v1.2.0":           "git::https://***@github.com/acme/pg.git?ref=v1.2.0",
		"git::https://user:Pa55@dev.azure.com/acme/_git/pg":                  "git::https://***@dev.azure.com/acme/_git/pg",
		"git::ssh://git@github.com/acme/pg.git?ref=v1&sshkey=LS0tLS1CRUdJTg": "git::ssh://***@github.com/acme/pg.git?ref=v1&sshkey=***",
		"https://example.com/pg.zip?archive=zip&token=abc":                   "https://example.com/pg.zip?archive=zip&token=***",
		"Azure/avm-res-dbforpostgresql-flexibleserver/azurerm":               "Azure/avm-res-dbforpostgresql-flexibleserver/azurerm",
		"github.com/acme/terraform-azurerm-postgresql":                       "github.com/acme/terraform-azurerm-postgresql",
		"git::https://github.com/acme/pg.git//modules/server?ref=v2":         "git::https://github.com/acme/pg.git//modules/server?ref=v2",
	} {
		if got := displaySource(in); got != want {
			t.Errorf("displaySource(%q) = %q, want %q", in, got, want)
		}
	}
	dir := writeModule(t, map[string]string{"main.tf": `module "db" {
  source = "git::https://ghp_T0ken@github.com/acme/pg.git?ref=v1"
}`})
	in := ReadModule(dir, nil, Options{})
	for _, e := range in.Errors {
		if strings.Contains(e.Error(), "T0ken") {
			t.Errorf("token printed: %v", e)
		}
	}
	for _, u := range in.Unresolved {
		if strings.Contains(u.Reason, "T0ken") {
			t.Errorf("token in the unresolved reason: %v", u.Reason)
		}
	}
	if len(in.Errors) != 1 || len(in.Unresolved) != 1 {
		t.Errorf("errors %v, unresolved %v", in.Errors, in.Unresolved)
	}
}

// A local module whose directory holds no configuration is an error and
// stands for unseen resources, as a module not downloaded does.
func TestMissingLocalModule(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.tf": `resource "azurerm_postgresql_flexible_server" "s" {
  name                = "psql-local"
  resource_group_name = "rg"
}
module "diag" {
  source    = "./modules/diagnostics"
  server_id = azurerm_postgresql_flexible_server.s.id
}`})
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) != 1 || in.Errors[0].Line != 5 || !strings.Contains(in.Errors[0].Msg, "no .tf files") {
		t.Errorf("errors: %v", in.Errors)
	}
	if len(in.Unresolved) != 1 || !strings.HasSuffix(in.Unresolved[0].Scope, "/flexibleServers/psql-local") {
		t.Errorf("unresolved: %+v", in.Unresolved)
	}
}
