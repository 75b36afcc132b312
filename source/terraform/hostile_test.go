package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const server = `resource "azurerm_postgresql_flexible_server" "s" {
  name                = "s"
  resource_group_name = "rg"
  location            = "westeurope"
  version             = "16"
}
`

// writeModule writes files into a new directory and returns it.
func writeHostile(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, s := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func errorTexts(dir string, errs []string) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = strings.ReplaceAll(e, dir+string(filepath.Separator), "")
	}
	return out
}

func moduleErrors(dir string, o Options) ([]string, int) {
	in := ReadModule(dir, nil, o)
	var errs []string
	for _, e := range in.Errors {
		errs = append(errs, e.Error())
	}
	return errorTexts(dir, errs), len(in.Resources)
}

// Deeply nested HCL (60,000 levels and more: brackets, braces, blocks,
// parentheses, interpolations, operator chains) is an error naming the
// file and the line where it passes the limit, and the other files of the
// module are still read. Before, it overflowed the stack and killed the
// process.
func TestDeepNesting(t *testing.T) {
	const n = 60000
	deep := func(open, close string) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	cases := map[string]string{
		"tuples":        "x = 1\n\nlocals {\n  a = " + deep("[", "]") + "\n}\n",
		"objects":       "x = 1\n\nlocals {\n  a = " + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n) + "\n}\n",
		"parentheses":   "x = 1\n\nlocals {\n  a = " + deep("(", ")") + "\n}\n",
		"blocks":        "x = 1\n\nresource \"a\" \"b\" {\n" + strings.Repeat("b {\n", n) + strings.Repeat("}\n", n) + "}\n",
		"interpolation": "x = 1\n\nlocals {\n  a = " + strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n) + "\n}\n",
		"heredoc":       "x = 1\n\nlocals {\n  a = <<EOT\n" + strings.Repeat("${[", n) + "\nEOT\n}\n",
		"directives":    "x = 1\n\nlocals {\n  a = <<EOT\n" + strings.Repeat("%{if true}", n) + strings.Repeat("%{endif}", n) + "\nEOT\n}\n",
		"not":           "x = 1\n\nlocals {\n  a = " + strings.Repeat("!", n) + "true\n}\n",
		"negation":      "x = 1\n\nlocals {\n  a = " + strings.Repeat("- ", n) + "1\n}\n",
		"conditionals":  "x = 1\n\nlocals {\n  a = " + strings.Repeat("true ? 1 : ", n) + "2\n}\n",
		"sums":          "x = 1\n\nlocals {\n  a = " + strings.Repeat("1 + ", n) + "1\n}\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeHostile(t, map[string]string{"deep.tf": src, "main.tf": server})
			errs, res := moduleErrors(dir, Options{})
			want := []string{fmt.Sprintf("deep.tf:4: nesting deeper than %d levels; the file is not read", MaxNesting)}
			if name == "heredoc" || name == "directives" {
				want = []string{fmt.Sprintf("deep.tf:5: nesting deeper than %d levels; the file is not read", MaxNesting)}
			}
			if name == "blocks" {
				want = []string{fmt.Sprintf("deep.tf:%d: nesting deeper than %d levels; the file is not read", 3+MaxNesting, MaxNesting)}
			}
			if !slices.Equal(errs, want) {
				t.Errorf("errors %q, want %q", errs, want)
			}
			if res != 1 {
				t.Errorf("%d resources from main.tf, want 1", res)
			}
		})
	}
}

// Nesting up to the limit is read; the limit counts levels, not brackets
// in strings, comments or heredoc text.
func TestNestingWithinLimit(t *testing.T) {
	src := "locals {\n  a = " + strings.Repeat("[", MaxNesting-2) + "1" + strings.Repeat("]", MaxNesting-2) + "\n" +
		"  b = \"" + strings.Repeat("[", 2*MaxNesting) + "\"\n" +
		"  # " + strings.Repeat("(", 2*MaxNesting) + "\n" +
		"  /* " + strings.Repeat("{", 2*MaxNesting) + " */\n" +
		"  c = <<-EOT\n    " + strings.Repeat("[", 2*MaxNesting) + "\n    EOT\n" +
		"  d = [" + strings.Repeat("!true, -1, a-b + 2 ? 3 : 4,\n", 2*MaxNesting) + "]\n" +
		"  e = \"$${" + strings.Repeat("[", 2*MaxNesting) + "\"\n" +
		"}\n"
	dir := writeHostile(t, map[string]string{"main.tf": server + src})
	if errs, res := moduleErrors(dir, Options{}); len(errs) != 0 || res != 1 {
		t.Errorf("errors %q, %d resources; want none and 1", errs, res)
	}
}

// Variable files and --var values: the same limit, the error naming the
// file or the variable; the module is still read.
func TestDeepNestingValues(t *testing.T) {
	const n = 60000
	deep := strings.Repeat("[", n) + strings.Repeat("]", n)
	dir := writeHostile(t, map[string]string{
		"main.tf":            server + "variable \"v\" {\n  type = list(any)\n  default = []\n}\nvariable \"w\" {\n  default = 1\n}\n",
		"terraform.tfvars":   "w = 2\nv = " + deep + "\n",
		"a.auto.tfvars.json": "{\n  \"v\": " + deep + "\n}\n",
		"b.auto.tfvars.json": "{\n  \"v\": \"${" + deep + "}\"\n}\n",
		"c.auto.tfvars.json": "{\n  \"w\": \"${jsondecode(\\\"" + deep + "\\\")}\"\n}\n",
		"d.auto.tfvars":      "w = jsondecode(\"" + deep + "\")\n",
		"modules/m/main.tf":  deep,
		"modules.tf":         "module \"m\" {\n  source = \"./modules/m\"\n}\n",
	})
	errs, res := moduleErrors(dir, Options{Vars: map[string]string{"v": deep}})
	want := []string{
		"a.auto.tfvars.json:2: nesting deeper than 500 levels; the file is not read",
		"b.auto.tfvars.json:2: nesting deeper than 500 levels; the file is not read",
		"terraform.tfvars:2: nesting deeper than 500 levels; the file is not read",
		"--var v: the value nests deeper than 500 levels; not read",
		"modules/m/main.tf:1: nesting deeper than 500 levels; the file is not read",
	}
	slices.Sort(errs)
	slices.Sort(want)
	if !slices.Equal(errs, want) {
		t.Errorf("errors\n%q\nwant\n%q", errs, want)
	}
	if res != 1 {
		t.Errorf("%d resources, want 1", res)
	}
}
