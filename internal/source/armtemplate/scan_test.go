package armtemplate_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/report"
)

func runScan(t *testing.T, inputs ...*source.Input) *report.Report {
	t.Helper()
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := scan.NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Run(context.Background(), scan.Options{Inputs: inputs, Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// controlVerdicts rolls the results up per control and resource:
// "control resource-type resource-name" -> the statuses seen.
func controlVerdicts(rep *report.Report) map[string]string {
	seen := map[string]map[report.Status]bool{}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.RuleID, "PGB-IM8") {
			continue // source-text rules read only templates and code
		}
		k := r.ControlID + " " + r.ResourceType + " " + r.ResourceName
		if seen[k] == nil {
			seen[k] = map[report.Status]bool{}
		}
		seen[k][r.Status] = true
	}
	out := map[string]string{}
	for k, set := range seen {
		var list []string
		for s := range set {
			list = append(list, string(s))
		}
		sort.Strings(list)
		out[k] = strings.Join(list, ",")
	}
	return out
}

// TestTemplateVerdictsMatchExport scans the hardened template and the export
// of the same deployment (examples/exports/hardened-server.json): each
// control must reach the same verdicts on each resource.
func TestTemplateVerdictsMatchExport(t *testing.T) {
	file := filepath.Join("..", "..", "..", "examples", "arm-templates", "hardened-server", "main.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := armtemplate.Expand(file, data, armtemplate.Options{Subscription: "6f1a9c52-3b7e-4d0a-9f4e-2c8b7d1e5a90", ResourceGroup: "rg-orders-prod", Location: "westeurope"})
	export := scan.LoadPaths([]string{filepath.Join("..", "..", "..", "examples", "exports", "hardened-server.json")})
	tRep, eRep := runScan(t, tmpl), runScan(t, export...)
	if len(tRep.Errors) > 0 || len(eRep.Errors) > 0 {
		t.Fatalf("errors: %+v %+v", tRep.Errors, eRep.Errors)
	}
	tv, ev := controlVerdicts(tRep), controlVerdicts(eRep)
	var keys []string
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got, ok := tv[k]; !ok || got != ev[k] {
			t.Errorf("%s: template %q, export %q", k, got, ev[k])
		}
	}
	for k := range tv {
		if _, ok := ev[k]; !ok {
			t.Errorf("%s: only the template has a verdict (%s)", k, tv[k])
		}
	}
	t.Logf("%d control verdicts compared", len(keys))
}

// TestLinkedTemplateNotScannedAlone walks the linked-template example as a
// scan does: the template under nested/, which main.json links to by a
// relative templateLink, is expanded through main.json only, not on its
// own (where its required parameters have no values).
func TestLinkedTemplateNotScannedAlone(t *testing.T) {
	doc, dir := armtemplate.Readers(armtemplate.Options{})
	loader := &scan.Loader{Readers: []scan.DocumentReader{doc}, DirectoryReaders: []scan.DirectoryReader{dir}}
	inputs := loader.Load([]string{filepath.Join("..", "..", "..", "examples", "arm-templates", "linked-template")})
	nested := filepath.Join("..", "..", "..", "examples", "arm-templates", "linked-template", "nested", "server.json")
	var servers int
	for _, in := range inputs {
		if filepath.Clean(in.Location) == filepath.Clean(nested) {
			t.Errorf("nested/server.json was read on its own")
		}
		for _, e := range in.Errors {
			t.Errorf("%s: %v", in.Location, e)
		}
		for _, r := range in.Resources {
			if r.Type == "Microsoft.DBforPostgreSQL/flexibleServers" && filepath.Clean(r.Origin.File) == filepath.Clean(nested) {
				servers++
			}
		}
	}
	if servers == 0 {
		t.Error("no server was expanded from the linked template")
	}
}
