// Package armtemplate expands ARM deployment templates offline into the
// resources a deployment would create, so that they can be scanned before
// they are deployed.
//
// Expansion follows ARM's semantics: parameters from their defaults, from
// the parameter file paired by name (main.json + main.parameters.json, or a
// main.bicepparam compiled by bicep) and from explicit parameter files;
// variables, including copy loops; resource and property copy loops with
// ARM's limit of 800; conditions; nested child resources; extension
// resources (scope, and the older type/providers/type form); nested
// deployments with inner or outer expression scope, following relative
// template links; user-defined functions; and symbolic-name templates
// (languageVersion 2.0, as Bicep emits them). Values that only a deployment
// knows (reference(), list*(), Key Vault references, parameters without a
// value) are arm.Unknown. An optional parameter ("nullable": true, as
// Bicep compiles `param x string?`) without a value is null, and null
// passed to a parameter with a default gives the default, as in ARM.
// fail() is an error naming the template's message where it is evaluated
// (never in a branch of if() not taken). A nested deployment's parameters
// may be expressions: the whole object, one parameter's {"value": ...}
// object, or the value.
//
// What a template may or may not create is said, not guessed: a resource
// copy loop whose count is not known gives one representative instance,
// and a resource whose condition is not known is kept, both with
// arm.Resource.MaybeAbsent set to the reason and a note in the input; the
// resources of such a nested deployment inherit it. A nested deployment
// that cannot be expanded (a link to a URL, a template spec, a template
// not known) adds an arm.Unresolved to the input, so that existence checks
// on what it may create are Unknown rather than NonCompliant.
//
// Every resource has the id Azure would give it in a deployment context
// whose defaults are set by Options, points at the line of its object in
// the template, and its Line(path) names the template line of a property.
// Bad input gives a source.Error naming the file, the JSON path and the
// line; the rest of the template still comes through.
//
// Expansion is bounded (see Limits): a template that would build more
// than the budget allows (variables that double a value, copy loops in
// copy loops) is an error, "expansion budget exceeded: ...", naming the
// file, the path and the expression, and the resources expanded until
// then are kept. ARM's own limits are enforced where they exist: 800 per
// copy loop and 24,576 characters per expression. At most 100 errors and
// 100 notes are listed per template.
//
// The value of a secure parameter (securestring, secureObject) is
// evaluated as it is, but never leaves the package: a resource string
// that holds it becomes an arm.Unknown marked as a sensitive value, and
// errors and notes show "***" instead (see sensitive.go).
//
// A file that is not UTF-8 is an error naming its first invalid line,
// and is still read; a UTF-8 byte order mark is accepted.
//
// The package also applies the source-text rule PGB-IM8-02: a secure
// parameter with a literal default, or a password written in plain text
// into a parameter file, is a finding. The secret itself is never printed.
package armtemplate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armexport"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Defaults of the deployment context.
const (
	DefaultSubscription  = "00000000-0000-0000-0000-000000000000"
	DefaultResourceGroup = "resourceGroup"
	DefaultLocation      = "westus"
	// DefaultMaxDepth bounds the nesting of deployments.
	DefaultMaxDepth = 10
	// MaxCopyCount is ARM's limit on the count of one copy loop: "800
	// resources (including copy count)", in Template limits of
	// https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices.
	// A copy loop over it is an error, as it is in Azure.
	MaxCopyCount = 800
	// MaxExpressionLength is ARM's limit on one template expression,
	// "24,576 characters in a template expression" (same page). A longer
	// expression is an error and is not evaluated.
	MaxExpressionLength = 24_576
	// DefaultMaxResources bounds the resources one expansion produces,
	// nested deployments included. Azure allows 800 per template, but
	// nested deployments each have their own 800, so this is pgbaseline's
	// own bound, far above real fleets.
	DefaultMaxResources = 100_000
	// RuleLiteralSecret is the id of the source-text rule on literal secrets
	// in templates and parameter files.
	RuleLiteralSecret = "PGB-IM8-02"
)

// Options set the deployment context and extra parameter values.
type Options struct {
	// ParamFiles are parameter files (deploymentParameters JSON) applied to
	// every template, after the one paired with it by name. A parameter a
	// template does not declare is passed over.
	ParamFiles []string
	// Subscription, ResourceGroup and Location are the subscription id,
	// resource group name and resource group location of the deployment;
	// empty means the defaults above.
	Subscription, ResourceGroup, Location string
	// MaxDepth bounds the nesting of deployments; 0 means DefaultMaxDepth.
	MaxDepth int
	// Limits bound the work and the size of one expansion; zero fields
	// take the defaults (expr.DefaultLimits, DefaultMaxResources).
	Limits Limits

	// linked, shared by the readers Readers returns, holds the files that
	// expanded templates followed by a relative templateLink.
	linked *linkedFiles
}

// linkedFiles is the set of template files read through a templateLink.
type linkedFiles struct {
	mu    sync.Mutex
	files map[string]bool
}

func (l *linkedFiles) add(file string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.files[filepath.Clean(file)] = true
}

func (l *linkedFiles) has(file string) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.files[filepath.Clean(file)]
}

// Readers returns the document reader and the directory reader of one
// scan (see Reader and DirectoryReader). They share what the expansion
// learns: a template that another template of the scan links to by a
// relative templateLink is expanded as part of that deployment, with its
// parameters, and not on its own, where its required parameters would
// have no values. A directory walk reads a directory before its
// subdirectories, which is where such links point.
func Readers(o Options) (doc func(name string, data []byte, doc any, idx *jsonpos.Index) (*source.Input, bool),
	dir func(dir string, files []string) ([]*source.Input, []string)) {
	o.linked = &linkedFiles{files: map[string]bool{}}
	return Reader(o), DirectoryReader(o)
}

// Limits bound one expansion of a template, its nested deployments
// included, so that a hostile template (variables that double a value
// forty times, copy loops in copy loops) is an error naming the file and
// the expression rather than exhausted memory. Exceeding a limit is an
// input error, "expansion budget exceeded: ...", at the path where it
// happened; the resources expanded until then are kept.
type Limits struct {
	// Limits are the evaluation limits: steps of work, array elements and
	// object members built, and string bytes built, each summed over the
	// expansion (expr.DefaultLimits: 50,000,000 steps, 10,000,000
	// values, 64 MiB).
	expr.Limits
	// Resources bounds the resources produced (DefaultMaxResources).
	Resources int
}

func (o Options) withDefaults() Options {
	if o.Limits.Resources <= 0 {
		o.Limits.Resources = DefaultMaxResources
	}
	if o.Subscription == "" {
		o.Subscription = DefaultSubscription
	}
	if o.ResourceGroup == "" {
		o.ResourceGroup = DefaultResourceGroup
	}
	if o.Location == "" {
		o.Location = DefaultLocation
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return o
}

// IsTemplate reports whether a decoded JSON document is a deployment
// template: an object whose $schema names a deploymentTemplate.
func IsTemplate(doc any) bool { return schemaContains(doc, "deploymenttemplate") }

// IsParameterFile reports whether a decoded JSON document is a deployment
// parameter file: an object whose $schema names deploymentParameters.
func IsParameterFile(doc any) bool { return schemaContains(doc, "deploymentparameters") }

func schemaContains(doc any, what string) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	s, _ := m["$schema"].(string)
	return strings.Contains(strings.ToLower(s), what)
}

// Expand decodes and expands the template in data, read from the file
// named name. The parameter file paired with it by name is read from disk.
func Expand(name string, data []byte, o Options) *source.Input {
	doc, idx, err := jsonpos.Decode(data)
	if err != nil {
		in := &source.Input{Kind: source.KindARMTemplate, Location: name}
		in.Errors = append(in.Errors, syntaxError(name, err))
		return in
	}
	return withEncoding(expandDocument(name, doc, idx, o, nil), name, data)
}

// withEncoding adds to in the error of a template file that is not UTF-8.
func withEncoding(in *source.Input, name string, data []byte) *source.Input {
	if err := armexport.EncodingError(name, data); err != nil {
		in.Errors = append([]*source.Error{err}, in.Errors...)
	}
	return in
}

// Reader returns a document reader for the scan engine's registry: it
// expands deployment templates and consumes parameter files (returning nil
// and true), which the expansion of their template reads.
func Reader(o Options) func(name string, data []byte, doc any, idx *jsonpos.Index) (*source.Input, bool) {
	return func(name string, data []byte, doc any, idx *jsonpos.Index) (*source.Input, bool) {
		switch {
		case IsParameterFile(doc), o.linked.has(name):
			return nil, true
		case IsTemplate(doc):
			return withEncoding(expandDocument(name, doc, idx, o, nil), name, data), true
		}
		return nil, false
	}
}

func syntaxError(name string, err error) *source.Error {
	var se *jsonpos.SyntaxError
	if errors.As(err, &se) {
		return &source.Error{File: name, Line: se.Line, Column: se.Column,
			Msg: fmt.Sprintf("invalid JSON at byte offset %d: %s", se.Offset, se.Msg)}
	}
	return &source.Error{File: name, Msg: err.Error()}
}
