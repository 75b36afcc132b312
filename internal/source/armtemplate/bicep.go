package armtemplate

import (
	"github.com/pgbaseline/pgbaseline/internal/source/load"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// bicepTimeout bounds one run of the bicep compiler.
const bicepTimeout = 2 * time.Minute

// errNoBicep says that no bicep executable is on PATH.
var errNoBicep = errors.New("no bicep executable is on PATH")

// bicepSource is the Bicep file a template was compiled from. Resources
// point at the lines of their declarations in it.
type bicepSource struct {
	file  string
	lines []string
}

// lineOf returns the line of the declaration of the resource or module a
// symbolic name (as an address such as "server" or "servers[3]") names, or
// 0 when the address is no symbolic name.
func (b *bicepSource) lineOf(address string) int {
	sym := address
	if i := strings.IndexAny(sym, "[."); i >= 0 {
		sym = sym[:i]
	}
	if sym == "" || sym == "resources" {
		return 0
	}
	return bicepLine(b.lines, `(resource|module)\s+`+regexp.QuoteMeta(sym)+`\s`)
}

// bicepLine returns the 1-based line of the first line that matches the
// pattern at its start (after white space), or 0.
func bicepLine(lines []string, pattern string) int {
	re, err := regexp.Compile(`^\s*` + pattern)
	if err != nil {
		return 0
	}
	for i, l := range lines {
		if re.MatchString(l) {
			return i + 1
		}
	}
	return 0
}

// DirectoryReader returns a directory reader for the scan engine's
// registry. It compiles the .bicep files of a directory with the bicep
// executable on PATH and expands what it prints; without one, each file
// gets an error saying it needs compiling. A .bicep file whose compiled
// template is beside it is not compiled: the template is scanned, and the
// input gets a note saying so. Its compiled template is a .json of the same
// name (main.bicep and main.json, as in Azure Verified Modules) or, when
// it is the only .bicep file of its directory, the one deployment template
// there that bicep generated (main.bicep and azuredeploy.json, as in the
// Azure quickstarts). .bicepparam files are consumed: they are read with
// their template.
//
// A template file that an expanded template of the same scan followed by a
// relative templateLink is consumed too (see Readers).
func DirectoryReader(o Options) func(dir string, files []string) ([]*source.Input, []string) {
	return func(dir string, files []string) ([]*source.Input, []string) {
		var inputs []*source.Input
		var consumed []string
		for _, f := range files {
			if o.linked.has(f) {
				consumed = append(consumed, f)
				continue
			}
			switch strings.ToLower(filepath.Ext(f)) {
			case ".bicepparam":
				consumed = append(consumed, f)
			case ".bicep":
				consumed = append(consumed, f)
				if compiled := compiledBeside(f); compiled != "" {
					msg := "skipped; its compiled template " + filepath.Base(compiled) + " beside it was scanned"
					if _, err := exec.LookPath("bicep"); err != nil {
						msg += " (install bicep to compile the .bicep itself)"
					}
					inputs = append(inputs, &source.Input{Kind: source.KindARMTemplate, Location: f, Notes: []string{f + ": " + msg}})
					continue
				}
				inputs = append(inputs, ExpandBicep(f, o))
			}
		}
		return inputs, consumed
	}
}

// compiledBeside returns the compiled template of a .bicep file that lies
// beside it (see DirectoryReader), or "".
func compiledBeside(file string) string {
	same := strings.TrimSuffix(file, filepath.Ext(file)) + ".json"
	if st, err := os.Stat(same); err == nil && st.Mode().IsRegular() {
		return same
	}
	dir := filepath.Dir(file)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var found string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".bicep":
			if filepath.Clean(p) != filepath.Clean(file) {
				return "" // more than one .bicep: which one is compiled is not clear
			}
		case ".json":
			if generatedByBicep(p) {
				if found != "" {
					return ""
				}
				found = p
			}
		}
	}
	return found
}

// generatedByBicep reports whether a JSON file starts as a deployment
// template that bicep generated: its first 64 KiB name a
// deploymentTemplate schema and bicep as the metadata's _generator.
func generatedByBicep(file string) bool {
	f, _, err := load.OpenRegular(file)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, buf)
	head := strings.ToLower(string(buf[:n]))
	return strings.Contains(head, "deploymenttemplate.json") && bicepGenerator.MatchString(head)
}

// bicepGenerator matches "_generator": {"name": "bicep" in lower-cased JSON.
var bicepGenerator = regexp.MustCompile(`"_generator"\s*:\s*\{\s*"name"\s*:\s*"bicep"`)

// ExpandBicep compiles a .bicep file with `bicep build` and expands the
// template it prints. Resources point at the file and the line of their
// declaration.
func ExpandBicep(file string, o Options) *source.Input {
	out, err := runBicep("build", file)
	if err != nil {
		in := &source.Input{Kind: source.KindARMTemplate, Location: file}
		msg := err.Error()
		if errors.Is(err, errNoBicep) {
			msg = fmt.Sprintf("this Bicep file needs compiling, and no bicep executable is on PATH: run `bicep build %s` and scan the .json it writes", file)
		}
		in.Errors = append(in.Errors, &source.Error{File: file, Msg: msg})
		return in
	}
	bs := &bicepSource{file: file}
	if raw, err := os.ReadFile(file); err == nil {
		bs.lines = strings.Split(string(raw), "\n")
	}
	doc, idx, err := jsonpos.Decode(out)
	if err != nil {
		in := &source.Input{Kind: source.KindARMTemplate, Location: file}
		in.Errors = append(in.Errors, &source.Error{File: file, Msg: "bicep build printed invalid JSON: " + err.Error()})
		return in
	}
	return expandDocument(file, doc, idx, o, bs)
}

// compileBicepParams compiles a .bicepparam file into parameter JSON.
func compileBicepParams(file string) ([]byte, error) {
	out, err := runBicep("build-params", file)
	if errors.Is(err, errNoBicep) {
		return nil, fmt.Errorf("this .bicepparam file needs compiling, and no bicep executable is on PATH: run `bicep build-params %s` and pass the .json it writes with --param-file", file)
	}
	return out, err
}

// runBicep runs `bicep <command> --stdout file` and returns what it prints.
func runBicep(command, file string) ([]byte, error) {
	bin, err := exec.LookPath("bicep")
	if err != nil {
		return nil, errNoBicep
	}
	ctx, cancel := context.WithTimeout(context.Background(), bicepTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, command, "--stdout", file)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("bicep %s failed: %s", command, msg)
	}
	return stdout.Bytes(), nil
}
