package terraform

import (
	"fmt"
	"math/rand/v2"
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

// Cycles of references are errors naming the values and the line where
// the cycle starts; the rest of the module is still read. A cycle through
// a module call is not reported: the module is evaluated whole, where
// Terraform orders its inputs and outputs one by one.
func TestReferenceCycles(t *testing.T) {
	dir := writeHostile(t, map[string]string{
		"main.tf": server,
		"locals.tf": "locals {\n  a = local.b\n  b = local.a\n  c = local.c\n" +
			"  d = module.m.out\n  e = [1]\n}\n" +
			"module \"m\" {\n  source = \"./m\"\n  in = local.d\n}\n",
		"m/main.tf": "variable \"in\" {}\noutput \"out\" {\n  value = var.in\n}\noutput \"other\" {\n  value = 1\n}\n",
		"res.tf": "resource \"azurerm_subnet\" \"x\" {\n  name = azurerm_subnet.y.name\n}\n" +
			"resource \"azurerm_subnet\" \"y\" {\n  name = azurerm_subnet.x.name\n}\n" +
			"resource \"azurerm_subnet\" \"z\" {\n  name = module.n.other\n}\nmodule \"n\" {\n  source = \"./m\"\n  in = azurerm_subnet.z.id\n}\n",
	})
	errs, res := moduleErrors(dir, Options{})
	want := []string{
		"locals.tf:2: cycle: local.a → local.b → local.a",
		"locals.tf:4: cycle: local.c → local.c",
		"res.tf:1: cycle: azurerm_subnet.x → azurerm_subnet.y → azurerm_subnet.x",
	}
	slices.Sort(errs)
	if !slices.Equal(errs, want) {
		t.Errorf("errors\n%q\nwant\n%q", errs, want)
	}
	if res == 0 {
		t.Error("the server was not read")
	}
}

// A chain of references longer than MaxReferenceDepth (20,000 locals,
// each referring to the next) is an error, not a stack overflow.
func TestLongReferenceChain(t *testing.T) {
	var b strings.Builder
	b.WriteString("locals {\n")
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  a%d = [local.a%d]\n", i, i+1)
	}
	fmt.Fprintf(&b, "  a%d = 1\n}\n", n)
	dir := writeHostile(t, map[string]string{"main.tf": server, "chain.tf": b.String()})
	errs, res := moduleErrors(dir, Options{})
	if len(errs) != MaxErrorsPerFile+1 || !strings.HasPrefix(errs[0], fmt.Sprintf("chain.tf:%d: local.a%d: references nest deeper than the limit of %d values; it is not evaluated", 2+MaxReferenceDepth, MaxReferenceDepth, MaxReferenceDepth)) ||
		!strings.HasPrefix(errs[len(errs)-1], "chain.tf: … and ") {
		t.Errorf("errors %q", errs)
	}
	if res != 1 {
		t.Errorf("%d resources, want 1", res)
	}
}

// Modules that call each other (a → b → a), or themselves, are an error
// naming the calls, in every root the scan reads; the rest of each root
// is read.
func TestModuleCycle(t *testing.T) {
	root := writeHostile(t, map[string]string{
		"a/main.tf": server + "module \"b\" {\n  source = \"../b\"\n}\n",
		"b/main.tf": "module \"a\" {\n  source = \"../a\"\n}\n",
	})
	dr := DirectoryReader(Options{Paths: []string{root}})
	var errs []string
	res := 0
	for _, d := range []string{"a", "b"} {
		dir := filepath.Join(root, d)
		ins, _ := dr(dir, []string{filepath.Join(dir, "main.tf")})
		if len(ins) != 1 {
			t.Fatalf("%s: %d inputs, want 1 (a root)", d, len(ins))
		}
		for _, e := range ins[0].Errors {
			errs = append(errs, e.Error())
		}
		res += len(ins[0].Resources)
	}
	errs = errorTexts(root, errs)
	for i := range errs {
		errs[i] = strings.ReplaceAll(errs[i], root+string(filepath.Separator), "")
	}
	want := []string{
		`b/main.tf:1: module cycle: a/main.tf:7 module.b (source "../b") → b/main.tf:1 module.a (source "../a") calls a again; it is not read`,
		`a/main.tf:7: module cycle: b/main.tf:1 module.a (source "../a") → a/main.tf:7 module.b (source "../b") calls b again; it is not read`,
	}
	if !slices.Equal(errs, want) {
		t.Errorf("errors\n%q\nwant\n%q", errs, want)
	}
	if res != 2 {
		t.Errorf("%d resources, want 2 (the server of a, read as a root and through b)", res)
	}
}

// Modules nested deeper than MaxModuleDepth, without a cycle, are an
// error at the call past the limit.
func TestModuleDepthLimit(t *testing.T) {
	files := map[string]string{}
	for i := 0; i <= MaxModuleDepth+1; i++ {
		files[fmt.Sprintf("m%d/main.tf", i)] = fmt.Sprintf("module \"next\" {\n  source = \"../m%d\"\n}\n", i+1)
	}
	files[fmt.Sprintf("m%d/main.tf", MaxModuleDepth+2)] = server
	root := writeHostile(t, files)
	errs, _ := moduleErrors(filepath.Join(root, "m0"), Options{})
	want := []string{fmt.Sprintf("%s/m%d/main.tf:1: module.next: modules nest deeper than the limit of %d levels; it is not read", root, MaxModuleDepth, MaxModuleDepth)}
	if !slices.Equal(errs, want) {
		t.Errorf("errors %q, want %q", errs, want)
	}
}

// A file of random text gives at most MaxErrorsPerFile errors, and one
// entry counting the others; the other files are read.
func TestErrorsPerFile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Random text without brackets or quotes (with them, random text is
	// mostly nested too deep, a single error).
	const chars = "abcxyz019 _-=.:?!#\n\t$%*<>+~\x01\xff"
	junk := make([]byte, 100<<10)
	for i := range junk {
		junk[i] = chars[r.IntN(len(chars))]
	}
	dir := writeHostile(t, map[string]string{"main.tf": server, "junk.tf": string(junk)})
	in := ReadModule(dir, nil, Options{})
	if len(in.Errors) != MaxErrorsPerFile+1 {
		t.Fatalf("%d errors, want %d", len(in.Errors), MaxErrorsPerFile+1)
	}
	last := in.Errors[len(in.Errors)-1]
	if last.File != filepath.Join(dir, "junk.tf") || !strings.HasPrefix(last.Msg, "… and ") || !strings.HasSuffix(last.Msg, " more errors in this file") {
		t.Errorf("last error %q", last.Error())
	}
	for _, e := range in.Errors[:MaxErrorsPerFile] {
		if e.File != filepath.Join(dir, "junk.tf") || e.Line == 0 {
			t.Errorf("error without the file and line: %q", e.Error())
		}
	}
	if len(in.Resources) != 1 {
		t.Errorf("%d resources, want 1", len(in.Resources))
	}
}

// References nest a value deeper than its syntax: a value nested deeper
// than MaxNesting through them is an error at the expression, and stays
// unknown.
func TestDeepValueThroughReferences(t *testing.T) {
	wrap := func(s string) string { return strings.Repeat("[", 300) + s + strings.Repeat("]", 300) }
	dir := writeHostile(t, map[string]string{
		"main.tf":   server,
		"values.tf": "locals {\n  a = " + wrap("local.b") + "\n  b = " + wrap("1") + "\n  c = length(local.a)\n}\n",
	})
	errs, res := moduleErrors(dir, Options{})
	want := []string{fmt.Sprintf("values.tf:2:7: the value nests deeper than %d levels; it is not evaluated", MaxNesting)}
	if !slices.Equal(errs, want) {
		t.Errorf("errors %q, want %q", errs, want)
	}
	if res != 1 {
		t.Errorf("%d resources, want 1", res)
	}
}
