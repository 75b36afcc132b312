package load

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// File size caps. A file beyond its cap is an error naming it, and is not
// read: a file that grows while it is read (a log, /dev/zero behind a
// symbolic link) cannot take the memory of the process.
const (
	// DefaultMaxFileSize is the largest file read into memory: a
	// Terraform plan, an ARM template, an export read whole.
	DefaultMaxFileSize = 256 << 20
	// DefaultMaxMappedSize is the largest export a streamed scan lists
	// for the fleet path (Loader.LazyMin): such a file is mapped into
	// memory, not read, and judged one flexible server at a time.
	DefaultMaxMappedSize = 4 << 30
)

// OpenRegular opens a regular file (or a symbolic link to one) for
// reading. A named pipe, socket, device or directory is an error, and is
// never opened for reading, so that it cannot block the scan or feed it
// without end: the path is checked before it is opened, and the opened
// file again (it may have been replaced in between). The error's text
// does not repeat the path.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, NotRegularError(st.Mode())
	}
	f, err := openNonblocking(path)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, NotRegularError(st.Mode())
	}
	return f, st, nil
}

// NotRegularError is the error for a file of the given mode that is not
// a regular file.
func NotRegularError(mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what += " (a named pipe)"
	case mode&fs.ModeSocket != 0:
		what += " (a socket)"
	case mode&fs.ModeDevice != 0:
		what += " (a device)"
	case mode.IsDir():
		what += " (a directory)"
	}
	return fmt.Errorf("%s; not read", what)
}

// TooLargeError is the error for a file beyond a size cap.
func TooLargeError(max int64) error {
	return fmt.Errorf("the file is larger than the limit of %s; not read", SizeString(max))
}

// SizeString writes a size in bytes, in MiB or GiB when it is whole ones.
func SizeString(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadFile reads a regular file of at most max bytes (DefaultMaxFileSize
// when max is not above 0). A file that is not a regular one, or larger,
// is an error (see OpenRegular and TooLargeError).
func ReadFile(path string, max int64) ([]byte, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, max)
}

// readAll reads f to its end into a buffer of the file's size, as
// os.ReadFile does, and at most max bytes (DefaultMaxFileSize when max is
// not above 0): a larger file, or one that grows beyond max while it is
// read, is a TooLargeError.
func readAll(f *os.File, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxFileSize
	}
	size := 512
	if st, err := f.Stat(); err == nil && st.Size() > 0 && int64(int(st.Size())) == st.Size() {
		if st.Mode().IsRegular() && st.Size() > max {
			return nil, TooLargeError(max)
		}
		size = int(st.Size()) + 1 // one more, to see the end of the file
	}
	data := make([]byte, 0, size)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > max {
			return nil, TooLargeError(max)
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}
