package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FuzzReadModule reads arbitrary text as a module's main.tf: it must never
// panic, and a resource's lines must lie within the file.
func FuzzReadModule(f *testing.F) {
	for _, p := range []string{"hardened/main.tf", "insecure/main.tf", "modules/postgresql/main.tf"} {
		if b, err := os.ReadFile(filepath.Join(examples, p)); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("resource \"azurerm_postgresql_flexible_server\" \"s\" {\n  count = 3\n  name = \"s${count.index}\"\n}\n")
	f.Add("locals { a = local.a }\nresource \"x\" \"y\" { for_each = local.a }\n")
	f.Add("resource \"azurerm_postgresql_flexible_server\" \"s\" {\n  dynamic \"authentication\" {\n    for_each = [1]\n    content { password_auth_enabled = false }\n  }\n}\n")
	f.Add("module \"m\" {\n  source = \"./\"\n}\n")
	f.Add("module \"db\" {\n  source  = \"Azure/avm-res-dbforpostgresql-flexibleserver/azurerm\"\n  version = \"0.1.4\"\n  server_id = azurerm_postgresql_flexible_server.s.id\n}\nresource \"azurerm_postgresql_flexible_server\" \"s\" {\n  name = \"s\"\n}\n")
	f.Add("variable \"create\" {\n  type = bool\n}\nresource \"azurerm_postgresql_flexible_server_active_directory_administrator\" \"a\" {\n  count = var.create ? 1 : 0\n}\nresource \"x\" \"y\" {\n  for_each = toset([var.create ? \"a\" : \"b\"])\n}\n")
	f.Add("variable \"o\" {\n  type = object({ a = optional(string, \"x\"), b = optional(list(object({ c = optional(number, 1) })), []) })\n  default = { b = [{}] }\n}\nlocals { v = var.o.b[0].c }\n")
	f.Add("resource \"azapi_resource\" \"p\" {\n  type = \"Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01\"\n  parent_id = \"/subscriptions/x/resourceGroups/rg\"\n  body = jsonencode({ properties = { administratorLoginPassword = \"x\" } })\n}\n")
	// Hostile inputs: nesting past the limit, cycles, long chains.
	f.Add("locals {\n  a = " + strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1) + "\n}\n")
	f.Add("locals {\n  a = <<EOT\n" + strings.Repeat("%{if true}${", MaxNesting/2+1) + "\nEOT\n}\n")
	f.Add("locals {\n  a = " + strings.Repeat("!", MaxNesting+1) + "true\n  b = \"${\"${[1]}\"}\"\n}\n")
	f.Add("locals {\n  a = local.b\n  b = [local.c]\n  c = local.a\n}\nresource \"azurerm_subnet\" \"x\" {\n  name = azurerm_subnet.x.id\n}\n")
	f.Add("locals {\n  a = jsondecode(\"" + strings.Repeat("[", MaxNesting+1) + "\")\n}\n")
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		in := ReadModule(dir, nil, Options{})
		for _, r := range in.Resources {
			if r.Origin.Line < 0 {
				t.Fatalf("negative line %d", r.Origin.Line)
			}
		}
	})
}

// FuzzVarFiles reads arbitrary bytes as --var-file files, HCL and JSON:
// never a panic, and every error names a file.
func FuzzVarFiles(f *testing.F) {
	f.Add([]byte("administrator_password = \"x\"\nenv = \"prod\"\n"))
	f.Add([]byte(`{"administrator_password": "x", "tags": {"a": ["b"]}}`))
	f.Add([]byte("{\n  \"x\": \n}"))
	f.Add([]byte("conn = \"postgres://u:p@h:5432/d\"\n"))
	f.Add([]byte("v = " + strings.Repeat("{a=", MaxNesting+1) + "1" + strings.Repeat("}", MaxNesting+1) + "\n"))
	f.Add([]byte(`{"v": "${` + strings.Repeat("[", MaxNesting) + `}"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		main := "variable \"administrator_password\" {}\nvariable \"env\" {}\n" +
			"resource \"azurerm_postgresql_flexible_server\" \"s\" {\n  name = \"s\"\n  administrator_password = var.administrator_password\n}\n"
		files := map[string][]byte{"main.tf": []byte(main), "prod.vars": data, "prod.tfvars.json": data}
		for n, b := range files {
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		in := ReadModule(dir, nil, Options{VarFiles: []string{filepath.Join(dir, "prod.vars"), filepath.Join(dir, "prod.tfvars.json")}})
		for _, e := range in.Errors {
			if e.File == "" {
				t.Fatalf("error without a file: %v", e)
			}
		}
	})
}

// FuzzNesting checks the nesting scan against HCL's parser: the syntax
// tree of text the scan lets through within max levels is at most about
// twice as deep (a block is a block and a body, an object element a key
// and a value), so the scan never counts fewer levels than the parser
// recurses through. A scan never panics, and the limit is monotone: text
// within a limit is within every higher one.
func FuzzNesting(f *testing.F) {
	f.Add("a = [[1]]\n", 2)
	f.Add("a = \"${[\"${(1)}\"]}\"\n", 3)
	f.Add("a = <<-EOT\n  ${[[1]]}\n  EOT\nb = {c = !-1 ? 2 : 3}\n", 4)
	f.Add("a = \"$${[[[\" # ((( \n/* {{{ */\n", 1)
	f.Add("b { c { d = %{if x}1%{endif} } }\n", 2)
	f.Add(strings.Repeat("(", 20)+strings.Repeat(")", 20), 10)
	f.Fuzz(func(t *testing.T, src string, max int) {
		if max < 1 || max > 64 {
			return
		}
		line := nestingLine([]byte(src), max)
		if line < 0 || line > strings.Count(src, "\n")+1 {
			t.Fatalf("line %d outside the text", line)
		}
		if line == 0 {
			if nestingLine([]byte(src), max+1) != 0 {
				t.Fatalf("within %d levels but not %d", max, max+1)
			}
			f, _ := hclsyntax.ParseConfig([]byte(src), "f.tf", hcl.InitialPos)
			if body, ok := f.Body.(*hclsyntax.Body); ok {
				w := &depthWalker{}
				hclsyntax.Walk(body, w)
				if w.max > 2*max+4 {
					t.Fatalf("within %d levels by the scan, but the syntax tree is %d deep", max, w.max)
				}
			}
		}
		jsonNestingLine([]byte(src), max)
	})
}

// depthWalker measures the depth of a syntax tree.
type depthWalker struct{ depth, max int }

func (w *depthWalker) Enter(hclsyntax.Node) hcl.Diagnostics {
	w.depth++
	w.max = max(w.max, w.depth)
	return nil
}

func (w *depthWalker) Exit(hclsyntax.Node) hcl.Diagnostics {
	w.depth--
	return nil
}
