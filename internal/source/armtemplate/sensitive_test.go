package armtemplate_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/report"
)

// secretTemplate reuses a securestring with a literal default as the
// administrator login, in tags (whole, in a connection string, upper
// case, base64), in a nested deployment's plain parameter, in a failing
// int() and in fail(); and decides passwordAuth from whether it is set.
const secretTemplate = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "adminPassword": {"type": "securestring", "defaultValue": "Tr0ub4dor&3-horse"},
    "short": {"type": "securestring", "defaultValue": "on"},
    "settings": {"type": "secureObject", "defaultValue": {"token": "s3cr3t-token-value"}}
  },
  "variables": {
    "connection": "[format('Server=psql-app.postgres.database.azure.com;User Id=app;Password={0};sslmode=require', parameters('adminPassword'))]"
  },
  "resources": [
    {
      "type": "Microsoft.DBforPostgreSQL/flexibleServers",
      "apiVersion": "2024-08-01",
      "name": "psql-app",
      "location": "westus",
      "tags": {
        "login": "[parameters('adminPassword')]",
        "connection": "[variables('connection')]",
        "upper": "[toUpper(parameters('adminPassword'))]",
        "encoded": "[base64(parameters('adminPassword'))]",
        "settings": "[string(parameters('settings'))]",
        "shortValue": "[parameters('short')]"
      },
      "sku": {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
      "properties": {
        "version": "16",
        "administratorLogin": "[parameters('adminPassword')]",
        "administratorLoginPassword": "[parameters('adminPassword')]",
        "authConfig": {"passwordAuth": "[if(empty(parameters('adminPassword')), 'Disabled', 'Enabled')]", "activeDirectoryAuth": "Enabled"},
        "network": {"publicNetworkAccess": "Disabled"},
        "storage": {"storageSizeGB": "[int(parameters('adminPassword'))]"}
      }
    },
    {
      "type": "Microsoft.DBforPostgreSQL/flexibleServers/configurations",
      "apiVersion": "2024-08-01",
      "name": "psql-app/require_secure_transport",
      "properties": {"value": "on", "source": "user-override"},
      "dependsOn": ["[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', 'psql-app')]"]
    },
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "inner",
      "properties": {
        "mode": "Incremental",
        "expressionEvaluationOptions": {"scope": "inner"},
        "parameters": {"plain": {"value": "[concat('pw=', parameters('adminPassword'))]"}},
        "template": {
          "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
          "contentVersion": "1.0.0.0",
          "parameters": {"plain": {"type": "string"}},
          "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2022-09-01", "name": "stapp", "location": "westus",
            "tags": {"fromParent": "[parameters('plain')]", "failed": "[fail(concat('bad password ', parameters('plain')))]"}}]
        }
      }
    }
  ]
}`

// TestSecretsAreMasked checks that a secret reused outside its secure
// parameter leaves no trace in the expanded resources, the errors, the
// notes, or any report format, while what does not hold it is kept.
func TestSecretsAreMasked(t *testing.T) {
	secrets := []string{"Tr0ub4dor&3-horse", "TR0UB4DOR&3-HORSE", base64.StdEncoding.EncodeToString([]byte("Tr0ub4dor&3-horse")), "s3cr3t-token-value"}
	dir := t.TempDir()
	file := filepath.Join(dir, "main.json")
	if err := os.WriteFile(file, []byte(secretTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	in := armtemplate.Expand(file, []byte(secretTemplate), armtemplate.Options{})

	var dump strings.Builder
	for _, r := range in.Resources {
		fmt.Fprintf(&dump, "%s %s %s %#v\n", r.ID, r.Name, r.MaybeAbsent, r.Object)
	}
	for _, e := range in.Errors {
		fmt.Fprintln(&dump, e.Error())
	}
	for _, n := range in.Notes {
		fmt.Fprintln(&dump, n)
	}
	for _, u := range in.Unresolved {
		fmt.Fprintln(&dump, u.Reason)
	}
	for _, s := range secrets {
		if strings.Contains(dump.String(), s) {
			t.Errorf("the expanded input holds the secret %q:\n%s", s, dump.String())
		}
	}

	if len(in.Resources) != 3 {
		t.Fatalf("%d resources", len(in.Resources))
	}
	server := in.Resources[0]
	masked := func(path string, nonEmpty bool) {
		t.Helper()
		v, _ := server.Get(path)
		u, ok := v.(arm.Unknown)
		if !ok || !u.NotNull || u.NonEmpty != nonEmpty || !strings.Contains(u.Reason, "sensitive value") {
			t.Errorf("%s = %#v, want a sensitive Unknown", path, v)
		}
	}
	for _, p := range []string{"properties.administratorLogin", "properties.administratorLoginPassword", "tags.login", "tags.connection", "tags.upper", "tags.encoded", "tags.settings", "tags.shortValue"} {
		masked(p, true)
	}
	for path, want := range map[string]any{"properties.authConfig.passwordAuth": "Enabled", "name": "psql-app"} {
		if v, _ := server.Get(path); v != want {
			t.Errorf("%s = %#v, want %q", path, v, want)
		}
	}
	if v, _ := in.Resources[1].Get("properties.value"); v != "on" {
		t.Errorf("the configuration's value is %#v: a two-letter secret masks only where it is read", v)
	}
	if v, _ := in.Resources[2].Get("tags.fromParent"); !strings.Contains(fmt.Sprint(v), "sensitive value") {
		t.Errorf("the nested deployment's tag is %#v, want a sensitive Unknown", v)
	}
	var errs []string
	for _, e := range in.Errors {
		errs = append(errs, e.Error())
	}
	joined := strings.Join(errs, "\n")
	for _, want := range []string{`int: cannot convert "***" to an integer`, "fail() is called: bad password ***"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the errors do not say %q:\n%s", want, joined)
		}
	}

	rep := runScan(t, in)
	for _, f := range report.Formats {
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, f, report.Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range secrets {
			if bytes.Contains(buf.Bytes(), []byte(s)) {
				t.Errorf("the %s report holds the secret %q", f, s)
			}
		}
	}
}
