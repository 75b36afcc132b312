package terraform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
)

// moduleConfig is the parsed, not yet evaluated, content of one module
// directory.
type moduleConfig struct {
	dir       string
	files     []*tfFile
	variables map[string]*variableDecl
	locals    map[string]*hclsyntax.Attribute
	localFile map[string]string
	resources []*resourceDecl
	resByKey  map[string]*resourceDecl // "type.name"
	data      map[string]map[string]bool
	// dataMulti holds the data sources ("type.name") with count or
	// for_each.
	dataMulti map[string]bool
	modules   []*moduleCall
	modByName map[string]*moduleCall
	outputs   map[string]*hclsyntax.Attribute
	// azurermMajor is the azurerm provider major version the module pins
	// in required_providers (0 when it pins none).
	azurermMajor int
	// attrNames holds every attribute name that any traversal of the
	// module names; resource values carry them all (unknown when the
	// configuration does not set them) so that a reference to a computed
	// attribute evaluates to unknown instead of failing.
	attrNames map[string]bool
	errors    []*source.Error
}

type tfFile struct {
	name  string
	src   []byte
	body  *hclsyntax.Body
	lines []string
}

type variableDecl struct {
	name      string
	file      string
	block     *hclsyntax.Block
	def       hcl.Expression // nil when there is no default
	typeExpr  hcl.Expression
	sensitive bool
}

type resourceDecl struct {
	managed      bool
	typ, name    string
	file         string
	block        *hclsyntax.Block
	count        hcl.Expression
	forEach      hcl.Expression
	suppressions []arm.Suppression
}

func (r *resourceDecl) key() string { return r.typ + "." + r.name }

type moduleCall struct {
	name    string
	file    string
	block   *hclsyntax.Block
	source  string
	count   hcl.Expression
	forEach hcl.Expression
}

// metaArgs are resource arguments that are not configuration, and
// moduleMeta module call arguments that are not inputs.
var (
	metaArgs   = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}
	moduleMeta = map[string]bool{"count": true, "for_each": true, "depends_on": true, "providers": true, "source": true, "version": true}
)

// parseModule reads and parses the .tf files of a module directory. Syntax
// errors are recorded and the other files are still read.
func parseModule(dir string, files []string) *moduleConfig {
	cfg := &moduleConfig{
		dir: dir, variables: map[string]*variableDecl{}, locals: map[string]*hclsyntax.Attribute{},
		localFile: map[string]string{}, dataMulti: map[string]bool{}, resByKey: map[string]*resourceDecl{}, data: map[string]map[string]bool{},
		modByName: map[string]*moduleCall{}, outputs: map[string]*hclsyntax.Attribute{}, attrNames: map[string]bool{},
	}
	sort.Strings(files)
	for _, name := range files {
		src, err := load.ReadFile(name, MaxFileSize)
		if err != nil {
			cfg.errors = append(cfg.errors, &source.Error{File: name, Msg: readError(err)})
			continue
		}
		cfg.addFile(name, src)
	}
	return cfg
}

func (cfg *moduleConfig) addFile(name string, src []byte) {
	if e := checkNesting(name, src); e != nil {
		cfg.errors = append(cfg.errors, e)
		return
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		cfg.errors = append(cfg.errors, diagErrors(diags)...)
		return
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return
	}
	tf := &tfFile{name: name, src: src, body: body, lines: strings.Split(string(src), "\n")}
	cfg.files = append(cfg.files, tf)
	collectAttrNames(body, cfg.attrNames)
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			if len(b.Labels) != 1 {
				continue
			}
			v := &variableDecl{name: b.Labels[0], file: name, block: b}
			if a := b.Body.Attributes["default"]; a != nil {
				v.def = a.Expr
			}
			if a := b.Body.Attributes["type"]; a != nil {
				v.typeExpr = a.Expr
			}
			if a := b.Body.Attributes["sensitive"]; a != nil {
				if val, d := a.Expr.Value(nil); !d.HasErrors() && val.Type().Equals(ctyBool) && val.IsKnown() && !val.IsNull() {
					v.sensitive = val.True()
				}
			}
			cfg.variables[v.name] = v
		case "locals":
			for n, a := range b.Body.Attributes {
				cfg.locals[n] = a
				cfg.localFile[n] = name
			}
		case "output":
			if len(b.Labels) == 1 {
				if a := b.Body.Attributes["value"]; a != nil {
					cfg.outputs[b.Labels[0]] = a
				}
			}
		case "resource", "data":
			if len(b.Labels) != 2 {
				continue
			}
			r := &resourceDecl{managed: b.Type == "resource", typ: b.Labels[0], name: b.Labels[1], file: name, block: b}
			if a := b.Body.Attributes["count"]; a != nil {
				r.count = a.Expr
			}
			if a := b.Body.Attributes["for_each"]; a != nil {
				r.forEach = a.Expr
			}
			if !r.managed {
				if cfg.data[r.typ] == nil {
					cfg.data[r.typ] = map[string]bool{}
				}
				cfg.data[r.typ][r.name] = true
				if r.count != nil || r.forEach != nil {
					cfg.dataMulti[r.key()] = true
				}
				continue
			}
			sups, errs := suppressionsFor(tf, b)
			r.suppressions = sups
			cfg.errors = append(cfg.errors, errs...)
			if _, dup := cfg.resByKey[r.key()]; dup {
				cfg.errors = append(cfg.errors, &source.Error{File: name, Line: b.DefRange().Start.Line, Column: b.DefRange().Start.Column,
					Msg: fmt.Sprintf("duplicate resource %s", r.key())})
				continue
			}
			cfg.resByKey[r.key()] = r
			cfg.resources = append(cfg.resources, r)
		case "module":
			if len(b.Labels) != 1 {
				continue
			}
			m := &moduleCall{name: b.Labels[0], file: name, block: b}
			if a := b.Body.Attributes["source"]; a != nil {
				if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type().Equals(ctyString) && v.IsKnown() && !v.IsNull() {
					m.source = v.AsString()
				}
			}
			if a := b.Body.Attributes["count"]; a != nil {
				m.count = a.Expr
			}
			if a := b.Body.Attributes["for_each"]; a != nil {
				m.forEach = a.Expr
			}
			if _, dup := cfg.modByName[m.name]; dup {
				continue
			}
			cfg.modByName[m.name] = m
			cfg.modules = append(cfg.modules, m)
		case "terraform":
			for _, rb := range b.Body.Blocks {
				if rb.Type != "required_providers" {
					continue
				}
				if a := rb.Body.Attributes["azurerm"]; a != nil {
					cfg.azurermMajor = azurermMajor(a.Expr)
				}
			}
		}
	}
}

var ctyBool, ctyString = cty.Bool, cty.String

// collectAttrNames records every attribute name used in a traversal.
func collectAttrNames(body *hclsyntax.Body, names map[string]bool) {
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		var tr hcl.Traversal
		switch e := n.(type) {
		case *hclsyntax.ScopeTraversalExpr:
			tr = e.Traversal
			// The root and the name after it (var.NAME, local.NAME,
			// TYPE.NAME, each.value) are not attributes of a resource;
			// counting them made every resource name an attribute of
			// every instance, and reading quadratic in the module's size.
			if root, ok := tr[0].(hcl.TraverseRoot); ok && root.Name != "self" && len(tr) > 1 {
				tr = tr[2:]
			}
		case *hclsyntax.RelativeTraversalExpr:
			tr = e.Traversal
		default:
			return nil
		}
		for _, step := range tr {
			if a, ok := step.(hcl.TraverseAttr); ok {
				names[a.Name] = true
			}
		}
		return nil
	})
}

// azurermMajor reads the major version that a required_providers entry
// allows: the highest major a constraint admits (Terraform installs the
// newest matching release).
func azurermMajor(expr hcl.Expression) int {
	v, d := expr.Value(nil)
	if d.HasErrors() || !v.IsKnown() || v.IsNull() {
		return 0
	}
	var constraint string
	switch {
	case v.Type().Equals(ctyString):
		constraint = v.AsString()
	case v.Type().IsObjectType() && v.Type().HasAttribute("version"):
		c := v.GetAttr("version")
		if c.Type().Equals(ctyString) && c.IsKnown() && !c.IsNull() {
			constraint = c.AsString()
		}
	}
	return majorOf(constraint)
}

var constraintRE = regexp.MustCompile(`(~>|>=|<=|!=|=|>|<)?\s*v?(\d+)(?:\.(\d+))?`)

// majorOf returns the newest major version a version constraint string
// allows, or 0 when it cannot tell.
func majorOf(constraint string) int {
	lo, hi, open := 0, 0, false
	lower := func(m int) {
		if hi == 0 || m < hi {
			hi = m
		}
	}
	for _, part := range strings.Split(constraint, ",") {
		m := constraintRE.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			continue
		}
		major, _ := strconv.Atoi(m[2])
		if major > 1000 {
			continue
		}
		minor := -1
		if m[3] != "" {
			minor, _ = strconv.Atoi(m[3])
		}
		if major > lo && m[1] != "<" && m[1] != "<=" && m[1] != "!=" {
			lo = major
		}
		switch m[1] {
		case "<":
			if minor <= 0 {
				major--
			}
			lower(major)
		case "<=":
			lower(major)
		case "~>":
			// "~> 3.0" allows 3.x only; "~> 3" lets the major grow.
			if minor < 0 {
				open = true
			} else {
				lower(major)
			}
		case ">=", ">":
			open = true
		case "!=":
		default:
			lower(major)
		}
	}
	switch {
	case hi > 0:
		return hi
	case open:
		return LatestAzurermMajor
	}
	return lo
}

// diagErrors turns HCL diagnostics into source errors with file, line and
// column. Details are left out: they may quote the input.
func diagErrors(diags hcl.Diagnostics) []*source.Error {
	var out []*source.Error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		e := &source.Error{Msg: d.Summary}
		if d.Subject != nil {
			e.File, e.Line, e.Column = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		if d.Detail != "" && d.Summary != "" && safeDetail(d.Summary) {
			e.Msg = d.Summary + ": " + d.Detail
		}
		out = append(out, e)
	}
	return out
}

// safeDetail reports whether the detail of a diagnostic with this summary
// describes syntax only, never a value from the input.
func safeDetail(summary string) bool {
	switch summary {
	case "Argument or block definition required", "Invalid expression", "Missing newline after argument",
		"Unclosed configuration block", "Invalid block definition", "Missing key/value separator",
		"Invalid character", "Unterminated template string", "Missing expression", "Extra characters after interpolation expression":
		return true
	}
	return false
}

func readError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// isLocalSource reports whether a module source is a local path.
func isLocalSource(s string) bool {
	return strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == ".."
}

// tfFiles returns the .tf files among files, and the .tfvars ones that
// Terraform loads automatically.
func tfFiles(files []string) (tf, autoVars []string) {
	for _, f := range files {
		base := filepath.Base(f)
		switch {
		case strings.HasSuffix(base, ".tf") && !strings.HasPrefix(base, "."):
			tf = append(tf, f)
		case base == "terraform.tfvars" || base == "terraform.tfvars.json" ||
			strings.HasSuffix(base, ".auto.tfvars") || strings.HasSuffix(base, ".auto.tfvars.json"):
			autoVars = append(autoVars, f)
		}
	}
	sort.Strings(tf)
	// Terraform reads terraform.tfvars, then terraform.tfvars.json, then
	// *.auto.tfvars and *.auto.tfvars.json in lexical order.
	rank := func(f string) int {
		switch filepath.Base(f) {
		case "terraform.tfvars":
			return 0
		case "terraform.tfvars.json":
			return 1
		}
		return 2
	}
	sort.SliceStable(autoVars, func(i, j int) bool {
		if a, b := rank(autoVars[i]), rank(autoVars[j]); a != b {
			return a < b
		}
		return autoVars[i] < autoVars[j]
	})
	return tf, autoVars
}

// listTF lists the .tf and auto-loaded .tfvars files of a directory.
func listTF(dir string) ([]string, []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return tfFiles(files)
}
