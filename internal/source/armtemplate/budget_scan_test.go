package armtemplate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
)

// TestBombDoesNotLoseOtherInputs scans a directory holding an expansion
// bomb and the hardened server template: the bomb is an error naming its
// file and line (exit code 2), and the server is judged as it is alone.
func TestBombDoesNotLoseOtherInputs(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "arm-templates", "hardened-server", "main.json"))
	if err != nil {
		t.Fatal(err)
	}
	vars := []string{`"v0": "abcdefgh"`}
	for i := 1; i <= 40; i++ {
		vars = append(vars, fmt.Sprintf(`"v%d": "[concat(variables('v%d'), variables('v%d'))]"`, i, i-1, i-1))
	}
	bomb := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
"variables": {
` + strings.Join(vars, ",\n") + `},
"resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2022-09-01", "name": "st", "location": "westus", "tags": {"x": "[variables('v40')]"}}]}`
	for name, data := range map[string][]byte{"bomb.json": []byte(bomb), "server/main.json": good} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	load := func() *scan.Loader {
		doc, dirReader := armtemplate.Readers(armtemplate.Options{})
		return &scan.Loader{Readers: []scan.DocumentReader{doc}, DirectoryReaders: []scan.DirectoryReader{dirReader}}
	}
	both := runScan(t, load().Load([]string{dir})...)
	alone := runScan(t, load().Load([]string{filepath.Join(dir, "server")})...)

	if len(both.Errors) != 1 || both.Errors[0].File != filepath.Join(dir, "bomb.json") || both.Errors[0].Line != 26 ||
		!strings.Contains(both.Errors[0].Message, "bomb.json:26: variables.v23: expansion budget exceeded: the expressions would build more than 64 MiB of strings in all (concat would make a value of 64 MiB, after 64 MiB built); expansion stopped at [concat(variables('v22'), variables('v22'))]") {
		t.Fatalf("errors %+v", both.Errors)
	}
	if code := scan.ExitCode(both, "never"); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if len(alone.Errors) != 0 {
		t.Fatalf("the server alone: errors %+v", alone.Errors)
	}
	count := func(rep []string) map[string]int {
		m := map[string]int{}
		for _, r := range rep {
			m[r]++
		}
		return m
	}
	var b, a []string
	for _, r := range both.Results {
		if r.ResourceType == "Microsoft.DBforPostgreSQL/flexibleServers" {
			b = append(b, r.RuleID+" "+string(r.Status))
		}
	}
	for _, r := range alone.Results {
		if r.ResourceType == "Microsoft.DBforPostgreSQL/flexibleServers" {
			a = append(a, r.RuleID+" "+string(r.Status))
		}
	}
	if len(a) == 0 || fmt.Sprint(count(a)) != fmt.Sprint(count(b)) {
		t.Errorf("the server's results differ beside the bomb: %d alone, %d with it", len(a), len(b))
	}
}
