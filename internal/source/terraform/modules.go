package terraform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
)

// ManifestPath is where `terraform init` records the modules it
// downloaded, relative to the root module's directory (slash-separated).
const ManifestPath = ".terraform/modules/modules.json"

// maxManifestSize bounds the modules.json read.
const maxManifestSize = 16 << 20

// manifestEntry is one module of .terraform/modules/modules.json: Key is
// the module's path of call names ("db", "db.inner"; "" for the root),
// Dir its directory relative to the root module.
type manifestEntry struct {
	Key     string `json:"Key"`
	Source  string `json:"Source"`
	Version string `json:"Version"`
	Dir     string `json:"Dir"`
}

// parseModulesManifest parses the JSON of a modules.json file into its
// entries by key. A syntax error names the line it is on.
func parseModulesManifest(name string, data []byte) (map[string]manifestEntry, *source.Error) {
	var doc struct {
		Modules []manifestEntry `json:"Modules"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		e := &source.Error{File: name, Msg: "not a Terraform module manifest: invalid JSON"}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			e.Line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			e.Msg += ": " + se.Error()
		case errors.As(err, &te):
			e.Line = 1 + bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n"))
			e.Msg = fmt.Sprintf("not a Terraform module manifest: %s must be a %s", te.Field, te.Type)
		}
		return nil, e
	}
	out := make(map[string]manifestEntry, len(doc.Modules))
	for _, m := range doc.Modules {
		if _, dup := out[m.Key]; !dup {
			out[m.Key] = m
		}
	}
	return out, nil
}

// manifest returns the module manifest of the root module, reading it once;
// nil when the root has none (terraform init has not run there).
func (r *reader) manifest(rootDir string) map[string]manifestEntry {
	if r.manifestRead {
		return r.modules
	}
	r.manifestRead = true
	name := filepath.Join(rootDir, filepath.FromSlash(ManifestPath))
	if _, err := os.Lstat(name); err != nil {
		return nil
	}
	data, err := load.ReadFile(name, maxManifestSize)
	if err != nil {
		r.addError(&source.Error{File: name, Msg: readError(err)})
		return nil
	}
	m, perr := parseModulesManifest(name, data)
	if perr != nil {
		r.addError(perr)
		return nil
	}
	r.modules = m
	return m
}

// initAdvice is the fix for a module pgbaseline cannot read.
const initAdvice = "run `terraform init -backend=false` first so that .terraform/modules holds it"

// remoteDir returns the directory of a module call whose source is not a
// local path: the directory `terraform init` downloaded it to. When the
// module is not downloaded, it reports an error at the call and the
// resources the module may create as unresolved, and returns "".
func (m *module) remoteDir(call *moduleCall, line int) string {
	key := joinKey(m.key, call.name)
	if m.key == "" {
		key = call.name
	}
	mf := m.r.manifest(m.rootDir)
	manifestName := filepath.Join(m.rootDir, filepath.FromSlash(ManifestPath))
	var msg string
	switch e, ok := mf[key]; {
	case call.source == "":
		msg = fmt.Sprintf("module %q: source must be a literal string, as Terraform requires; the module's resources are not judged", call.name)
	case mf == nil:
		msg = fmt.Sprintf("module %q: source %q is not downloaded, so the module's resources are not judged; %s", call.name, displaySource(call.source), initAdvice)
	case !ok:
		msg = fmt.Sprintf("module %q: source %q is not in %s (key %q), so the module's resources are not judged; %s",
			call.name, displaySource(call.source), manifestName, key, initAdvice)
	case !sameSource(call.source, e.Source):
		// Terraform refuses to plan then ("Module source has changed").
		msg = fmt.Sprintf("module %q: %s records source %q for it, not %q as written, so the module's resources are not judged; %s",
			call.name, manifestName, displaySource(e.Source), displaySource(call.source), strings.Replace(initAdvice, "first", "again", 1))
	default:
		dir := filepath.Join(m.rootDir, filepath.FromSlash(e.Dir))
		if tf, _ := listTF(dir); len(tf) > 0 {
			return dir
		}
		msg = fmt.Sprintf("module %q: %s names %s for source %q, which holds no .tf files, so the module's resources are not judged; %s",
			call.name, manifestName, dir, displaySource(call.source), initAdvice)
	}
	m.r.addError(&source.Error{File: call.file, Line: line, Msg: msg})
	m.unresolved(call, line)
	m.r.unread[call] = true
	return ""
}

// unresolved records the resources a module call that is not read may
// create: under each resource the call's arguments refer to (a server
// whose id it is given may get a diagnostic setting from it), or anywhere
// when they refer to none.
func (m *module) unresolved(call *moduleCall, line int) {
	scopes := map[string]bool{}
	for an, a := range call.block.Body.Attributes {
		if moduleMeta[an] {
			continue
		}
		for _, tr := range a.Expr.Variables() {
			root := tr.RootName()
			if len(tr) < 2 {
				continue
			}
			step, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if _, managed := m.cfg.resByKey[root+"."+step.Name]; !managed {
				continue
			}
			if st := m.resourceState(root + "." + step.Name); st != nil {
				for _, inst := range st.insts {
					if inst.id != "" {
						scopes[inst.id] = true
					}
				}
			}
		}
		v := m.eval(a.Expr, &scope{unknownInst: "the module is not read"})
		collectIDs(v, scopes, 0)
	}
	if len(scopes) == 0 {
		scopes[""] = true
	}
	ids := make([]string, 0, len(scopes))
	for id := range scopes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	reason := fmt.Sprintf("%smodule.%s (source %q) is not read: what it creates is not known", m.prefix, call.name, displaySource(call.source))
	for _, id := range ids {
		key := "unresolved:" + id + "|" + reason
		if m.r.seen[key] {
			continue
		}
		m.r.seen[key] = true
		m.r.in.Unresolved = append(m.r.in.Unresolved, arm.Unresolved{Scope: id, Reason: reason,
			Origin: arm.Origin{File: call.file, Line: line}})
	}
}

// collectIDs adds the ARM resource ids a value holds.
func collectIDs(v cty.Value, out map[string]bool, depth int) {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() || v.IsNull() || depth > maxValueDepth {
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		s := v.AsString()
		if len(s) > len("/subscriptions/") && strings.HasPrefix(strings.ToLower(s), "/subscriptions/") {
			out[s] = true
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			collectIDs(e, out, depth+1)
		}
	}
}

// sameSource reports whether a module source as written and as
// modules.json records it name the same module. Registry addresses are
// compared in full ("Azure/x/azurerm" is
// "registry.terraform.io/azure/x/azurerm"); other sources, which
// Terraform rewrites in ways that do not round-trip (github.com/x/y is
// recorded as git::https://github.com/x/y.git), are taken as the same.
func sameSource(written, recorded string) bool {
	w, wok := registryAddress(written)
	r, rok := registryAddress(recorded)
	if !wok || !rok {
		return true
	}
	return w == r
}

// registryAddress returns a module registry address in full, lower case,
// without its subdirectory; ok is false for other sources.
func registryAddress(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "::") || strings.Contains(s, "://") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") {
		return "", false
	}
	if i := strings.Index(s, "//"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return "", false
	}
	parts := strings.Split(strings.ToLower(s), "/")
	switch len(parts) {
	case 3:
		if strings.Contains(parts[0], ".") {
			return "", false // github.com/x/y, bitbucket.org/x/y: git shorthands
		}
		parts = append([]string{"registry.terraform.io"}, parts...)
	case 4:
		if !strings.Contains(parts[0], ".") && !strings.Contains(parts[0], ":") {
			return "", false
		}
	default:
		return "", false
	}
	for _, p := range parts {
		if p == "" {
			return "", false
		}
	}
	return strings.Join(parts, "/"), true
}

// sourceQueryKept are the query parameters of a module source shown as
// written; others (sshkey=, tokens) are hidden.
var sourceQueryKept = map[string]bool{"ref": true, "depth": true, "archive": true}

// displaySource returns a module source as it may be printed: without the
// user information of a URL (git::https://TOKEN@host/...) or query values
// other than ref, depth and archive (go-getter's sshkey= holds a private
// key).
func displaySource(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			s = s[:i+3] + "***@" + rest[at+1:]
		}
	}
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	base, query := s[:q], s[q+1:]
	parts := strings.Split(query, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && !sourceQueryKept[strings.ToLower(k)] {
			parts[i] = k + "=***"
		}
	}
	return base + "?" + strings.Join(parts, "&")
}
