package terraform

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pgbaseline/pgbaseline/internal/source/load"
)

// maxCallerScan bounds the .tf files read to find module calls in one
// scanned tree. Beyond it, the directories not yet looked at are taken to
// call nothing: a module may then be read as a root as well as through its
// caller (twice), never missed.
const maxCallerScan = 20000

// skipWalk are the directories a scan's walk never enters (as the scan
// engine skips them).
var skipWalk = map[string]bool{".terraform": true, ".git": true, "node_modules": true}

// callIndexes holds the call index of the scanned tree of one
// DirectoryReader.
type callIndexes struct {
	mu  sync.Mutex
	idx *callIndex
}

// callIndex records which directories of a scanned tree module blocks in
// that tree call as local modules. It grows as the tree is known.
type callIndex struct {
	// calledBy maps a directory (absolute) to the directories that call it.
	calledBy map[string][]string
	edges    map[string][]string
	dirs     map[string]bool
	parsed   map[string]bool
	covered  []string
	budget   int
	// reachable holds the called directories that a directory nobody
	// calls (a root) reaches through calls. A directory called only from
	// within a cycle of calls is not reachable: it is read as a root, so
	// that no server is missed.
	reachable map[string]bool
	dirty     bool
}

// calledAsModule reports whether a module block in the scanned tree calls
// dir as a local module, from a root of that tree. The tree is paths (the
// paths the scan was given) or, when none are known, the subtrees of the
// directories this reader has been given so far and of dir: no file
// outside them is read.
func (c *callIndexes) calledAsModule(paths []string, dir string) bool {
	target, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idx == nil {
		c.idx = &callIndex{calledBy: map[string][]string{}, edges: map[string][]string{}, dirs: map[string]bool{},
			parsed: map[string]bool{}, budget: maxCallerScan}
		for _, p := range paths {
			c.idx.add(p)
		}
	}
	if len(paths) == 0 {
		c.idx.add(target)
	}
	return len(c.idx.calledBy[target]) > 0 && c.idx.isReachable(target)
}

// add reads the module blocks of the .tf files under path (a file or a
// directory, walked as the scan walks it), once. Comments and strings are
// never mistaken for calls: only parsed blocks count.
func (idx *callIndex) add(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	for _, c := range idx.covered {
		if abs == c || strings.HasPrefix(abs, c+string(filepath.Separator)) {
			return
		}
	}
	idx.covered = append(idx.covered, abs)
	isTF := func(name string) bool { return strings.HasSuffix(name, ".tf") && !strings.HasPrefix(name, ".") }
	st, err := os.Stat(abs)
	if err != nil {
		return
	}
	if !st.IsDir() {
		if isTF(filepath.Base(abs)) {
			idx.addFile(abs)
		}
		return
	}
	_ = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || idx.budget <= 0 {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != abs && skipWalk[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if isTF(d.Name()) && d.Type().IsRegular() {
			idx.addFile(p)
		}
		return nil
	})
}

func (idx *callIndex) addFile(abs string) {
	if idx.parsed[abs] || idx.budget <= 0 {
		return
	}
	idx.parsed[abs] = true
	idx.budget--
	idx.dirty = true
	caller := filepath.Dir(abs)
	idx.dirs[caller] = true
	for _, src := range localModuleSources(abs) {
		t := filepath.Clean(filepath.Join(caller, src))
		if t == caller {
			continue // a module that calls itself is not a child of itself
		}
		idx.edges[caller] = append(idx.edges[caller], t)
		idx.calledBy[t] = append(idx.calledBy[t], caller)
	}
}

// isReachable reports whether a root (a directory with .tf files that no
// module block calls) reaches dir through calls.
func (idx *callIndex) isReachable(dir string) bool {
	if idx.dirty || idx.reachable == nil {
		idx.dirty = false
		idx.reachable = map[string]bool{}
		var queue []string
		for d := range idx.dirs {
			if len(idx.calledBy[d]) == 0 {
				queue = append(queue, d)
			}
		}
		seen := map[string]bool{}
		for len(queue) > 0 {
			d := queue[0]
			queue = queue[1:]
			if seen[d] {
				continue
			}
			seen[d] = true
			for _, t := range idx.edges[d] {
				idx.reachable[t] = true
				queue = append(queue, t)
			}
		}
	}
	return idx.reachable[dir]
}

// localModuleSources returns the local sources (./x, ../x) of the module
// blocks of a .tf file.
func localModuleSources(path string) []string {
	src, err := load.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil
	}
	if checkNesting(path, src) != nil {
		return nil // the reader of the directory reports it
	}
	f, _ := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if f == nil {
		return nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []string
	for _, b := range body.Blocks {
		if b.Type != "module" || len(b.Labels) != 1 {
			continue
		}
		a := b.Body.Attributes["source"]
		if a == nil {
			continue
		}
		v, d := a.Expr.Value(nil)
		if d.HasErrors() || !v.IsKnown() || v.IsNull() || !v.Type().Equals(ctyString) {
			continue
		}
		if s := v.AsString(); isLocalSource(s) {
			out = append(out, filepath.FromSlash(s))
		}
	}
	return out
}
