// Package source defines what every input adapter produces: ARM-shaped
// resources with their origins, and errors that name the file and line of
// bad input. The adapters live in the sub-packages (armexport, terraform,
// armtemplate, ...).
package source

import (
	"fmt"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/verdict"
)

// Target kinds, as the JSON report spells them.
const (
	KindARMExport     = "arm-export"
	KindARMTemplate   = "arm-template"
	KindTerraform     = "terraform"
	KindTerraformPlan = "terraform-plan"
	KindAzure         = "azure"
	KindPostgres      = "postgres"
)

// Input is what one adapter read from one target.
type Input struct {
	// Kind is one of the Kind constants.
	Kind string
	// Location is the file, directory, subscription or redacted DSN.
	Location string
	// Resources are the ARM-shaped resources read.
	Resources []*arm.Resource
	// Errors are the problems met; the resources read despite them are
	// still in Resources.
	Errors []*Error
	// Lazy, when set, holds the input's resources still undecoded, and
	// Resources is empty. Only a load.Loader with LazyMin set makes such
	// inputs; scan.Engine.RunJSON reads them.
	Lazy LazyResources
	// Findings are verdicts the source reached from the text of the input
	// itself, such as a literal secret in a file.
	Findings []Finding
	// Unresolved are resources the input may create that the reader could
	// not see (a module not downloaded, a deployment not expanded).
	Unresolved []arm.Unresolved
	// Notes are things the user should know that are not errors (a .bicep
	// file skipped beside its compiled JSON, say): printed on stderr and
	// kept in the report. Each names its file.
	Notes []string
	// Refused marks data that exists but that the source was refused (a
	// read Azure answered with 403), as arm.Unknown marks values not
	// known: a rule whose verdict needs data of that type (the catalog's
	// Rule.Needs) gives Error on the resource, never a verdict reached on
	// missing data.
	Refused []Refusal
}

// Refusal is data of one type, related to one resource, that a source was
// refused.
type Refusal struct {
	// Resource is the id of the resource the hidden data belongs to (a
	// server whose parameters were refused, say).
	Resource string
	// Type is the full type of the hidden data.
	Type string
	// Reason says what could not be read and why ("could not read the
	// server parameters (configurations): 403 Forbidden ...").
	Reason string
	// Evidence holds the answer's statusCode and errorCode, where known.
	Evidence map[string]any
}

// Finding is a verdict of a source-text rule (a literal password in a
// .tf file, a secure template parameter with a literal default). The scan
// engine completes it from the rule's catalog entry.
type Finding struct {
	RuleID string
	// Resource is the resource the finding concerns, or nil when it
	// concerns a file (a .tfvars file, say).
	Resource *arm.Resource
	File     string
	Line     int
	// Status is the verdict: verdict.NonCompliant, Compliant, Exempt, ...
	Status  verdict.Status
	Message string // never holds the secret itself
	// Evidence must never hold a secret either: name the attribute, not its value.
	Evidence map[string]any
}

// Error is a problem with an input, pointing at the file and, where there
// is one, the line and column.
type Error struct {
	File   string
	Line   int // 0 when not known
	Column int // 0 when not known
	// Path is a JSON path (e.g. resources[2].properties) where that is
	// more useful than a line.
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.File == "" {
		if e.Path != "" {
			return e.Path + ": " + e.Msg
		}
		return e.Msg
	}
	loc := e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			loc += fmt.Sprintf(":%d", e.Column)
		}
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// LazyResources are the resources of a large document, listed but not yet
// decoded (see armexport.Lazy). A scan reads them a few at a time while
// the rules run, so that they are never all in memory.
type LazyResources interface {
	// File is the document's file.
	File() string
	// Entries lists the resources in document order.
	Entries() []LazyEntry
	// NewReader returns a reader of the resources; each goroutine needs
	// its own.
	NewReader() LazyReader
}

// LazyEntry is one resource of a LazyResources, before it is read: its id,
// type and name as the resource will have them, and the line it starts on.
type LazyEntry struct {
	ID, Type, Name string
	Line           int
}

// LazyReader reads resources of a LazyResources.
type LazyReader interface {
	// Read returns the resources of the entries at the given indexes.
	Read(indexes []int) ([]*arm.Resource, error)
}
