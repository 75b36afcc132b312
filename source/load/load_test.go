package load

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// readAll reads a file whole whatever its size says, as os.ReadFile does.
func TestReadAll(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 512, 513, 100000} {
		want := bytes.Repeat([]byte("x"), n)
		path := filepath.Join(dir, "f.json")
		if err := os.WriteFile(path, want, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
	// A file whose size is not known in advance (size 0 in its stat).
	if f, err := os.Open("/proc/self/status"); err == nil {
		got, err := readAll(f)
		f.Close()
		if err != nil || !bytes.Contains(got, []byte("Name:")) {
			t.Errorf("/proc/self/status: %q, %v", got, err)
		}
	}
	// A directory cannot be read as a file.
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := readAll(f); err == nil {
		t.Error("reading a directory gave no error")
	}
}
