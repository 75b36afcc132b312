//go:build !unix

package load

import "os"

// openNonblocking opens path for reading (the path has been checked to be
// a regular file).
func openNonblocking(path string) (*os.File, error) { return os.Open(path) }
