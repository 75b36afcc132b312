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
	"runtime"
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

	namesOnce sync.Once
	names     []string
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
	names := d.sortedNames()
	servers := append([]*arm.Resource(nil), set.OfType(ServerType)...)
	// The default configurations of each server, made on every core when
	// there are many: they depend only on the server and its
	// configurations in the input.
	defaults := make([][]*arm.Resource, len(servers))
	workers := runtime.GOMAXPROCS(0)
	chunk := max(64, (len(servers)+workers-1)/workers)
	var wg sync.WaitGroup
	for lo := 0; lo < len(servers); lo += chunk {
		hi := min(lo+chunk, len(servers))
		work := func() {
			for i := lo; i < hi; i++ {
				if servers[i].ID != "" {
					defaults[i] = defaultConfigurations(set, d, names, servers[i])
				}
			}
		}
		if hi-lo == len(servers) {
			work() // one chunk: no goroutine
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
	// Added in the order of old: per server, its embedded private endpoint
	// connections, then its default configurations.
	var add []*arm.Resource
	pending := map[string]bool{}
	for i, srv := range servers {
		if srv.ID == "" {
			continue
		}
		add = embedPrivateEndpoints(set, srv, pending, add)
		add = append(add, defaults[i]...)
	}
	set.AddAll(add)
	return nil
}

// sharedProps holds the properties object of each default configuration,
// by parameter and version: objects that depend only on those are shared
// by every server and every scan (resources are read, never written, once
// a set is complete).
var sharedProps sync.Map // propsKey -> map[string]any

// propsKey identifies a default configuration's properties object.
type propsKey struct{ name, version string }

// synthesizedNotes holds synthesizedNote's notes, by version.
var synthesizedNotes sync.Map // string -> string

// synthesizedNote is the Synthesized note of a default configuration of
// a server of the major version, made once per version.
func synthesizedNote(version string) string {
	if v, ok := synthesizedNotes.Load(version); ok {
		return v.(string)
	}
	v, _ := synthesizedNotes.LoadOrStore(version, "Azure default for PostgreSQL "+version+" (not in the input)")
	return v.(string)
}

// sortedNames returns the parameters of the defaults table, sorted.
func (d *Defaults) sortedNames() []string {
	d.namesOnce.Do(func() {
		d.names = make([]string, 0, len(d.Parameters))
		for n := range d.Parameters {
			d.names = append(d.names, n)
		}
		sort.Strings(d.names)
	})
	return d.names
}

// defaultConfigurations returns the configurations children at their Azure
// defaults that srv lacks.
func defaultConfigurations(set *arm.Set, d *Defaults, names []string, srv *arm.Resource) []*arm.Resource {
	version := d.MajorVersion(srv)
	// The configurations the input holds: looked through when few, as
	// most servers' are (this runs for every server of a fleet).
	children := set.Children(srv.ID, ConfigurationType)
	var have map[string]bool
	if len(children) > 16 {
		have = make(map[string]bool, len(children))
		for _, c := range children {
			have[strings.ToLower(c.Name)] = true
		}
	}
	has := func(name string) bool {
		if have != nil {
			return have[name]
		}
		for _, c := range children {
			if strings.EqualFold(c.Name, name) && strings.ToLower(c.Name) == name {
				return true
			}
		}
		return false
	}
	var out []*arm.Resource
	synthesized := synthesizedNote(version)
	for _, name := range names {
		if has(name) {
			continue
		}
		value, ok := d.Default(name, version)
		if !ok {
			continue
		}
		key := propsKey{name, version}
		var p map[string]any
		if v, ok := sharedProps.Load(key); ok {
			p = v.(map[string]any)
		} else {
			v, _ = sharedProps.LoadOrStore(key, map[string]any{
				"value":        value,
				"defaultValue": value,
				"source":       "system-default",
			})
			p = v.(map[string]any)
		}
		obj := map[string]any{
			"id":         arm.ChildID(srv.ID, ConfigurationType, name),
			"name":       name,
			"type":       ConfigurationType,
			"properties": p,
		}
		c := arm.New(obj, srv.Origin)
		c.Synthesized = synthesized
		c.Address = srv.Address
		out = append(out, c)
	}
	return out
}

// embedPrivateEndpoints appends to add the private endpoint connections
// embedded in srv that are neither in set nor pending (and notes them as
// pending).
func embedPrivateEndpoints(set *arm.Set, srv *arm.Resource, pending map[string]bool, add []*arm.Resource) []*arm.Resource {
	v, _ := srv.Get("properties.privateEndpointConnections")
	list, _ := v.([]any)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		id, _ := arm.Lookup(m, "id")
		ids, _ := id.(string)
		if ids == "" || set.ByID(ids) != nil || pending[arm.Normalize(ids)] {
			continue
		}
		pending[arm.Normalize(ids)] = true
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
		add = append(add, c)
	}
	return add
}
