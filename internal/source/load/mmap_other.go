//go:build !unix

package load

import (
	"errors"
	"os"
)

// mapFile is not available here: large exports are read into the heap.
func mapFile(*os.File, int) ([]byte, func(), error) { return nil, nil, errors.ErrUnsupported }
