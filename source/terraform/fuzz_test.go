package terraform

import (
	"os"
	"path/filepath"
	"testing"
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
