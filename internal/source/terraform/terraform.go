// Package terraform reads Terraform configurations and plans that deploy
// Azure Database for PostgreSQL, and turns them into ARM-shaped resources
// so that the same rules judge code, plans, templates and live servers.
//
// # Configurations
//
// A directory is a module. ReadModule parses its .tf files with HCL and
// evaluates them the way Terraform plans them, without providers or
// network: variables (defaults, terraform.tfvars, terraform.tfvars.json,
// *.auto.tfvars and *.auto.tfvars.json, then Options.VarFiles and
// Options.Vars), locals, count and for_each, dynamic
// blocks, splats, conditionals, the common Terraform functions (go-cty's
// stdlib plus cidrsubnet, startswith, try, can, ...), references between
// resources, optional() attribute defaults, and modules with their inputs
// and outputs.
//
// # Modules
//
// A local module (source = "./...", "../../") is read from its directory.
// A registry or git module is read from where `terraform init` downloaded
// it: the root's .terraform/modules/modules.json maps each call (keyed by
// its call names, "db" or "db.inner") to a directory. A module that is
// not downloaded (no manifest, no entry, an empty directory) is an error
// at its call, naming the module, its source and the fix (`terraform init
// -backend=false`), so that the scan exits 2; the rest of the root is
// still read, and the module's resources are recorded as an
// arm.Unresolved: under each resource its arguments refer to (a server
// whose id it is given may get a diagnostic setting from it), or anywhere
// when they refer to none, so that an existence check the module could
// satisfy is Unknown rather than NonCompliant.
//
// # Unknown values
//
// Values that Terraform only knows after apply stay unknown: data sources,
// modules not downloaded, random_password results, variables without a
// value, computed attributes the configuration does not set. They become
// arm.Unknown{Reason} in the ARM property tree, and rules that read them
// give Unknown rather than a verdict. An unknown carries what is certain
// about it: cty's refinements (not null, a string prefix such as the
// "https://" of "https://${var.vault}.vault.azure.net/keys/k", a
// collection's length bounds), and what azurerm certainly computes: a Key
// Vault key's or secret's id and versionless_id are URLs starting with
// "https://", their resource ids ARM ids, every resource's and data
// source's id is set, a data source of an ARM resource has an id starting
// with "/subscriptions/". Nothing else is claimed: an optional *_id
// argument the configuration leaves out is null, not unknown.
//
// A resource or module call whose count or for_each is not known before
// apply (count = var.create ? 1 : 0 with no value for var.create) is read
// as one instance with the key [*] (UnknownInstanceKey, the key Terraform
// prints for deferred instances) whose arm.Resource.MaybeAbsent says
// what it depends on ("count depends on var.create, which has no value").
// The resources of such a module instance inherit the reason, prefixed by
// the module's address. An unknown count that is certainly at least one,
// or for_each over a collection certainly not empty (toset([var.name])),
// makes an instance that exists. A known count of 0 makes none. A dynamic
// block whose for_each is not known is one block that may be absent: the
// server settings it would change (customer-managed key, Microsoft Entra
// and password authentication, high availability, maintenance window) are
// Unknown unless the block's value is the default. So is public network
// access when its default depends on a delegated_subnet_id that is not
// known and may be null.
//
// Resources get placeholder ARM ids, built from their names and resource
// groups under subscription 00000000-0000-0000-0000-000000000000, so that a
// reference such as server_id = azurerm_postgresql_flexible_server.main.id
// resolves to the id the server's ARM resource carries, and child and
// extension resources (configurations, firewall rules, administrators,
// private endpoint connections, diagnostic settings) link to their server.
//
// Mapped types: azurerm_postgresql_flexible_server (with azurerm's defaults
// for unset arguments), its _configuration, _firewall_rule, _database and
// _active_directory_administrator; azurerm_private_endpoint (and the
// privateEndpointConnections child it creates on the server);
// azurerm_subnet, azurerm_virtual_network subnets, azurerm_network_security_group,
// azurerm_network_security_rule and azurerm_subnet_network_security_group_association;
// azurerm_monitor_diagnostic_setting; azurerm_key_vault and azurerm_key_vault_key;
// azurerm_postgresql_server, _configuration and _firewall_rule (single
// server); and azapi_resource of Microsoft.DBforPostgreSQL types.
//
// Every resource records the file and line of its block, and the line of
// each argument that set a property, so that a result points at
// public_network_access_enabled rather than at the resource. Its Address is
// the Terraform address (module.db["a"].azurerm_postgresql_flexible_server.main).
//
// # Provider versions
//
// Defaults are those of the azurerm major version pinned in
// required_providers (3 or 4; the newest, 4, when the module pins none).
// Where they differ for the mapped resources: the diagnostic setting's log
// block exists in 3.x only (4.x reads enabled_log only). The flexible
// server defaults are the same in both: public network access on unless
// the server has a delegated subnet, password authentication on, Microsoft
// Entra authentication off, 7 days of backup retention, no geo-redundant
// backup, no high availability, system-managed encryption.
//
// # Plans
//
// ReadPlan reads the JSON of `terraform show -json PLANFILE`. Planned values
// are authoritative; values in after_unknown become arm.Unknown. References
// to resources created in the same plan, whose ids are unknown, are
// resolved through the plan's configuration section to the same
// placeholder ids as for code.
//
// # Literal secrets
//
// Findings of rule PGB-IM8-01 report literal PostgreSQL credentials, and
// only those: a server's administrator password (administrator_password,
// administrator_password_wo, the single server's
// administrator_login_password, an azapi body's administratorLoginPassword)
// written as a literal; a server password that evaluates to a literal
// written elsewhere in the configuration (a local, a variable default, a
// module argument, a .tfvars entry), reported at the password argument and
// at the literal; PostgreSQL URLs and connection strings with a password
// (postgres://, postgresql://, jdbc:postgresql://, or key=value strings
// that name PostgreSQL, a psql/pgsql host, dbname, sslmode or port 5432);
// any URL or connection string with a password in a PostgreSQL resource
// (a configuration value); the literal value of a Key Vault secret whose
// name names PostgreSQL; and a secret-named literal argument of a module
// call that is not downloaded and whose source names PostgreSQL. A literal reaches a password through a
// variable when the variable's value flows into it; it is reported when
// the variable's name says it is a secret or the literal is the
// password's value (so that a flag or an environment name in the same
// expression is not). The secrets of other resources (a virtual machine's
// admin_password, an app setting, another Key Vault secret) are out of
// scope. terraform.tfvars, *.auto.tfvars, their .json forms, the
// --var-file files (whatever their names, HCL or JSON) and the .tfvars
// files beside the module that are not loaded are checked alike; a
// --var-file read by several roots is reported once.
// A finding names the attribute, file and line, never the value.
//
// # Inline suppressions
//
// A comment "# pgbaseline:ignore RULE-ID [reason] [expires=YYYY-MM-DD]" on
// the lines directly above a resource block, or inside it, suppresses the
// rule on the resources made from that block.
//
// # Limits
//
// A resource or module may have at most MaxInstances instances, a module
// tree at most MaxResources resource instances, and modules nest at most
// MaxModuleDepth deep; beyond a limit the block is not read and an error
// names the limit. A file (.tf, .tfvars, .tfvars.json), a --var value or a
// jsondecode argument nested deeper than MaxNesting levels is not parsed:
// an error names the file and line (HCL's parser recurses once per level).
// A chain of references longer than MaxReferenceDepth, and a value nested
// deeper than MaxNesting through references, are errors and stay unknown.
// A cycle of references (local.a → local.b → local.a, also through
// resources; not through a module call, which is evaluated whole) and
// module calls that come back to a module being read are errors naming
// them. Files are read through load.ReadFile
// (regular files only, at most MaxFileSize bytes). A file gives at most
// MaxErrorsPerFile errors, then one that counts the others. No input
// makes the reader panic or overflow its stack.
//
// # Directory walks
//
// DirectoryReader reads each directory with .tf files as a root module. A
// directory that a module block of the scanned tree calls as a local
// module, from a root of that tree, is not read as a root of its own: its
// resources are reported once per call, under the caller's module address,
// with the caller's inputs, and not a second time with unknown inputs (the
// Azure Verified Modules layout: examples/default calls the module at the
// repository root with source = "../../"). Only parsed module blocks count
// (never a comment or a string), and only those of .tf files under
// Options.Paths (or, without them, under the directories the walk has
// reached); no file outside the scan decides it. Directories that only call
// each other are read as roots. Naming one of a directory's files
// explicitly reads it as a root anyway.
package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Limits.
const (
	// MaxInstances is the most instances (count or for_each) a resource,
	// module call or dynamic block may have.
	MaxInstances = 10000
	// MaxResources is the most resource instances one module tree may have.
	MaxResources = 200000
	// MaxModuleInstances is the most module instances one module tree may
	// have (a module that calls itself with count would otherwise grow
	// exponentially).
	MaxModuleInstances = 1000
	// MaxModuleDepth is the deepest module nesting read.
	MaxModuleDepth = 16
	// MaxErrorsPerFile is the most errors reported for one file (a file
	// of random bytes gave thousands); an entry "… and N more errors in
	// this file" counts the others.
	MaxErrorsPerFile = 20
	// MaxReferenceDepth is the longest chain of references evaluated
	// (local.a refers to local.b, which refers to a resource, ...): each
	// link recurses in the evaluator.
	MaxReferenceDepth = 200
	// MaxFileSize is the largest .tf or .tfvars file read.
	MaxFileSize = 16 << 20
	// LatestAzurermMajor is the azurerm major version assumed when a
	// module pins none.
	LatestAzurermMajor = 4
)

// Options are the variable values given on the command line.
type Options struct {
	// Vars are --var NAME=VALUE values, by name. A value for a variable
	// of a collection or object type is parsed as an HCL expression.
	Vars map[string]string
	// VarFiles are --var-file files, applied in order after the
	// automatically loaded .tfvars files.
	VarFiles []string
	// Paths are the paths the scan reads (files and directories). The
	// DirectoryReader decides which directories are root modules from the
	// module blocks of the .tf files under them, and reads no file outside
	// them for that: a directory that one of them calls as a local module
	// is not read as a root of its own. When Paths is empty, the tree
	// known is the subtrees of the directories the reader has been given
	// so far, and of the one it reads: an example under the module that
	// calls it with source = "../../" is always found, a caller beside it
	// only when the walk reached it first.
	Paths []string

	// shared is state shared by the roots of one scan.
	shared *shared
}

// shared is what the root modules of one directory scan share.
type shared struct {
	mu sync.Mutex
	// varFilesScanned holds the --var-file files already scanned for
	// literal secrets: each is reported once per scan, not once per root.
	varFilesScanned map[string]bool
}

// reader holds the state of one ReadModule call.
type reader struct {
	opts      Options
	in        *source.Input
	configs   map[string]*moduleConfig
	instances []*instance
	total     int
	idx       *jsonpos.Index
	seen      map[string]bool
	limitHit  bool
	// moduleInstances counts the module instances made.
	moduleInstances int
	// modules is the root's .terraform/modules/modules.json, by key, once
	// manifestRead.
	modules      map[string]manifestEntry
	manifestRead bool
	// calls maps the module calls read to the module they call; unread
	// holds the calls of modules that are not downloaded.
	calls  map[*moduleCall]*moduleConfig
	unread map[*moduleCall]bool
	// evalStack holds the named values being evaluated, to report cycles
	// and bound the depth of references.
	evalStack []evalFrame
	// errsByFile counts the errors of each file.
	errsByFile map[string]int
}

func (r *reader) addError(e *source.Error) {
	key := e.Error()
	if r.seen["err:"+key] {
		return
	}
	r.seen["err:"+key] = true
	if r.errsByFile == nil {
		r.errsByFile = map[string]int{}
	}
	r.errsByFile[e.File]++
	if r.errsByFile[e.File] > MaxErrorsPerFile {
		return // counted in the file's last entry (see moreErrors)
	}
	r.in.Errors = append(r.in.Errors, e)
}

// moreErrors ends the errors of each file that had more than
// MaxErrorsPerFile with an entry saying how many were left out.
func (r *reader) moreErrors() {
	files := make([]string, 0, len(r.errsByFile))
	for f, n := range r.errsByFile {
		if n > MaxErrorsPerFile {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		r.in.Errors = append(r.in.Errors, &source.Error{File: f, Msg: fmt.Sprintf(
			"… and %d more errors in this file", r.errsByFile[f]-MaxErrorsPerFile)})
	}
}

// reserve counts one more resource instance, reporting once when the
// module tree has too many.
func (r *reader) reserve(file string, line int) bool {
	if r.total >= MaxResources {
		if !r.limitHit {
			r.limitHit = true
			r.addError(&source.Error{File: file, Line: line, Msg: fmt.Sprintf(
				"more than the limit of %d resource instances in one module tree; the rest are not read", MaxResources)})
		}
		return false
	}
	r.total++
	return true
}

// config returns the parsed module in dir, parsing it once.
func (r *reader) config(dir string) *moduleConfig {
	key := filepath.Clean(dir)
	if c, ok := r.configs[key]; ok {
		return c
	}
	tf, _ := listTF(dir)
	c := parseModule(dir, tf)
	r.configs[key] = c
	for _, e := range c.errors {
		r.addError(e)
	}
	return c
}

// ReadModule reads the module in dir. files are the directory's files (its
// .tf and .tfvars files are used); when nil, the directory is listed.
func ReadModule(dir string, files []string, o Options) (in *source.Input) {
	in = &source.Input{Kind: source.KindTerraform, Location: dir}
	var r *reader
	defer func() {
		if p := recover(); p != nil {
			in.Errors = append(in.Errors, &source.Error{File: dir, Msg: "internal error while reading the module; please report it"})
		}
		if r != nil {
			r.moreErrors()
		}
	}()
	if files == nil {
		entries, err := os.ReadDir(dir)
		if err != nil {
			in.Errors = append(in.Errors, &source.Error{File: dir, Msg: readError(err)})
			return in
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	r = &reader{opts: o, in: in, configs: map[string]*moduleConfig{}, idx: &jsonpos.Index{}, seen: map[string]bool{},
		calls: map[*moduleCall]*moduleConfig{}, unread: map[*moduleCall]bool{}}
	tf, auto := tfFiles(files)
	cfg := parseModule(dir, tf)
	r.configs[filepath.Clean(dir)] = cfg
	for _, e := range cfg.errors {
		r.addError(e)
	}
	root := &module{r: r, cfg: cfg, rootDir: dir, azurerm: cfg.azurermMajor,
		locals: map[string]*lazyVal{}, res: map[string]*resState{}, mods: map[string]*modState{}}
	sf := newSecretFinder(r)
	layers := r.varLayers(root, auto, sf)
	for _, f := range files {
		if isTfvars(f) && !contains(auto, f) && !r.isVarFile(f) {
			r.scanTfvarsFile(f, sf) // not loaded, but may hold secrets all the same
		}
	}
	root.setVars(nil, layers)
	root.walk()

	mp := newMapper(r.idx, root.azurerm)
	for _, inst := range r.instances {
		mp.mapInstance(inst)
	}
	mp.finish()
	in.Resources = mp.out

	byBlock := map[*hclsyntax.Block][]*arm.Resource{}
	for _, inst := range r.instances {
		byBlock[inst.decl.block] = append(byBlock[inst.decl.block], mp.byInst[inst]...)
	}
	// What reaches a PostgreSQL credential is known once every instance
	// is evaluated; the literals in the files are judged by it.
	for _, inst := range r.instances {
		sf.scanEvaluated(inst, mp.byInst[inst])
	}
	dirs := make([]string, 0, len(r.configs))
	for d := range r.configs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		for _, f := range r.configs[d].files {
			sf.scanFile(f, func(b *hclsyntax.Block) []*arm.Resource { return byBlock[b] })
		}
	}
	sf.scanCalls()
	sf.scanTfvarsEntries(root.cfg)
	return in
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// varLayers reads the automatically loaded .tfvars files, the --var-file
// files and the --var values, in that order of precedence.
func (r *reader) varLayers(root *module, auto []string, sf *secretFinder) []map[string]cty.Value {
	var layers []map[string]cty.Value
	for _, f := range auto {
		if l := r.readTfvars(root, f, sf); l != nil {
			layers = append(layers, l)
		}
	}
	for _, f := range r.opts.VarFiles {
		// A --var-file is a file in the repository as terraform.tfvars
		// is: its literals are checked the same way.
		if l := r.readTfvars(root, f, sf); l != nil {
			layers = append(layers, l)
		}
	}
	if len(r.opts.Vars) > 0 {
		l := map[string]cty.Value{}
		for name, raw := range r.opts.Vars {
			d := root.cfg.variables[name]
			if d == nil {
				continue // a value for another root module of the same scan
			}
			v := cty.StringVal(raw)
			if d.typeExpr != nil {
				if ty, diags := typeexpr.TypeConstraint(d.typeExpr); !diags.HasErrors() && !ty.IsPrimitiveType() && ty != cty.DynamicPseudoType {
					if nestingLine([]byte(raw), MaxNesting) > 0 {
						r.addError(&source.Error{File: "--var " + name, Msg: fmt.Sprintf("the value nests deeper than %d levels; not read", MaxNesting)})
						continue
					}
					expr, pd := hclsyntax.ParseExpression([]byte(raw), "--var "+name, hcl.InitialPos)
					if pd.HasErrors() {
						r.addError(&source.Error{File: "--var " + name, Msg: "the value is not a valid HCL expression for the variable's type"})
						continue
					}
					v = root.evalConst(expr)
				}
			}
			l[name] = v.Mark(runtimeMark{})
		}
		layers = append(layers, l)
	}
	return layers
}

// tfvarsBody is a parsed .tfvars (HCL) or .tfvars.json file.
type tfvarsBody struct {
	attrs hcl.Attributes
	// syntax is the HCL body, nil for JSON.
	syntax *hclsyntax.Body
}

// isTfvars reports whether a file name is a variable definitions file
// (.tfvars or .tfvars.json).
func isTfvars(name string) bool {
	return strings.HasSuffix(name, ".tfvars") || strings.HasSuffix(name, ".tfvars.json")
}

func (r *reader) parseTfvars(name string) *tfvarsBody {
	src, err := load.ReadFile(name, MaxFileSize)
	if err != nil {
		r.addError(&source.Error{File: name, Msg: readError(err)})
		return nil
	}
	if e := checkNesting(name, src); e != nil {
		r.addError(e)
		return nil
	}
	if strings.HasSuffix(name, ".json") {
		f, diags := hcljson.Parse(src, name)
		if diags.HasErrors() {
			for _, e := range diagErrors(diags) {
				r.addError(e)
			}
			return nil
		}
		attrs, diags := f.Body.JustAttributes()
		if diags.HasErrors() {
			for _, e := range diagErrors(diags) {
				r.addError(e)
			}
			return nil
		}
		return &tfvarsBody{attrs: attrs}
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		for _, e := range diagErrors(diags) {
			r.addError(e)
		}
		return nil
	}
	body, _ := f.Body.(*hclsyntax.Body)
	if body == nil {
		return nil
	}
	tb := &tfvarsBody{attrs: hcl.Attributes{}, syntax: body}
	for n, a := range body.Attributes {
		tb.attrs[n] = a.AsHCLAttribute()
	}
	return tb
}

func (r *reader) scanTfvarsFile(name string, sf *secretFinder) {
	if body := r.parseTfvars(name); body != nil {
		sf.scanTfvars(name, body)
	}
}

// isVarFile reports whether f is one of the --var-file files.
func (r *reader) isVarFile(f string) bool {
	for _, v := range r.opts.VarFiles {
		if filepath.Clean(v) == filepath.Clean(f) {
			return true
		}
	}
	return false
}

func (r *reader) readTfvars(root *module, name string, sf *secretFinder) map[string]cty.Value {
	body := r.parseTfvars(name)
	if body == nil {
		return nil
	}
	if sf != nil {
		sf.scanTfvars(name, body)
	}
	out := map[string]cty.Value{}
	for n, a := range body.attrs {
		out[n] = root.evalConst(a.Expr)
	}
	return out
}

// DirectoryReader returns the reader the scan engine calls for each
// directory of a walk: a directory with .tf files is read as a root module
// and its .tf and .tfvars files are reported consumed. A directory that a
// module block in the scanned tree calls as a local module is consumed
// without being read as a root (see the package documentation).
func DirectoryReader(o Options) func(dir string, files []string) ([]*source.Input, []string) {
	calls := &callIndexes{}
	o.shared = &shared{varFilesScanned: map[string]bool{}}
	return func(dir string, files []string) ([]*source.Input, []string) {
		tf, _ := tfFiles(files)
		var tfvars []string
		for _, f := range files {
			if isTfvars(f) {
				tfvars = append(tfvars, f)
			}
		}
		if len(tf) == 0 {
			return nil, nil
		}
		consumed := append(append([]string{}, tf...), tfvars...)
		all := files
		explicit := false
		if len(files) == 1 {
			// The engine names a single file when the user gave it: read
			// its whole directory as a root, whatever calls it.
			allTF, _ := listTF(dir)
			if len(allTF) > 1 || !sameDirListing(dir, files) {
				explicit = true
			}
			all = nil
		}
		if !explicit && calls.calledAsModule(o.Paths, dir) {
			return nil, consumed
		}
		return []*source.Input{ReadModule(dir, all, o)}, consumed
	}
}

// sameDirListing reports whether files are all the files of dir.
func sameDirListing(dir string, files []string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			n++
		}
	}
	return n == len(files)
}
