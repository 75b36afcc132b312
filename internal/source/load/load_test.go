package load

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/source"
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
		got, err := readAll(f, 0)
		f.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
	// A file whose size is not known in advance (size 0 in its stat).
	if f, err := os.Open("/proc/self/status"); err == nil {
		got, err := readAll(f, 0)
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
	if _, err := readAll(f, 0); err == nil {
		t.Error("reading a directory gave no error")
	}
}

// ReadFile opens regular files only, and refuses one beyond its cap.
func TestReadFileCap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.json")
	if err := os.WriteFile(path, bytes.Repeat([]byte(" "), 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path, 1<<20); err == nil || err.Error() != "the file is larger than the limit of 1 MiB; not read" {
		t.Errorf("2 MiB file with a 1 MiB cap: %v", err)
	}
	if data, err := ReadFile(path, 2<<20); err != nil || len(data) != 2<<20 {
		t.Errorf("2 MiB file with a 2 MiB cap: %d bytes, %v", len(data), err)
	}
	if _, err := ReadFile(dir, 0); err == nil || err.Error() != "not a regular file (a directory); not read" {
		t.Errorf("directory: %v", err)
	}
	// The loader's cap: the error names the file.
	got := errorsOf((&Loader{MaxFileSize: 1 << 20}).Load([]string{path}))
	if want := []string{path + ": the file is larger than the limit of 1 MiB; not read"}; !slices.Equal(got, want) {
		t.Errorf("loader: %q, want %q", got, want)
	}
	// A streamed scan maps large exports up to MaxMappedSize.
	got = errorsOf((&Loader{LazyMin: 1 << 20, MaxMappedSize: 1 << 20}).Load([]string{path}))
	if want := []string{path + ": the file is larger than the limit of 1 MiB for an export read one server at a time; not read"}; !slices.Equal(got, want) {
		t.Errorf("mapped: %q, want %q", got, want)
	}
	// A file that says it is empty but is not (/proc) is cut at the cap.
	if f, err := os.Open("/proc/self/maps"); err == nil {
		_, err := readAll(f, 16)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "larger than the limit of 16 bytes") {
			t.Errorf("/proc/self/maps with a 16-byte cap: %v", err)
		}
	}
}

func errorsOf(ins []*source.Input) []string {
	var out []string
	for _, in := range ins {
		for _, e := range in.Errors {
			out = append(out, e.Error())
		}
	}
	return out
}

// TestLatin1Export: an export saved as Latin-1 is read (each bad byte as
// U+FFFD) and the scan says the file is not UTF-8, at the line.
func TestLatin1Export(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.json")
	body := "{\n \"id\": \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg\",\n" +
		" \"type\": \"Microsoft.DBforPostgreSQL/flexibleServers\", \"name\": \"pg\",\n \"tags\": {\"owner\": \"Ren\xe9\"}\n}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ins := (&Loader{}).Load([]string{path})
	if len(ins) != 1 || len(ins[0].Resources) != 1 {
		t.Fatalf("want the server read despite the encoding, got %d inputs", len(ins))
	}
	if len(ins[0].Errors) != 1 || ins[0].Errors[0].Line != 4 || !strings.Contains(ins[0].Errors[0].Msg, "not UTF-8") {
		t.Errorf("errors %v, want one saying the file is not UTF-8 at line 4", ins[0].Errors)
	}
}
