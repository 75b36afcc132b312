//go:build unix

package load

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/source"
)

// loadWithin runs Load in a goroutine and fails the test when it blocks:
// a named pipe must never be opened for reading.
func loadWithin(t *testing.T, l *Loader, paths []string) []*source.Input {
	t.Helper()
	done := make(chan []*source.Input, 1)
	go func() { done <- l.Load(paths) }()
	select {
	case in := <-done:
		return in
	case <-time.After(10 * time.Second):
		t.Fatalf("loading %v blocked", paths)
		return nil
	}
}

// A named pipe in a directory walked, or behind a symbolic link there, is
// an error naming it; it is never opened (the load does not block), and the
// other files are still read. One the user names is read (process
// substitution).
func TestNamedPipeIsNotRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	if err := os.Symlink(fifo, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "notes.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	server := `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg", "type": "Microsoft.DBforPostgreSQL/flexibleServers", "name": "pg"}`
	if err := os.WriteFile(filepath.Join(dir, "server.json"), []byte(server), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone.json"), filepath.Join(dir, "broken.json")); err != nil {
		t.Fatal(err)
	}
	ins := loadWithin(t, &Loader{}, []string{dir})
	got := errorsOf(ins)
	want := []string{
		filepath.Join(dir, "broken.json") + ": no such file or directory",
		filepath.Join(dir, "link.json") + ": not a regular file (a named pipe); not read",
		fifo + ": not a regular file (a named pipe); not read",
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
	n := 0
	for _, in := range ins {
		n += len(in.Resources)
	}
	if n != 1 {
		t.Errorf("the server beside the pipe: %d resources, want 1", n)
	}
	// Named on its own, as a shell's process substitution names one
	// (scan <(az postgres flexible-server show ...)): read to its end.
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		_, _ = w.Write([]byte(server))
	}()
	named := loadWithin(t, &Loader{}, []string{fifo})
	if got := errorsOf(named); len(got) != 0 {
		t.Errorf("named pipe named: errors %q, want none", got)
	}
	if len(named) != 1 || len(named[0].Resources) != 1 {
		t.Errorf("named pipe named: %d inputs, want the server read from the pipe", len(named))
	}
	// A device.
	if _, err := os.Stat("/dev/zero"); err == nil {
		got = errorsOf(loadWithin(t, &Loader{}, []string{"/dev/zero"}))
		if want := []string{"/dev/zero: not a regular file (a device); not read"}; !slices.Equal(got, want) {
			t.Errorf("/dev/zero: %q, want %q", got, want)
		}
	}
}
