package terraform_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/terraform"
)

// loadServers walks paths as the scan does and returns, for each root
// read, "root: server addresses".
func loadServers(t *testing.T, paths []string, withPaths bool) []string {
	t.Helper()
	o := terraform.Options{}
	if withPaths {
		o.Paths = paths
	}
	l := &scan.Loader{DirectoryReaders: []scan.DirectoryReader{terraform.DirectoryReader(o)}}
	var out []string
	for _, in := range l.Load(paths) {
		var servers []string
		for _, r := range in.Resources {
			if strings.HasSuffix(r.Type, "/flexibleServers") {
				servers = append(servers, r.Address+"="+r.Name)
			}
		}
		sort.Strings(servers)
		out = append(out, filepath.ToSlash(in.Location)+": "+strings.Join(servers, ","))
	}
	sort.Strings(out)
	return out
}

// Roots are decided from the parsed module blocks of the scanned tree
// only: each server is read once, under its caller, and a directory is
// never made a child by a comment or by a file outside the scan.
func TestRootsFromScannedTree(t *testing.T) {
	td := "testdata"
	avm, roots := filepath.Join(td, "avm-repo"), filepath.Join(td, "roots")
	for _, c := range []struct {
		name      string
		paths     []string
		withPaths bool
		want      []string
	}{
		{"AVM repository: the examples call the module; read once per example", []string{avm}, true, []string{
			"testdata/avm-repo/examples/default: module.test.azurerm_postgresql_flexible_server.this=psql-avm-example",
		}},
		{"AVM repository without the scan paths: the examples are in the subtree", []string{avm}, false, []string{
			"testdata/avm-repo/examples/default: module.test.azurerm_postgresql_flexible_server.this=psql-avm-example",
		}},
		{"the module alone: a root, whatever calls it outside the scan", []string{filepath.Join(avm, "modules")}, true, []string{
			"testdata/avm-repo/modules/firewall: ",
		}},
		{"a caller beside the module, both scanned", []string{filepath.Join(roots, "envs"), filepath.Join(roots, "modules")}, true, []string{
			"testdata/roots/envs/prod: module.pg.azurerm_postgresql_flexible_server.this=psql-prod",
		}},
		{"a caller beside the module, without the scan paths (the walk reaches the caller first)", []string{filepath.Join(roots, "envs"), filepath.Join(roots, "modules")}, false, []string{
			"testdata/roots/envs/prod: module.pg.azurerm_postgresql_flexible_server.this=psql-prod",
		}},
		{"the module scanned, its caller not", []string{filepath.Join(roots, "modules")}, true, []string{
			"testdata/roots/modules/pg: azurerm_postgresql_flexible_server.this=unknown-azurerm_postgresql_flexible_server.this",
		}},
		{"commented-out calls and strings call nothing", []string{filepath.Join(roots, "legacy"), filepath.Join(roots, "standalone")}, true, []string{
			"testdata/roots/legacy: ",
			"testdata/roots/standalone: azurerm_postgresql_flexible_server.this=psql-standalone",
		}},
	} {
		got := loadServers(t, c.paths, c.withPaths)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, got, c.want)
		}
	}
}

// Directories that only call each other (no root reaches them) are read
// as roots: never missed.
func TestRootsCycle(t *testing.T) {
	got := loadServers(t, []string{filepath.Join("testdata", "roots", "cycle")}, true)
	if len(got) != 2 || !strings.Contains(got[0], "psql-cycle-a") {
		t.Errorf("cycle: %q", got)
	}
}
