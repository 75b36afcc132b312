package policy

import (
	"os"

	"github.com/pgbaseline/pgbaseline/arm"
	"path/filepath"
	"strings"
)

// Evaluation is one definition to evaluate with resolved parameters, as an
// assignment or a user's --policy file gives it.
type Evaluation struct {
	Definition  *Definition
	Params      map[string]any
	ReferenceID string
}

// ControlID returns the MCSB control the definition's metadata names
// (metadata.mcsbControl), or "".
func (e *Evaluation) ControlID() string {
	s, _ := lookup(e.Definition.Metadata, "mcsbControl").(string)
	return s
}

// Evaluate evaluates the definition on r with the evaluation's parameters.
func (e *Evaluation) Evaluate(r *arm.Resource, env *Env) *Result {
	local := *env
	local.Params = e.Params
	return e.Definition.Evaluate(r, &local)
}

// Collection holds the definitions read from files.
type Collection struct {
	Definitions []*Definition
}

// LoadFiles reads policy definitions from files and directories (searched
// recursively for .json files). Each problem is returned as an error naming
// the file; reading goes on past it.
func LoadFiles(paths []string) (*Collection, []error) {
	c := &Collection{}
	var errs []error
	for _, p := range paths {
		_ = filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if info.IsDir() || (path != p && !strings.EqualFold(filepath.Ext(path), ".json")) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			d, err := ParseDefinition(data)
			if err != nil {
				errs = append(errs, &fileError{path, err})
				return nil
			}
			c.Definitions = append(c.Definitions, d)
			return nil
		})
	}
	return c, errs
}

type fileError struct {
	file string
	err  error
}

func (e *fileError) Error() string { return e.file + ": " + e.err.Error() }

// Evaluations returns one evaluation per definition, with default
// parameters.
func (c *Collection) Evaluations(lookup func(id string) *Definition) ([]*Evaluation, error) {
	out := make([]*Evaluation, 0, len(c.Definitions))
	for _, d := range c.Definitions {
		out = append(out, &Evaluation{Definition: d})
	}
	return out, nil
}
