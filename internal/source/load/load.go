// Package load reads files and directories into source inputs with a
// given set of readers, each file as what its content says it is. Package
// detect builds the Loader every scan uses, with every source's readers;
// the scan engine takes the inputs and never reads files itself.
package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armexport"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// skipDirs are directories a recursive walk never enters.
var skipDirs = map[string]bool{".terraform": true, ".git": true, "node_modules": true}

// DocumentReader turns a decoded JSON document into an input when it
// recognises the document's kind. A Loader holds the readers of a scan.
type DocumentReader func(name string, data []byte, doc any, idx *jsonpos.Index) (*source.Input, bool)

// DirectoryReader reads the files of one kind in a directory as one input
// (a Terraform module, say) and reports which files it consumed.
type DirectoryReader func(dir string, files []string) (inputs []*source.Input, consumed []string)

// A Loader reads files and directories with a given set of readers. Its
// zero value reads ARM exports only. Package detect builds one with every
// source's reader.
type Loader struct {
	// Readers are tried in order on each JSON document, before the ARM
	// export reader.
	Readers []DocumentReader
	// DirectoryReaders are given each directory's files (and each file
	// named on its own) before the JSON readers.
	DirectoryReaders []DirectoryReader
	// LazyMin, when above 0, is the size in bytes from which an export
	// file is listed but left undecoded (source.Input.Lazy), so that
	// a streamed scan (scan.Engine.RunJSON) can read it one flexible
	// server at a time and never hold the fleet in memory; other scans
	// decode such inputs whole.
	// DefaultLazyMin suits the CLI.
	LazyMin int
	// MaxFileSize is the largest file read into memory;
	// DefaultMaxFileSize when not above 0. MaxMappedSize is the largest
	// export listed for a streamed scan (LazyMin), which is mapped into
	// memory rather than read; DefaultMaxMappedSize when not above 0. A
	// larger file is an error naming it, and is not read.
	MaxFileSize, MaxMappedSize int64
}

// DefaultLazyMin is the Loader.LazyMin of the CLI: exports from 4 MiB are
// read one flexible server at a time by a streamed scan.
const DefaultLazyMin = 4 << 20

// Paths reads every path as ARM exports: the zero Loader's Load.
func Paths(paths []string) []*source.Input { return (&Loader{}).Load(paths) }

// Load reads every path: a file, or a directory searched recursively.
// Each file's kind is detected from its content. Problems become errors in
// the returned inputs; reading goes on past them. A directory that holds
// nothing to read is an input without resources, with a note saying so.
func (l *Loader) Load(paths []string) []*source.Input {
	var inputs []*source.Input
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			msg := err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				msg = pe.Err.Error()
			}
			inputs = append(inputs, &source.Input{Kind: source.KindARMExport, Location: p,
				Errors: []*source.Error{{File: p, Msg: msg}}})
			continue
		}
		if !info.IsDir() && !info.Mode().IsRegular() && info.Mode()&fs.ModeNamedPipe == 0 {
			// A device or socket; a named pipe the user names is read
			// (process substitution, see loadFile).
			inputs = append(inputs, notRegular(p, info.Mode()))
			continue
		}
		if !info.IsDir() {
			inputs = append(inputs, l.loadFile(p, true)...)
			continue
		}
		dir := l.loadDir(p)
		if len(dir) == 0 && !holdsReadable(p) {
			// Named by the user and holding nothing to read: an input of
			// its own, so that the scan can say so.
			dir = []*source.Input{{Kind: source.KindARMExport, Location: p,
				Notes: []string{p + ": no file of a kind pgbaseline reads (Terraform, ARM templates and Bicep output, exported ARM resources, snapshots)"}}}
		}
		inputs = append(inputs, dir...)
	}
	return inputs
}

// holdsReadable reports whether a directory tree holds a file of a kind a
// reader may take (.tf, .tfvars, .json, .bicep): a directory whose modules
// other scanned roots call yields no input of its own, and is not empty.
func holdsReadable(root string) bool {
	found := false
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if readableName(path) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// readableName reports whether a file's name is of a kind a reader may
// take (.tf, .tfvars, .json, .bicep).
func readableName(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tf", ".tfvars", ".json", ".bicep":
		return true
	}
	return false
}

// notRegular is the input of a path that is not a regular file: an error
// naming it.
func notRegular(path string, mode fs.FileMode) *source.Input {
	return &source.Input{Kind: source.KindARMExport, Location: path,
		Errors: []*source.Error{{File: path, Msg: NotRegularError(mode).Error()}}}
}

func (l *Loader) loadDir(root string) []*source.Input {
	byDir := map[string][]string{}
	var dirs []string
	var walkErrs []*source.Input
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			walkErrs = append(walkErrs, &source.Input{Kind: source.KindARMExport, Location: path,
				Errors: []*source.Error{{File: path, Msg: err.Error()}}})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			// A named pipe, socket or device is never opened: reading
			// one would block the scan or never end. A symbolic link is
			// read when it leads to a regular file (never followed to a
			// directory).
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				st, err := os.Stat(path)
				switch {
				case err != nil:
					if readableName(path) { // a broken link
						msg := err.Error()
						var pe *fs.PathError
						if errors.As(err, &pe) {
							msg = pe.Err.Error()
						}
						walkErrs = append(walkErrs, &source.Input{Kind: source.KindARMExport, Location: path,
							Errors: []*source.Error{{File: path, Msg: msg}}})
					}
					return nil
				case st.Mode().IsRegular():
					mode = 0
				case st.IsDir():
					return nil
				default:
					mode = st.Mode()
				}
			}
			if mode != 0 {
				if readableName(path) {
					walkErrs = append(walkErrs, notRegular(path, mode))
				}
				return nil
			}
		}
		dir := filepath.Dir(path)
		if _, ok := byDir[dir]; !ok {
			dirs = append(dirs, dir)
		}
		byDir[dir] = append(byDir[dir], path)
		return nil
	})
	sort.Strings(dirs)
	inputs := walkErrs
	for _, dir := range dirs {
		files := byDir[dir]
		consumed := map[string]bool{}
		for _, dr := range l.DirectoryReaders {
			in, used := dr(dir, files)
			inputs = append(inputs, in...)
			for _, u := range used {
				consumed[u] = true
			}
		}
		for _, f := range files {
			if consumed[f] || !strings.EqualFold(filepath.Ext(f), ".json") {
				continue
			}
			inputs = append(inputs, l.loadFile(f, false)...)
		}
	}
	return inputs
}

// loadFile reads one file. explicit is set when the user named the file, in
// which case a file that is no known kind is an error; in a directory walk
// such files are passed over.
func (l *Loader) loadFile(path string, explicit bool) []*source.Input {
	readErr := func(err error) []*source.Input {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return []*source.Input{{Kind: source.KindARMExport, Location: path, Errors: []*source.Error{{File: path, Msg: msg}}}}
	}
	// The file is opened first, so that a file that cannot be opened is
	// reported as such, and read after the directory readers have looked at
	// it, so that its bytes and theirs are not held at the same time.
	var f *os.File
	var err error
	if st, serr := os.Stat(path); explicit && serr == nil && st.Mode()&fs.ModeNamedPipe != 0 {
		// A pipe the user named, as a shell's process substitution
		// makes (scan <(az postgres flexible-server show ...)): read it
		// to its end, within the size cap. A pipe found by a directory
		// walk is never opened.
		f, err = os.Open(path)
	} else {
		f, _, err = OpenRegular(path)
	}
	if err != nil {
		return readErr(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		explicit = false // no directory reader takes a pipe's content
	}
	if explicit {
		dir := filepath.Dir(path)
		for _, dr := range l.DirectoryReaders {
			if in, used := dr(dir, []string{path}); len(used) > 0 {
				return in
			}
		}
	}
	lazy, data := l.loadLazy(f, path)
	if lazy != nil {
		return []*source.Input{lazy}
	}
	if data == nil {
		var err error
		if data, err = readAll(f, l.MaxFileSize); err != nil {
			return readErr(err)
		}
	}
	doc, idx, err := jsonpos.Decode(data)
	if err != nil {
		return []*source.Input{armexport.Parse(path, data)} // reports the syntax error with line and column
	}
	for _, r := range l.Readers {
		if in, ok := r(path, data, doc, idx); ok {
			if in == nil {
				return nil
			}
			return []*source.Input{in}
		}
	}
	in := &source.Input{Kind: source.KindARMExport, Location: path, Resources: armexport.FromDocument(path, doc, idx)}
	if len(in.Resources) == 0 && !explicit {
		return nil // a directory may hold other JSON (package.json, settings); pass it over
	}
	if len(in.Resources) == 0 {
		in.Errors = append(in.Errors, &source.Error{File: path, Line: 1,
			Msg: `no ARM resources found: expected a resource object with "id" and "type", an array of them, {"value": [...]} or {"data": [...]}`})
	}
	if e := armexport.EncodingError(path, data); e != nil {
		in.Errors = append(in.Errors, e) // JSON must be UTF-8: say so, and keep what was read
	}
	return []*source.Input{in}
}

// loadLazy returns the lazy input of f when the Loader reads large exports
// lazily and f is one. Otherwise it returns no input, and f's bytes when it
// read them into the heap (nil when it did not; f is then at its start).
// The file is mapped into memory rather than read, and unmapped once the
// input's resources are unreachable (the lazy reader copies every value
// it decodes, so nothing else points into the mapping).
func (l *Loader) loadLazy(f *os.File, path string) (*source.Input, []byte) {
	if l.LazyMin <= 0 {
		return nil, nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < int64(l.LazyMin) || int64(int(st.Size())) != st.Size() {
		return nil, nil
	}
	maxMapped := l.MaxMappedSize
	if maxMapped <= 0 {
		maxMapped = DefaultMaxMappedSize
	}
	if st.Size() > maxMapped {
		return &source.Input{Kind: source.KindARMExport, Location: path, Errors: []*source.Error{{File: path,
			Msg: fmt.Sprintf("the file is larger than the limit of %s for an export read one server at a time; not read", SizeString(maxMapped))}}}, nil
	}
	data, unmap, err := mapFile(f, int(st.Size()))
	if err != nil {
		if data, err = readAll(f, l.MaxFileSize); err != nil {
			_, _ = f.Seek(0, io.SeekStart)
			return nil, nil
		}
		unmap = nil
	}
	lz := armexport.Skim(path, data)
	if lz == nil {
		if unmap == nil {
			return nil, data // read into the heap: the caller decodes it
		}
		unmap()
		return nil, nil
	}
	if unmap != nil {
		runtime.AddCleanup(lz, func(unmap func()) { unmap() }, unmap)
	}
	return &source.Input{Kind: source.KindARMExport, Location: path, Lazy: lz}, nil
}
