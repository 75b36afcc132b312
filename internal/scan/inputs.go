package scan

import (
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
)

// The input loader lives in package load, so that the sources never import
// the engine; these names remain for callers written before it moved.
type (
	// Loader is load.Loader.
	Loader = load.Loader
	// DocumentReader is load.DocumentReader.
	DocumentReader = load.DocumentReader
	// DirectoryReader is load.DirectoryReader.
	DirectoryReader = load.DirectoryReader
)

// DefaultLazyMin is load.DefaultLazyMin.
const DefaultLazyMin = load.DefaultLazyMin

// LoadPaths is load.Paths: every path read as ARM exports.
func LoadPaths(paths []string) []*source.Input { return load.Paths(paths) }
