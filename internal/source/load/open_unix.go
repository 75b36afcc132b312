//go:build unix

package load

import (
	"os"
	"syscall"
)

// openNonblocking opens path for reading without waiting: opening a named
// pipe that no one writes to returns at once rather than blocking.
func openNonblocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
