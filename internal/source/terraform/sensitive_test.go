package terraform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// TestSensitiveValuesAreMasked: a value that went through a variable
// declared sensitive (or sensitive()) is never put in a resource, whatever
// property it flows into; rules see a value that is set.
func TestSensitiveValuesAreMasked(t *testing.T) {
	dir := t.TempDir()
	const login, tag = "pgadmin-Zq81", "ops-Vx55-secret"
	tf := `
variable "login" {
  type      = string
  sensitive = true
  default   = "` + login + `"
}
resource "azurerm_postgresql_flexible_server" "main" {
  name                = "psql-masked"
  resource_group_name = "rg"
  location            = "westeurope"
  version             = "16"
  administrator_login = var.login
  tags = {
    owner = sensitive("` + tag + `")
    plain = nonsensitive(sensitive("shown"))
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tf), 0o600); err != nil {
		t.Fatal(err)
	}
	in := ReadModule(dir, nil, Options{})
	var srv *arm.Resource
	for _, r := range in.Resources {
		if strings.HasSuffix(r.Type, "/flexibleServers") {
			srv = r
		}
	}
	if srv == nil {
		t.Fatalf("no server read; errors %v", in.Errors)
	}
	b, err := json.Marshal(srv.Object)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{login, tag} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the resource holds the sensitive value %q: %s", secret, b)
		}
	}
	v, _ := srv.Get("properties.administratorLogin")
	u, ok := v.(arm.Unknown)
	if !ok || !u.NotNull || !u.NonEmpty || !strings.Contains(u.Reason, "var.login") {
		t.Errorf("administratorLogin = %#v, want an Unknown that is set, non-empty and names var.login", v)
	}
	if got, _ := srv.Get("tags.plain"); got != "shown" {
		t.Errorf("tags.plain = %#v, want nonsensitive() to show it", got)
	}
}
