//go:build unix

package load

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f into memory, read-only, and
// returns them with the function that unmaps them. A large export is read
// this way: its pages come from the page cache as they are touched, and
// are not copied into (and zeroed in) the heap.
func mapFile(f *os.File, size int) ([]byte, func(), error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	_ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL)
	return b, func() { _ = syscall.Munmap(b) }, nil
}
