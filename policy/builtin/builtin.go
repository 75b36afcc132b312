// Package builtin embeds the Azure Policy built-in definitions for Azure
// Database for PostgreSQL verbatim (Azure/azure-policy), parsed once.
package builtin

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/policy"
)

//go:embed definitions/*.json
var files embed.FS

var load = sync.OnceValues(func() ([]*policy.Definition, error) {
	entries, err := files.ReadDir("definitions")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*policy.Definition
	for _, e := range entries {
		data, err := files.ReadFile("definitions/" + e.Name())
		if err != nil {
			return nil, err
		}
		d, err := policy.ParseDefinition(data)
		if err != nil {
			return nil, fmt.Errorf("built-in %s: %w", e.Name(), err)
		}
		if seen[strings.ToLower(d.Name)] {
			continue // the Azure Government copy of cdd1dbc6 is byte-identical
		}
		seen[strings.ToLower(d.Name)] = true
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
})

// All returns the 32 unique built-in definitions, sorted by name.
func All() ([]*policy.Definition, error) { return load() }

// ByName returns the built-in whose name (GUID) is guid, or nil.
func ByName(guid string) *policy.Definition {
	all, err := load()
	if err != nil {
		return nil
	}
	guid = guid[strings.LastIndexByte(guid, '/')+1:]
	for _, d := range all {
		if strings.EqualFold(d.Name, guid) {
			return d
		}
	}
	return nil
}
