//go:build unix

package terraform

import (
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A named pipe as a module's .tf file or as a --var-file is an error
// naming it, never opened for reading (the read does not block); the rest
// of the module is read.
func TestNamedPipes(t *testing.T) {
	dir := writeHostile(t, map[string]string{"main.tf": server})
	for _, n := range []string{"pipe.tf", "prod.tfvars"} {
		if err := syscall.Mkfifo(filepath.Join(dir, n), 0o600); err != nil {
			t.Skip("no named pipes here:", err)
		}
	}
	type result struct {
		errs []string
		res  int
	}
	done := make(chan result, 1)
	go func() {
		errs, res := moduleErrors(dir, Options{VarFiles: []string{filepath.Join(dir, "prod.tfvars")}})
		done <- result{errs, res}
	}()
	select {
	case r := <-done:
		want := []string{
			"pipe.tf: not a regular file (a named pipe); not read",
			"prod.tfvars: not a regular file (a named pipe); not read",
		}
		if !slices.Equal(r.errs, want) {
			t.Errorf("errors %q, want %q", r.errs, want)
		}
		if r.res != 1 {
			t.Errorf("%d resources, want 1", r.res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a module with named pipes blocked")
	}
}
