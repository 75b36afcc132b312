// Package flexserver knows the shape of an Azure Database for PostgreSQL
// flexible server beyond what an input spells out: the child resources that
// a server GET embeds, and the server parameters' Azure defaults for each
// PostgreSQL major version.
//
// Complete adds to a resource set what the model implies, so that rules see
// every server as Azure holds it: a configuration that an export left out is
// judged by its default, not as missing.
package flexserver

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/pgbaseline/pgbaseline/arm"
)

// Resource types of the flexible server and its children.
const (
	ServerType              = "Microsoft.DBforPostgreSQL/flexibleServers"
	ConfigurationType       = ServerType + "/configurations"
	FirewallRuleType        = ServerType + "/firewallRules"
	AdministratorType       = ServerType + "/administrators"
	PrivateEndpointConnType = ServerType + "/privateEndpointConnections"
	ThreatProtectionType    = ServerType + "/advancedThreatProtectionSettings"
	DatabaseType            = ServerType + "/databases"
	DiagnosticSettingsType  = "Microsoft.Insights/diagnosticSettings"
	SingleServerType        = "Microsoft.DBforPostgreSQL/servers"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// Parameter is the default of one server parameter.
type Parameter struct {
	Default   string            `yaml:"default"`
	Versions  []string          `yaml:"versions"`
	ByVersion map[string]string `yaml:"byVersion"`
}

// Defaults holds the server parameter defaults.
type Defaults struct {
	Parameters     map[string]Parameter `yaml:"parameters"`
	DefaultVersion string               `yaml:"defaultVersion"`
}

var (
	defaultsOnce sync.Once
	defaults     *Defaults
	defaultsErr  error
)

// LoadDefaults returns the embedded defaults table.
func LoadDefaults() (*Defaults, error) {
	defaultsOnce.Do(func() {
		var d Defaults
		if err := yaml.Unmarshal(defaultsYAML, &d); err != nil {
			defaultsErr = fmt.Errorf("flexserver: defaults.yaml: %w", err)
			return
		}
		defaults = &d
	})
	return defaults, defaultsErr
}

// Default returns the default value of parameter name on a major version,
// and false when the parameter does not exist on that version.
func (d *Defaults) Default(name, version string) (string, bool) {
	p, ok := d.Parameters[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	if len(p.Versions) > 0 {
		found := false
		for _, v := range p.Versions {
			if v == version {
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	if v, ok := p.ByVersion[version]; ok {
		return v, true
	}
	return p.Default, true
}

// MajorVersion returns a server's PostgreSQL major version, or the version
// Azure creates by default when the server does not say.
func (d *Defaults) MajorVersion(server *arm.Resource) string {
	v, _ := server.Get("properties.version")
	switch x := v.(type) {
	case string:
		if x != "" {
			return strings.SplitN(x, ".", 2)[0]
		}
	case float64:
		return fmt.Sprint(int(x))
	}
	return d.DefaultVersion
}

// Complete adds to set the resources that its flexible servers imply:
//   - a privateEndpointConnections child for each connection embedded in
//     a server's properties.privateEndpointConnections, unless present;
//   - a configurations child at its Azure default for each parameter of
//     the defaults table that the input does not hold for the server.
//
// Added resources carry Synthesized, which says why they exist, and the
// server's origin.
func Complete(set *arm.Set) error {
	d, err := LoadDefaults()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(d.Parameters))
	for n := range d.Parameters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, srv := range append([]*arm.Resource(nil), set.OfType(ServerType)...) {
		if srv.ID == "" {
			continue
		}
		embedPrivateEndpoints(set, srv)
		version := d.MajorVersion(srv)
		have := map[string]bool{}
		for _, c := range set.Children(srv.ID, ConfigurationType) {
			have[strings.ToLower(c.Name)] = true
		}
		for _, name := range names {
			if have[name] {
				continue
			}
			value, ok := d.Default(name, version)
			if !ok {
				continue
			}
			obj := map[string]any{
				"id":   arm.ChildID(srv.ID, ConfigurationType, name),
				"name": name,
				"type": ConfigurationType,
				"properties": map[string]any{
					"value":        value,
					"defaultValue": value,
					"source":       "system-default",
				},
			}
			c := arm.New(obj, srv.Origin)
			c.Synthesized = fmt.Sprintf("Azure default for PostgreSQL %s (not in the input)", version)
			c.Address = srv.Address
			set.Add(c)
		}
	}
	return nil
}

func embedPrivateEndpoints(set *arm.Set, srv *arm.Resource) {
	v, _ := srv.Get("properties.privateEndpointConnections")
	list, _ := v.([]any)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		id, _ := arm.Lookup(m, "id")
		ids, _ := id.(string)
		if ids == "" || set.ByID(ids) != nil {
			continue
		}
		obj := make(map[string]any, len(m)+1)
		for k, val := range m {
			obj[k] = val
		}
		if _, ok := arm.Lookup(obj, "type"); !ok {
			obj["type"] = PrivateEndpointConnType
		}
		if _, ok := arm.Lookup(obj, "name"); !ok {
			obj["name"] = ids[strings.LastIndexByte(ids, '/')+1:]
		}
		c := arm.New(obj, arm.Origin{File: srv.Origin.File, Line: srv.Line("properties.privateEndpointConnections")})
		c.Synthesized = "embedded in the server's properties.privateEndpointConnections"
		c.Address = srv.Address
		set.Add(c)
	}
}
