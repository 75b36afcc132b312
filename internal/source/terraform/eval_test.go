package terraform

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// serverWith reads a module holding one flexible server whose
// administrator_login is expr, and returns that property.
func evalExpr(t *testing.T, expr string) any {
	t.Helper()
	dir := writeModule(t, map[string]string{"main.tf": `
variable "m" {
  default = { a = "x", b = "y" }
}
locals {
  list = ["10.0.0.0/16", "b"]
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                = "s"
  resource_group_name = "rg"
  administrator_login = ` + expr + `
}
`})
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("%s: errors %v", expr, in.Errors)
	}
	v, _ := in.Resources[0].Get("properties.administratorLogin")
	return v
}

func TestFunctions(t *testing.T) {
	for _, c := range []struct {
		expr string
		want any
	}{
		{`format("%s-%03d", "psql", 7)`, "psql-007"},
		{`lookup(var.m, "a", "z")`, "x"},
		{`lookup(var.m, "q", "z")`, "z"},
		{`jsonencode(merge(var.m, { c = 1 }))`, `{"a":"x","b":"y","c":1}`},
		{`join(",", concat(["a"], ["b", "c"]))`, "a,b,c"},
		{`try(var.m.nope, "fallback")`, "fallback"},
		{`can(var.m.nope) ? "yes" : "no"`, "no"},
		{`coalesce("", "second")`, "second"},
		{`tostring(tonumber("42"))`, "42"},
		{`jsondecode("{\"k\": \"v\"}").k`, "v"},
		{`cidrsubnet("10.1.0.0/16", 8, 2)`, "10.1.2.0/24"},
		{`cidrhost("10.1.2.0/24", 5)`, "10.1.2.5"},
		{`lower("ABC")`, "abc"},
		{`upper("abc")`, "ABC"},
		{`replace("a-b-c", "-", "_")`, "a_b_c"},
		{`replace("a1b22", "/[0-9]+/", "#")`, "a#b#"},
		{`split(",", "a,b")[1]`, "b"},
		{`tostring(length(keys(var.m)))`, "2"},
		{`join("", values(var.m))`, "xy"},
		{`contains(local.list, "b") ? "in" : "out"`, "in"},
		{`element(local.list, 3)`, "b"},
		{`join(",", flatten([["a"], ["b", ["c"]]]))`, "a,b,c"},
		{`tostring(length(toset(["a", "a", "b"])))`, "2"},
		{`tolist(["a"])[0]`, "a"},
		{`tomap({ k = "v" })["k"]`, "v"},
		{`zipmap(["k"], ["v"]).k`, "v"},
		{`startswith("postgres", "post") ? "y" : "n"`, "y"},
		{`endswith("postgres", "gres") ? "y" : "n"`, "y"},
		{`trimspace("  x  ")`, "x"},
		{`[for k, v in var.m : "${k}=${v}"][0]`, "a=x"},
		{`local.list[*]`, []any{"10.0.0.0/16", "b"}},
		{`one(["only"])`, "only"},
		{`substr("postgresql", 0, 4)`, "post"},
		{`formatlist("%s!", ["a"])[0]`, "a!"},
		{`regex("^psql-(.*)$", "psql-prod")[0]`, "prod"},
		{`base64decode(base64encode("x"))`, "x"},
		{`tostring(max(1, 5, 3))`, "5"},
		{`tostring(sum([1, 2]))`, "3"},
		{`alltrue([true, true]) ? "t" : "f"`, "t"},
		{`sha256("x") != "" ? "hashed" : ""`, "hashed"},
		{`terraform.workspace`, "default"},
	} {
		if got := evalExpr(t, c.expr); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

func TestUnknowns(t *testing.T) {
	for _, c := range []struct {
		expr, reason string
	}{
		{`data.azurerm_key_vault_secret.admin.value`, "data.azurerm_key_vault_secret.admin"},
		{`module.registry.login`, "registry.terraform.io"},
		{`random_password.pw.result`, "random_password.pw is generated at apply"},
		{`var.nodefault`, `variable "nodefault" has no value`},
		{`"${data.azurerm_key_vault_secret.admin.value}-suffix"`, "data.azurerm_key_vault_secret.admin"},
		{`timestamp()`, "timestamp()"},
		{`azurerm_user_assigned_identity.id.principal_id`, "known only after apply"},
	} {
		dir := writeModule(t, map[string]string{"main.tf": `
variable "nodefault" {
  type = string
}
data "azurerm_key_vault_secret" "admin" {
  name = "x"
}
module "registry" {
  source = "registry.terraform.io/Azure/avm-res-dbforpostgresql-flexibleserver/azurerm"
}
resource "random_password" "pw" {
  length = 24
}
resource "azurerm_user_assigned_identity" "id" {
  name = "id"
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                = "s"
  resource_group_name = "rg"
  administrator_login = ` + c.expr + `
}
`})
		in := ReadModule(dir, nil, Options{})
		// The registry module is not downloaded: that, and only that, is
		// an error.
		if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Msg, `module "registry"`) {
			t.Fatalf("%s: %v", c.expr, in.Errors)
		}
		v, _ := in.Resources[0].Get("properties.administratorLogin")
		u, ok := v.(arm.Unknown)
		if !ok || !strings.Contains(u.Reason, c.reason) {
			t.Errorf("%s = %#v, want unknown because %q", c.expr, v, c.reason)
		}
	}
}

func TestVariablesPrecedence(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.tf": `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "tags" {
  type    = map(string)
  default = {}
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                = "s"
  resource_group_name = "rg"
  administrator_login = join(",", [var.a, var.b, var.c, var.d])
  tags                = var.tags
}
`,
		"terraform.tfvars": "b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\n",
		"z.auto.tfvars":    "c = \"auto\"\nd = \"auto\"\n",
		"prod.tfvars":      "d = \"file\"\n",
	})
	in := ReadModule(dir, nil, Options{VarFiles: []string{filepath.Join(dir, "prod.tfvars")},
		Vars: map[string]string{"tags": `{ env = "prod" }`, "undeclared": "ignored"}})
	if len(in.Errors) > 0 {
		t.Fatal(in.Errors)
	}
	r := in.Resources[0]
	if v, _ := r.Get("properties.administratorLogin"); v != "default,tfvars,auto,file" {
		t.Errorf("precedence: %v", v)
	}
	if v, _ := r.Get("tags.env"); v != "prod" {
		t.Errorf("--var of a map type: %v", v)
	}
}

func TestLimits(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
	}{
		{"count", `resource "azurerm_postgresql_flexible_server" "s" {
  count = 1000000000
  name  = "s${count.index}"
}`, "limit of 10000 instances"},
		{"for_each", `resource "azurerm_postgresql_flexible_server" "s" {
  for_each = toset([for i in range(1000) : [for j in range(20) : "${i}-${j}"]]...)
  name     = each.key
}`, ""},
		{"for_each flatten", `locals {
  keys = flatten([for i in range(1000) : [for j in range(11) : "${i}-${j}"]])
}
resource "azurerm_postgresql_flexible_server" "s" {
  for_each = toset(local.keys)
  name     = each.key
}`, "limit of 10000 instances"},
		{"negative count", `resource "azurerm_postgresql_flexible_server" "s" {
  count = -1
}`, "count must be a whole number"},
		{"module recursion", `module "self" {
  source = "./"
}`, `main.tf:1: module cycle: `},
		{"self reference", `locals {
  a = local.b
  b = local.a
}
resource "azurerm_postgresql_flexible_server" "s" {
  name = local.a
}`, "main.tf:2: cycle: local.a → local.b → local.a"},
	} {
		dir := writeModule(t, map[string]string{"main.tf": c.body})
		in := ReadModule(dir, nil, Options{})
		var msgs []string
		for _, e := range in.Errors {
			msgs = append(msgs, e.Error())
		}
		joined := strings.Join(msgs, "\n")
		if c.want != "" && !strings.Contains(joined, c.want) {
			t.Errorf("%s: errors %q, want one naming %q", c.name, joined, c.want)
		}
		if c.want != "" && !strings.Contains(joined, "main.tf:") {
			t.Errorf("%s: error without file and line: %q", c.name, joined)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"bad.tf": "resource \"azurerm_postgresql_flexible_server\" \"bad\" {\n  name = \"x\"\n  sku_name = \n}\n",
		"good.tf": `resource "azurerm_postgresql_flexible_server" "good" {
  name                = "good"
  resource_group_name = "rg"
}`,
	})
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) == 0 {
		t.Fatal("no error for a syntax error")
	}
	e := in.Errors[0]
	if e.File != filepath.Join(dir, "bad.tf") || e.Line != 3 || e.Column == 0 {
		t.Errorf("error position: %s (%d:%d)", e.Error(), e.Line, e.Column)
	}
	if !strings.Contains(e.Error(), "bad.tf:3:") {
		t.Errorf("message does not name file:line:column: %s", e.Error())
	}
	if len(in.Resources) != 1 || in.Resources[0].Name != "good" {
		t.Errorf("the other file was not read: %d resources", len(in.Resources))
	}
}

func TestSuppressions(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // rule|reason|expires|line
		err       string
	}{
		{"above", "# pgbaseline:ignore AZP-5e1de0e3 private later expires=2027-01-31\nresource \"azurerm_postgresql_flexible_server\" \"s\" {\n  name = \"s\"\n}\n",
			[]string{"AZP-5e1de0e3|private later|2027-01-31|1"}, ""},
		{"two above and inside", "// pgbaseline:ignore A\n# pgbaseline:ignore B no expiry\nresource \"azurerm_postgresql_flexible_server\" \"s\" {\n  name = \"s\" # pgbaseline:ignore C inline\n}\n",
			[]string{"A||0001-01-01|1", "B|no expiry|0001-01-01|2", "C|inline|0001-01-01|4"}, ""},
		{"not directly above", "# pgbaseline:ignore A\n\nresource \"azurerm_postgresql_flexible_server\" \"s\" {\n  name = \"s\"\n}\n", nil, ""},
		{"bad date", "# pgbaseline:ignore A expires=tomorrow\nresource \"azurerm_postgresql_flexible_server\" \"s\" {\n  name = \"s\"\n}\n", nil, "main.tf:1: inline suppression of A"},
	} {
		dir := writeModule(t, map[string]string{"main.tf": c.src})
		in := ReadModule(dir, nil, Options{})
		if c.err != "" {
			if len(in.Errors) == 0 || !strings.Contains(in.Errors[0].Error(), c.err) {
				t.Errorf("%s: errors %v, want %q", c.name, in.Errors, c.err)
			}
			continue
		}
		if len(in.Resources) != 1 {
			t.Fatalf("%s: %d resources", c.name, len(in.Resources))
		}
		var got []string
		for _, s := range in.Resources[0].Suppressions {
			got = append(got, fmt.Sprintf("%s|%s|%s|%d", s.RuleID, s.Reason, s.Expires.Format("2006-01-02"), s.Origin.Line))
		}
		if strings.Join(got, ";") != strings.Join(c.want, ";") {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		lines []int // lines of findings, in main.tf unless given
	}{
		{"sensitive variable without default is fine", map[string]string{"main.tf": `variable "administrator_password" {
  type      = string
  sensitive = true
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                   = "s"
  administrator_password = var.administrator_password
}`}, nil},
		{"random_password and Key Vault are fine", map[string]string{"main.tf": `resource "random_password" "pw" {
  length = 32
}
data "azurerm_key_vault_secret" "pw" {
  name = "pg"
}
resource "azurerm_postgresql_flexible_server" "a" {
  name                   = "a"
  administrator_password = random_password.pw.result
}
resource "azurerm_postgresql_flexible_server" "b" {
  name                   = "b"
  administrator_password = data.azurerm_key_vault_secret.pw.value
}`}, nil},
		// The default is reported when the variable sets a server's
		// password (an unused default is out of IM-8's scope: see
		// TestSecretsScope).
		{"literal, write-only and default", map[string]string{"main.tf": `variable "db_password" {
  default = "Default-Pa55"
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                      = "s"
  administrator_password_wo = "Wr1te-0nly"
}
locals {
  conn = "Server=psql;Database=app;User Id=app;Password=Kv-Pa55;"
}
resource "azurerm_postgresql_flexible_server" "t" {
  name                   = "t"
  administrator_password = var.db_password
}`}, []int{2, 6, 9, 13}},
		{"literal through a local", map[string]string{"main.tf": `locals {
  pw = "Local-Pa55"
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                   = "s"
  administrator_password = local.pw
}`}, []int{6}},
		{"interpolated password is fine", map[string]string{"main.tf": `variable "pw" {
  sensitive = true
}
locals {
  url = "postgres://app:${var.pw}@psql.postgres.database.azure.com/app"
}`}, nil},
		{"a --var value is fine", map[string]string{"main.tf": `variable "pw" {
  type = string
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                   = "s"
  administrator_password = var.pw
}`}, nil},
	} {
		dir := writeModule(t, c.files)
		in := ReadModule(dir, nil, Options{Vars: map[string]string{"pw": "Runtime-Pa55"}})
		var got []int
		for _, f := range in.Findings {
			got = append(got, f.Line)
		}
		if fmt.Sprint(sorted(got)) != fmt.Sprint(c.lines) {
			t.Errorf("%s: findings on lines %v, want %v: %+v", c.name, got, c.lines, in.Findings)
		}
		assertNoSecrets(t, in, "Default-Pa55", "Wr1te-0nly", "Kv-Pa55", "Local-Pa55", "Runtime-Pa55")
	}
}

func sorted(xs []int) []int {
	for i := range xs {
		for j := i + 1; j < len(xs); j++ {
			if xs[j] < xs[i] {
				xs[i], xs[j] = xs[j], xs[i]
			}
		}
	}
	return xs
}

func TestMajorOf(t *testing.T) {
	for c, want := range map[string]int{
		"~> 3.0": 3, "~> 3.116": 3, ">= 3.71, < 5.0": 4, ">= 3.0": 4, "= 3.117.0": 3, "4.10.0": 4, ">= 3.0, < 4.0": 3, "": 0, "~> 4": 4,
	} {
		if got := majorOf(c); got != want {
			t.Errorf("majorOf(%q) = %d, want %d", c, got, want)
		}
	}
}

func TestProviderMajorChangesDiagnosticLogs(t *testing.T) {
	src := func(v string) string {
		return `terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "` + v + `" }
  }
}
resource "azurerm_postgresql_flexible_server" "s" {
  name                = "s"
  resource_group_name = "rg"
}
resource "azurerm_monitor_diagnostic_setting" "d" {
  name               = "d"
  target_resource_id = azurerm_postgresql_flexible_server.s.id
  log {
    category = "PostgreSQLLogs"
    enabled  = true
  }
}`
	}
	for v, want := range map[string]int{"~> 3.0": 1, "~> 4.0": 0} {
		in := ReadModule(writeModule(t, map[string]string{"main.tf": src(v)}), nil, Options{})
		for _, r := range in.Resources {
			if r.Type == "Microsoft.Insights/diagnosticSettings" {
				logs, _ := r.Get("properties.logs")
				if n := len(logs.([]any)); n != want {
					t.Errorf("azurerm %s: %d logs, want %d", v, n, want)
				}
			}
		}
	}
}
