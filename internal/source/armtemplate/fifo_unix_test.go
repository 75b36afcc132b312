//go:build unix

package armtemplate_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
)

// A named pipe where a template's parameter file or linked template would
// be is never opened (it would block the scan): an error names it, and the
// template is still expanded.
func TestPairedNamedPipeIsNotRead(t *testing.T) {
	dir := t.TempDir()
	tmpl := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
 "contentVersion": "1.0.0.0",
 "parameters": {"name": {"type": "string", "defaultValue": "psql-pipe"}},
 "resources": [{"type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01",
   "name": "[parameters('name')]", "location": "westeurope", "properties": {"version": "16"}}]}`
	if err := os.WriteFile(filepath.Join(dir, "main.json"), []byte(tmpl), 0o600); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "main.parameters.json")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	doc, dirReader := armtemplate.Readers(armtemplate.Options{})
	loader := &load.Loader{Readers: []load.DocumentReader{doc}, DirectoryReaders: []load.DirectoryReader{dirReader}}
	done := make(chan []*source.Input, 1)
	go func() { done <- loader.Load([]string{dir}) }()
	var ins []*source.Input
	select {
	case ins = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scan blocked on the named pipe")
	}
	var errs []string
	servers := 0
	for _, in := range ins {
		for _, e := range in.Errors {
			errs = append(errs, e.Error())
		}
		for _, r := range in.Resources {
			if strings.HasSuffix(r.Type, "/flexibleServers") {
				servers++
			}
		}
	}
	if !strings.Contains(strings.Join(errs, "\n"), "main.parameters.json: not a regular file") {
		t.Errorf("errors %q, want one naming the pipe", errs)
	}
	if servers != 1 {
		t.Errorf("%d servers, want the template still expanded", servers)
	}
}
