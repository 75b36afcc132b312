package serveconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestParseConfig(t *testing.T) {
	yaml := `
listen: 0.0.0.0:9090
database: sqlite:/var/lib/pgbaseline/history.db
rules:
  PGB-BR1-01:
    parameters: {minRetentionDays: 14}
tokens:
  - {name: ci, role: admin, sha256: "` + strings.ToUpper(hash) + `"}
  - {name: viewer, role: reader, sha256: "` + hash + `"}
targets:
  - {name: infra, paths: [./infra, /abs/tf], schedule: "@every 1h"}
  - {name: prod, azure: {subscriptions: ["00000000-0000-0000-0000-000000000001"], resourceGroups: [rg]}, schedule: "0 * * * *"}
  - {name: orders-db, postgres: {dsnEnv: ORDERS_DSN}, schedule: "@every 6h"}
  - {name: manual, postgres: {dsn: "host=db user=scanner dbname=orders"}}
webhooks:
  - {url: "https://hooks.example.com/pgb", secretEnv: HOOK_SECRET}
`
	c, err := Parse("/etc/pgbaseline/pgbaseline.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9090" || c.Database != "sqlite:/var/lib/pgbaseline/history.db" {
		t.Errorf("listen, database = %q, %q", c.Listen, c.Database)
	}
	if len(c.Tokens) != 2 || c.Tokens[0].SHA256 != hash || c.Tokens[0].Role != RoleAdmin || c.Tokens[1].Line != 9 {
		t.Errorf("tokens = %+v", c.Tokens)
	}
	if got, want := c.Target("infra").Paths, []string{"/etc/pgbaseline/infra", "/abs/tf"}; !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %v, want %v (relative to the file)", got, want)
	}
	if c.Target("prod").Azure.ResourceGroups[0] != "rg" || c.Target("prod").Sched().String() != "0 * * * *" {
		t.Errorf("prod = %+v", c.Target("prod"))
	}
	if c.Target("orders-db").Postgres.DSNEnv != "ORDERS_DSN" || c.Target("manual").Sched() != nil || c.Target("nope") != nil {
		t.Error("postgres targets or on-demand schedule wrong")
	}
	if got := c.Webhooks[0].Events; !reflect.DeepEqual(got, []string{EventRegression}) {
		t.Errorf("default webhook events = %v", got)
	}
	if c.Scan.Rule("PGB-BR1-01").Parameters["minRetentionDays"] != 14 {
		t.Errorf("the scan configuration of the same file was not read: %+v", c.Scan.Rules)
	}

	// Defaults, and the same keys under serve:.
	c, err = Parse("", []byte("serve:\n  targets:\n    - {name: x, paths: [a]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != DefaultListen || c.Database != DefaultDatabase || len(c.Targets) != 1 {
		t.Errorf("defaults = %+v", c)
	}
	if c, err = Parse("empty.yaml", nil); err != nil || len(c.Targets) != 0 {
		t.Errorf("an empty file: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown role", "tokens:\n  - {name: ci, role: root, sha256: " + hash + "}\n",
			`pgbaseline.yaml:2: tokens[0] (ci): role "root" is unknown: use admin or reader`},
		{"plain token", "tokens:\n  - name: ci\n    role: admin\n    token: s3cret\n",
			"pgbaseline.yaml:4: tokens[0]: token: secrets must not be written in the configuration"},
		{"bad hash", "tokens:\n  - {name: ci, role: admin, sha256: abc}\n", "pgbaseline.yaml:2: tokens[0] (ci): sha256 must be the 64 hex digits"},
		{"duplicate token", "tokens:\n  - {name: ci, role: admin, sha256: " + hash + "}\n  - {name: ci, role: reader, sha256: " + hash + "}\n",
			`pgbaseline.yaml:3: tokens[1]: duplicate token name "ci" (first at line 2)`},
		{"duplicate target", "targets:\n  - {name: infra, paths: [a]}\n\n  - {name: infra, paths: [b]}\n",
			"pgbaseline.yaml:4: targets[1] (infra): duplicate target name (first at line 2)"},
		{"bad schedule", "targets:\n  - {name: infra, paths: [a], schedule: \"61 * * * *\"}\n",
			`pgbaseline.yaml:2: targets[0] (infra): schedule "61 * * * *": minute: "61" is not a value from 0 to 59`},
		{"inline DSN password URL", "targets:\n  - name: db\n    postgres: {dsn: \"postgres://scanner:hunter2@db/orders\"}\n",
			"pgbaseline.yaml:2: targets[0] (db): postgres.dsn holds a password; put the DSN in an environment variable"},
		{"inline DSN password key=value", "targets:\n  - name: db\n    postgres: {dsn: \"host=db password=hunter2\"}\n",
			"postgres.dsn holds a password"},
		{"password key", "targets:\n  - name: db\n    postgres: {dsnEnv: X, password: hunter2}\n",
			"pgbaseline.yaml:3: targets[0].postgres: password: secrets must not be written"},
		{"two DSN sources", "targets:\n  - name: db\n    postgres: {dsnEnv: X, dsnFile: /run/dsn}\n", "exactly one of dsnEnv, dsnFile and dsn"},
		{"nothing to scan", "targets:\n  - name: empty\n    schedule: \"@daily\"\n", "pgbaseline.yaml:2: targets[0] (empty): say what to scan"},
		{"no name", "targets:\n  - paths: [a]\n", "pgbaseline.yaml:2: targets[0]: name is required"},
		{"bad name", "targets:\n  - {name: \"a b\", paths: [a]}\n", "a name is letters, digits"},
		{"misspelt key", "targets:\n  - name: infra\n    path: [a]\n", `pgbaseline.yaml:3: targets[0]: unknown key "path"`},
		{"targets not a list", "targets: {name: x}\n", "pgbaseline.yaml:1: targets must be a list"},
		{"webhook without secret", "webhooks:\n  - {url: \"https://h.example/x\"}\n", "pgbaseline.yaml:2: webhooks[0]: secretEnv is required"},
		{"webhook inline secret", "webhooks:\n  - {url: \"https://h.example/x\", secret: abc}\n", "webhooks[0]: secret: secrets must not be written"},
		{"webhook bad URL", "webhooks:\n  - {url: \"ftp://h.example/x\", secretEnv: S}\n", "url must be an http:// or https:// URL"},
		{"webhook bad event", "webhooks:\n  - {url: \"https://h.example/x\", secretEnv: S, events: [fixed]}\n", `event "fixed" is unknown`},
		{"database password", "database: postgres://pgb:hunter2@db/pgb\n", "database: the URL holds a password"},
		{"both top level and serve", "listen: :80\nserve:\n  listen: :81\n", "pgbaseline.yaml:1: listen is both at the top level and under serve"},
		{"bad YAML", "targets: [\n", "pgbaseline.yaml: invalid YAML"},
		{"wrong type", "targets:\n  - {name: x, paths: 3}\n", "pgbaseline.yaml:2: targets[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("pgbaseline.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows a secret: %v", err)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml: no such file") {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "pgbaseline.yaml")
	if err := os.WriteFile(p, []byte("targets:\n  - {name: x, paths: [infra]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != p || c.Targets[0].Paths[0] != filepath.Join(filepath.Dir(p), "infra") {
		t.Fatalf("loaded %+v", c)
	}
}
