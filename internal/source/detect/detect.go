// Package detect assembles every file source's reader into one
// load.Loader, so that a scan of a directory reads each file as what it
// is: Terraform modules and plans, ARM templates and their parameter files
// (and .bicep, compiled when a bicep executable is on PATH), pgbaseline
// snapshots of live Azure, and exported ARM resources.
//
// The kind of each file is detected from its content, not its name, except
// for the .tf, .tfvars and .bicep files that only their own reader takes.
package detect

import (
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/internal/source/azure"
	"github.com/pgbaseline/pgbaseline/internal/source/load"
	"github.com/pgbaseline/pgbaseline/internal/source/terraform"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Options are the per-run settings of the sources that take any.
type Options struct {
	// Terraform holds --var and --var-file values.
	Terraform terraform.Options
	// ARM holds --param-file values and the deployment context.
	ARM armtemplate.Options
}

// Loader returns a loader with every source's readers, in the order that
// makes detection unambiguous: Terraform plans and ARM templates (both
// recognised by their own schema keys) and snapshots before the ARM export
// reader, which takes any JSON that holds ARM resources.
func Loader(o Options) *load.Loader {
	templates, templateDirs := armtemplate.Readers(o.ARM)
	return &load.Loader{
		DirectoryReaders: []load.DirectoryReader{
			terraform.DirectoryReader(o.Terraform),
			templateDirs,
		},
		Readers: []load.DocumentReader{
			readPlan,
			templates,
			azure.ReadSnapshot,
		},
	}
}

// readPlan adapts terraform.ReadPlan to the document reader signature.
func readPlan(name string, _ []byte, doc any, _ *jsonpos.Index) (*source.Input, bool) {
	return terraform.ReadPlan(name, doc)
}
