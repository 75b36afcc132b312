package terraform

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/source"
)

// findingLines returns "file:line" of each finding, file relative to dir.
func findingLines(t *testing.T, dir string, in *source.Input) []string {
	t.Helper()
	var out []string
	for _, f := range in.Findings {
		rel, err := filepath.Rel(dir, f.File)
		if err != nil {
			rel = f.File
		}
		out = append(out, fmt.Sprintf("%s:%d", filepath.ToSlash(rel), f.Line))
	}
	sort.Strings(out)
	return out
}

// IM-8 findings are about PostgreSQL credentials only: the secrets of
// other resources do not make a repository fail.
func TestSecretsScope(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		opts  func(dir string) Options
		want  []string
	}{
		{"a VM, an app setting and an unrelated Key Vault secret, no PostgreSQL", map[string]string{
			"main.tf": `variable "vm_admin_password" {
  default = "Vm-Pa55w0rd!"
}
resource "azurerm_linux_virtual_machine" "vm" {
  name           = "vm"
  admin_password = "Vm-L1teral!"
}
resource "azurerm_linux_web_app" "app" {
  name = "app"
  app_settings = {
    API_SECRET  = "App-S3cret"
    SQL_CONN    = "Server=tcp:sql.database.windows.net;Database=app;User ID=app;Password=Sql-Pa55;"
  }
}
resource "azurerm_key_vault_secret" "vm" {
  name  = "vm-admin-password"
  value = "Kv-Vm-Pa55"
}
resource "azurerm_windows_virtual_machine" "w" {
  admin_password = var.vm_admin_password
}`,
			"terraform.tfvars": `vm_admin_password = "Tfvars-Vm-Pa55"
`}, nil, nil},
		{"PostgreSQL credentials in the same repository", map[string]string{
			"main.tf": `variable "pg_admin_password" {
  type      = string
  sensitive = true
}
resource "azurerm_linux_virtual_machine" "vm" {
  admin_password = "Vm-L1teral!"
}
resource "azurerm_postgresql_flexible_server" "pg" {
  name                   = "psql-app"
  administrator_password = var.pg_admin_password
}
resource "azurerm_key_vault_secret" "pg" {
  name  = "psql-admin-password"
  value = "Kv-Pg-Pa55"
}
resource "azurerm_linux_web_app" "app" {
  app_settings = {
    DATABASE_URL = "postgresql://app:Url-Pa55@psql-app.postgres.database.azure.com:5432/app?sslmode=require"
    JDBC         = "jdbc:postgresql://psql-app.postgres.database.azure.com:5432/app?user=app&password=Jdbc-Pa55"
  }
}
resource "azurerm_postgresql_flexible_server_configuration" "c" {
  name      = "pgaudit.log"
  server_id = azurerm_postgresql_flexible_server.pg.id
  value     = "host=other user=x password=Conf-Pa55"
}`,
			"terraform.tfvars": `pg_admin_password = "Tfvars-Pg-Pa55"
`}, nil, []string{"main.tf:10", "main.tf:14", "main.tf:18", "main.tf:19", "main.tf:25", "terraform.tfvars:1"}},
		{"a --var-file of any name is checked as terraform.tfvars is", map[string]string{
			"main.tf": `variable "administrator_password" {
  type = string
}
variable "env" {
  type = string
}
variable "vm_password" {
  type    = string
  default = null
}
resource "azurerm_postgresql_flexible_server" "pg" {
  name                   = "psql-${var.env}"
  administrator_password = var.env == "prod" ? var.administrator_password : "x-${var.env}"
}`,
			"envs/prod.vars": `env                    = "prod"
administrator_password = "VarFile-Pa55"
vm_password            = "VarFile-Vm-Pa55"
`,
			// Beside the module, not loaded: checked all the same.
			"staging.tfvars": `vm_password            = "Staging-Vm-Pa55"
administrator_password = "Staging-Pa55"
`}, func(dir string) Options {
			return Options{VarFiles: []string{filepath.Join(dir, "envs", "prod.vars")}}
		}, []string{"envs/prod.vars:2", "main.tf:13", "staging.tfvars:2"}},
		{"JSON variable files: terraform.tfvars.json and a --var-file", map[string]string{
			"main.tf": `variable "administrator_password" {
  type = string
}
variable "login" {
  type = string
}
resource "azurerm_postgresql_flexible_server" "pg" {
  name                   = "psql-json"
  administrator_login    = var.login
  administrator_password = var.administrator_password
}`,
			"terraform.tfvars.json": `{
  "login": "psqladmin",
  "administrator_password": "Json-Auto-Pa55"
}`,
			"prod.tfvars.json": `{
  "administrator_password": "Json-VarFile-Pa55"
}`,
		}, func(dir string) Options {
			return Options{VarFiles: []string{filepath.Join(dir, "prod.tfvars.json")}}
		}, []string{"main.tf:10", "prod.tfvars.json:2", "terraform.tfvars.json:3"}},
		{"a literal module argument that sets a server password", map[string]string{
			"main.tf": `module "pg" {
  source   = "./pg"
  password = "Module-Pa55"
  tags     = { owner = "team" }
}
module "vm" {
  source   = "./vm"
  password = "Module-Vm-Pa55"
}`,
			"pg/main.tf": `variable "password" {}
variable "tags" {}
resource "azurerm_postgresql_flexible_server" "this" {
  name                   = "psql-mod"
  administrator_password = var.password
  tags                   = var.tags
}`,
			"vm/main.tf": `variable "password" {}
resource "azurerm_linux_virtual_machine" "this" {
  admin_password = var.password
}`,
		}, nil, []string{"main.tf:3", "pg/main.tf:5"}},
		{"a literal password given to a PostgreSQL module that is not downloaded", map[string]string{
			"main.tf": `module "postgresql" {
  source                 = "Azure/avm-res-dbforpostgresql-flexibleserver/azurerm"
  administrator_password = "Avm-Pa55"
}
module "vm" {
  source         = "Azure/avm-res-compute-virtualmachine/azurerm"
  admin_password = "Avm-Vm-Pa55"
}`,
		}, nil, []string{"main.tf:3"}},
		{"an azapi server body", map[string]string{
			"main.tf": `resource "azapi_resource" "pg" {
  type      = "Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01"
  name      = "psql-azapi"
  parent_id = "/subscriptions/x/resourceGroups/rg"
  body = {
    properties = {
      administratorLogin         = "psqladmin"
      administratorLoginPassword = "Azapi-Pa55"
    }
  }
}
resource "azapi_resource" "vm" {
  type = "Microsoft.Compute/virtualMachines@2024-03-01"
  body = {
    properties = { osProfile = { adminPassword = "Azapi-Vm-Pa55" } }
  }
}`,
		}, nil, []string{"main.tf:8"}},
	} {
		dir := writeModule(t, c.files)
		o := Options{}
		if c.opts != nil {
			o = c.opts(dir)
		}
		in := ReadModule(dir, nil, o)
		for _, e := range in.Errors {
			if !strings.Contains(e.Msg, "is not downloaded") {
				t.Errorf("%s: error %v", c.name, e)
			}
		}
		if got := findingLines(t, dir, in); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: findings at %v, want %v", c.name, got, c.want)
		}
		assertNoSecrets(t, in, "Vm-Pa55w0rd!", "Vm-L1teral!", "App-S3cret", "Sql-Pa55", "Kv-Vm-Pa55", "Tfvars-Vm-Pa55",
			"Kv-Pg-Pa55", "Url-Pa55", "Jdbc-Pa55", "Tfvars-Pg-Pa55", "VarFile-Pa55", "VarFile-Vm-Pa55",
			"Module-Pa55", "Module-Vm-Pa55", "Azapi-Pa55", "Azapi-Vm-Pa55", "Json-Auto-Pa55", "Json-VarFile-Pa55", "Staging-Pa55", "Staging-Vm-Pa55", "Avm-Pa55", "Avm-Vm-Pa55")
	}
}

// A --var-file read by every root of a scan is reported once.
func TestVarFileReportedOnce(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"a/main.tf": `variable "administrator_password" {}
resource "azurerm_postgresql_flexible_server" "a" {
  name                   = "psql-a"
  administrator_password = var.administrator_password
}`,
		"b/main.tf": `variable "administrator_password" {}
resource "azurerm_postgresql_flexible_server" "b" {
  name                   = "psql-b"
  administrator_password = var.administrator_password
}`,
		"shared.tfvars": `administrator_password = "Shared-Pa55"
`,
	})
	read := DirectoryReader(Options{VarFiles: []string{filepath.Join(dir, "shared.tfvars")}, Paths: []string{dir}})
	n := 0
	for _, sub := range []string{"a", "b"} {
		ins, _ := read(filepath.Join(dir, sub), []string{filepath.Join(dir, sub, "main.tf"), filepath.Join(dir, sub, "x.md")})
		for _, in := range ins {
			for _, f := range in.Findings {
				if f.File == filepath.Join(dir, "shared.tfvars") {
					n++
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("the --var-file finding is reported %d times, want once", n)
	}
}

// terraform.tfvars.json and *.auto.tfvars.json are loaded as Terraform
// loads them, after terraform.tfvars, and a JSON --var-file after them.
func TestTfvarsJSON(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.tf": `variable "login" {}
variable "zone" {}
variable "sku" {}
resource "azurerm_postgresql_flexible_server" "pg" {
  name                = "psql-json"
  administrator_login = var.login
  zone                = var.zone
  sku_name            = var.sku
}`,
		"terraform.tfvars":       `login = "from-hcl"` + "\n" + `zone = "1"` + "\n",
		"terraform.tfvars.json":  `{"login": "from-json", "sku": "B_Standard_B1ms"}`,
		"a.auto.tfvars.json":     `{"zone": "2"}`,
		"override.tfvars.json":   `{"sku": "GP_Standard_D2s_v3"}`,
		"not-loaded.tfvars.json": `{"zone": "3"}`,
	})
	in := ReadModule(dir, nil, Options{VarFiles: []string{filepath.Join(dir, "override.tfvars.json")}})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	srv := in.Resources[0]
	for path, want := range map[string]any{
		"properties.administratorLogin": "from-json",
		"properties.availabilityZone":   "2",
		"sku.name":                      "Standard_D2s_v3",
	} {
		if got := get(t, srv, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	bad := writeModule(t, map[string]string{"main.tf": `variable "x" {}`, "terraform.tfvars.json": "{\n  \"x\": \n}"})
	in = ReadModule(bad, nil, Options{})
	if len(in.Errors) != 1 || in.Errors[0].File != filepath.Join(bad, "terraform.tfvars.json") || in.Errors[0].Line != 3 {
		t.Errorf("a broken terraform.tfvars.json: %v", in.Errors)
	}
}
