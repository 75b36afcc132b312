package policy

import (
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Aliases is an alias table: alias name -> JSON path in the resource,
// with per-API-version paths. The built-in table (BuiltinAliases) covers
// every alias the embedded built-in definitions use; LoadAliases reads a
// provider alias catalog that extends it.
type Aliases struct {
	byName map[string]*Alias // lower-case alias name (the first type's, for Lookup)
	// byType maps a lower-case resource type to its aliases by lower-case
	// name: an alias belongs to the resource types that list it, whatever
	// its name's prefix (Microsoft.Compute/imageId is an alias of
	// virtualMachines and of virtualMachineScaleSets, with different paths).
	byType map[string]map[string]*Alias
	types  map[string]bool // lower-case resource types the table covers
	// apiVersions are the latest API versions a catalog lists, by
	// lower-case resource type.
	apiVersions map[string]string
	parent      *Aliases
}

// Alias is one alias: its default path and the paths of specific API
// versions.
type Alias struct {
	Name        string
	DefaultPath string
	// Paths maps a path to the API versions that use it.
	Paths []AliasPath

	def      *jpath
	versions map[string]*jpath // lower-case API version -> path
}

// AliasPath is the path of an alias in some API versions.
type AliasPath struct {
	Path        string
	APIVersions []string
}

// Lookup returns the alias called name (ASCII case-insensitively), from
// this table or the table it extends.
func (a *Aliases) Lookup(name string) *Alias {
	for t := a; t != nil; t = t.parent {
		if al := t.byName[name]; al != nil {
			return al
		}
		if al := t.byName[strings.ToLower(name)]; al != nil {
			return al
		}
	}
	return nil
}

// covers reports whether the table has alias data for a resource type
// (lower case), so that an alias of that type missing from it is invalid
// rather than resolved by the properties fallback.
func (a *Aliases) covers(lowerType string) bool {
	for t := a; t != nil; t = t.parent {
		if t.types[lowerType] {
			return true
		}
	}
	return false
}

// Len returns the number of aliases in the table and the tables it extends.
func (a *Aliases) Len() int {
	n := 0
	for t := a; t != nil; t = t.parent {
		n += len(t.byName)
	}
	return n
}

// pathFor returns the compiled path for an API version ("" = default).
func (al *Alias) pathFor(apiVersion string) *jpath {
	if apiVersion != "" && al.versions != nil {
		if p := al.versions[apiVersion]; p != nil {
			return p
		}
		if p := al.versions[strings.ToLower(apiVersion)]; p != nil {
			return p
		}
	}
	return al.def
}

func newAlias(name, defPath string, paths []AliasPath) *Alias {
	al := &Alias{Name: name, DefaultPath: defPath, Paths: paths, def: compilePath(defPath)}
	for _, p := range paths {
		cp := compilePath(p.Path)
		for _, v := range p.APIVersions {
			if al.versions == nil {
				al.versions = map[string]*jpath{}
			}
			al.versions[strings.ToLower(v)] = cp
		}
	}
	return al
}

func (a *Aliases) add(al *Alias) {
	lower := strings.ToLower(al.Name)
	if i := strings.LastIndexByte(lower, '/'); i > 0 {
		a.types[lower[:i]] = true
		a.addFor(al, lower[:i])
		return
	}
	a.byName[lower] = al
}

// addFor adds an alias of a resource type (lower case).
func (a *Aliases) addFor(al *Alias, lowerType string) {
	lower := strings.ToLower(al.Name)
	if a.byName[lower] == nil {
		a.byName[lower] = al
	}
	if a.byType == nil {
		a.byType = map[string]map[string]*Alias{}
	}
	m := a.byType[lowerType]
	if m == nil {
		m = map[string]*Alias{}
		a.byType[lowerType] = m
	}
	m[lower] = al
}

// forType returns the alias called lowerName of the resource type
// lowerType, from this table or a table it extends, and whether any table
// knows the name (for some type).
func (a *Aliases) forType(lowerName, lowerType string) (al *Alias, known bool) {
	for t := a; t != nil; t = t.parent {
		if al := t.byType[lowerType][lowerName]; al != nil {
			return al, true
		}
		if t.byName[lowerName] != nil {
			known = true
		}
	}
	return nil, known
}

// builtinAliasPaths maps each alias the embedded built-ins (and common
// custom PostgreSQL policies) use to its default path. The PostgreSQL
// paths follow the published alias data (configurations/value ->
// properties.value); diagnosticSettings metrics.enabled is the legacy
// alias over the metrics array.
var builtinAliasPaths = [][2]string{
	{"Microsoft.DBforPostgreSQL/flexibleServers/network.publicNetworkAccess", "properties.network.publicNetworkAccess"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/network.delegatedSubnetResourceId", "properties.network.delegatedSubnetResourceId"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/network.privateDnsZoneArmResourceId", "properties.network.privateDnsZoneArmResourceId"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/createMode", "properties.createMode"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/version", "properties.version"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/state", "properties.state"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/administratorLogin", "properties.administratorLogin"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/dataEncryption.type", "properties.dataEncryption.type"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/dataEncryption.primaryKeyURI", "properties.dataEncryption.primaryKeyURI"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/dataEncryption.primaryUserAssignedIdentityId", "properties.dataEncryption.primaryUserAssignedIdentityId"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/dataEncryption.geoBackupKeyURI", "properties.dataEncryption.geoBackupKeyURI"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/backup.geoRedundantBackup", "properties.backup.geoRedundantBackup"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/backup.backupRetentionDays", "properties.backup.backupRetentionDays"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/authConfig.activeDirectoryAuth", "properties.authConfig.activeDirectoryAuth"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/authConfig.passwordAuth", "properties.authConfig.passwordAuth"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/authConfig.tenantId", "properties.authConfig.tenantId"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/highAvailability.mode", "properties.highAvailability.mode"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/highAvailability.standbyAvailabilityZone", "properties.highAvailability.standbyAvailabilityZone"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/availabilityZone", "properties.availabilityZone"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/storage.autoGrow", "properties.storage.autoGrow"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/sku.name", "sku.name"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/sku.tier", "sku.tier"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections[*]", "properties.privateEndpointConnections[*]"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections[*].privateLinkServiceConnectionState.status", "properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/configurations/value", "properties.value"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/configurations/source", "properties.source"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections/privateLinkServiceConnectionState.status", "properties.privateLinkServiceConnectionState.status"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/privateEndpointConnections/privateEndpoint.id", "properties.privateEndpoint.id"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/advancedThreatProtectionSettings/state", "properties.state"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/administrators/principalType", "properties.principalType"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/administrators/principalName", "properties.principalName"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/administrators/objectId", "properties.objectId"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/administrators/tenantId", "properties.tenantId"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/startIpAddress", "properties.startIpAddress"},
	{"Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/endIpAddress", "properties.endIpAddress"},
	{"Microsoft.DBforPostgreSQL/servers/sslEnforcement", "properties.sslEnforcement"},
	{"Microsoft.DBforPostgreSQL/servers/minimalTlsVersion", "properties.minimalTlsVersion"},
	{"Microsoft.DBforPostgreSQL/servers/publicNetworkAccess", "properties.publicNetworkAccess"},
	{"Microsoft.DBforPostgreSQL/servers/storageProfile.geoRedundantBackup", "properties.storageProfile.geoRedundantBackup"},
	{"Microsoft.DBforPostgreSQL/servers/keys/serverKeyType", "properties.serverKeyType"},
	{"Microsoft.DBforPostgreSQL/servers/keys/uri", "properties.uri"},
	{"Microsoft.DBforPostgreSQL/servers/privateEndpointConnections/privateLinkServiceConnectionState.status", "properties.privateLinkServiceConnectionState.status"},
	{"Microsoft.Insights/diagnosticSettings/logs", "properties.logs"},
	{"Microsoft.Insights/diagnosticSettings/logs[*]", "properties.logs[*]"},
	{"Microsoft.Insights/diagnosticSettings/logs[*].enabled", "properties.logs[*].enabled"},
	{"Microsoft.Insights/diagnosticSettings/logs[*].category", "properties.logs[*].category"},
	{"Microsoft.Insights/diagnosticSettings/logs[*].categoryGroup", "properties.logs[*].categoryGroup"},
	{"Microsoft.Insights/diagnosticSettings/logs.enabled", "properties.logs[*].enabled"},
	{"Microsoft.Insights/diagnosticSettings/logs.category", "properties.logs[*].category"},
	{"Microsoft.Insights/diagnosticSettings/metrics", "properties.metrics"},
	{"Microsoft.Insights/diagnosticSettings/metrics[*]", "properties.metrics[*]"},
	{"Microsoft.Insights/diagnosticSettings/metrics[*].enabled", "properties.metrics[*].enabled"},
	{"Microsoft.Insights/diagnosticSettings/metrics[*].category", "properties.metrics[*].category"},
	{"Microsoft.Insights/diagnosticSettings/metrics.enabled", "properties.metrics[*].enabled"},
	{"Microsoft.Insights/diagnosticSettings/metrics.category", "properties.metrics[*].category"},
	{"Microsoft.Insights/diagnosticSettings/workspaceId", "properties.workspaceId"},
	{"Microsoft.Insights/diagnosticSettings/storageAccountId", "properties.storageAccountId"},
	{"Microsoft.Insights/diagnosticSettings/eventHubAuthorizationRuleId", "properties.eventHubAuthorizationRuleId"},
	{"Microsoft.Insights/diagnosticSettings/eventHubName", "properties.eventHubName"},
	{"Microsoft.Insights/diagnosticSettings/serviceBusRuleId", "properties.serviceBusRuleId"},
	{"Microsoft.Insights/diagnosticSettings/logAnalyticsDestinationType", "properties.logAnalyticsDestinationType"},
	{"Microsoft.Security/pricings/pricingTier", "properties.pricingTier"},
	{"Microsoft.Network/privateEndpoints/privateLinkServiceConnections[*].privateLinkServiceId", "properties.privateLinkServiceConnections[*].properties.privateLinkServiceId"},
}

var builtinAliases = func() *Aliases {
	a := &Aliases{byName: map[string]*Alias{}, types: map[string]bool{}}
	for _, e := range builtinAliasPaths {
		a.add(newAlias(e[0], e[1], nil))
	}
	// The built-in table is a convenience, not a full catalog: it does not
	// claim to cover whole types, so an alias it lacks falls back to the
	// properties path rather than being invalid.
	a.types = map[string]bool{}
	return a
}()

// BuiltinAliases returns the built-in alias table.
func BuiltinAliases() *Aliases { return builtinAliases }

// LoadAliases reads a provider alias catalog, in the shape
// `az provider list --expand resourceTypes/aliases` (or `az provider show`)
// prints: an array of providers, one provider, or the REST {"value": [...]}
// envelope. Each provider is {namespace, resourceTypes: [{resourceType,
// aliases: [{name, defaultPath, paths: [{path, apiVersions}]}]}]};
// defaultPath may also be the object {path, apiVersions}. The table
// returned extends the built-in one.
func LoadAliases(data []byte) (*Aliases, error) {
	doc, _, err := jsonpos.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("alias catalog: %w", err)
	}
	a := &Aliases{byName: map[string]*Alias{}, types: map[string]bool{}, parent: builtinAliases}
	var providers []any
	switch v := doc.(type) {
	case []any:
		providers = v
	case map[string]any:
		if val, ok := lookupOK(v, "value"); ok {
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("alias catalog: value: must be an array of providers")
			}
			providers = list
		} else {
			providers = []any{v}
		}
	default:
		return nil, fmt.Errorf("alias catalog: must be a provider object or an array of providers")
	}
	for i, p := range providers {
		pm, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("alias catalog: [%d]: must be a provider object", i)
		}
		ns, _ := lookup(pm, "namespace").(string)
		rts, ok := lookup(pm, "resourceTypes").([]any)
		if ns == "" || !ok {
			return nil, fmt.Errorf("alias catalog: [%d]: a provider needs namespace and resourceTypes", i)
		}
		for j, rt := range rts {
			rm, ok := rt.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("alias catalog: [%d].resourceTypes[%d]: must be an object", i, j)
			}
			typ, _ := lookup(rm, "resourceType").(string)
			if typ == "" {
				return nil, fmt.Errorf("alias catalog: [%d].resourceTypes[%d].resourceType: missing", i, j)
			}
			if vs, ok := lookup(rm, "apiVersions").([]any); ok {
				lt := strings.ToLower(ns + "/" + typ)
				for _, v := range vs {
					if s, ok := v.(string); ok && s != "" {
						if a.apiVersions == nil {
							a.apiVersions = map[string]string{}
						}
						if cur := a.apiVersions[lt]; cur == "" || laterAPIVersion(s, cur) {
							a.apiVersions[lt] = s
						}
					}
				}
			}
			als, _ := lookup(rm, "aliases").([]any)
			if len(als) > 0 {
				a.types[strings.ToLower(ns+"/"+typ)] = true
			}
			for k, al := range als {
				am, ok := al.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("alias catalog: [%d].resourceTypes[%d].aliases[%d]: must be an object", i, j, k)
				}
				name, _ := lookup(am, "name").(string)
				if name == "" {
					return nil, fmt.Errorf("alias catalog: [%d].resourceTypes[%d].aliases[%d].name: missing", i, j, k)
				}
				var def string
				switch d := lookup(am, "defaultPath").(type) {
				case string:
					def = d
				case map[string]any:
					def, _ = lookup(d, "path").(string)
				}
				var paths []AliasPath
				if ps, ok := lookup(am, "paths").([]any); ok {
					for _, p := range ps {
						pm, ok := p.(map[string]any)
						if !ok {
							continue
						}
						ap := AliasPath{}
						ap.Path, _ = lookup(pm, "path").(string)
						if vs, ok := lookup(pm, "apiVersions").([]any); ok {
							for _, v := range vs {
								if s, ok := v.(string); ok {
									ap.APIVersions = append(ap.APIVersions, s)
								}
							}
						}
						if ap.Path != "" {
							paths = append(paths, ap)
						}
					}
				}
				if def == "" && len(paths) > 0 {
					def = paths[0].Path
				}
				if def == "" {
					return nil, fmt.Errorf("alias catalog: alias %s has no defaultPath or paths", name)
				}
				// Catalog paths are relative to the resource's properties
				// unless they name a top-level key.
				a.addFor(newAlias(name, catalogPath(def), catalogPaths(paths)), strings.ToLower(ns+"/"+typ))
			}
		}
	}
	return a, nil
}

// topLevelKeys are the resource keys an alias path may start from; any
// other path is relative to properties.
var topLevelKeys = []string{"properties", "sku", "identity", "tags", "location", "kind", "name", "type", "id", "plan", "zones", "extendedLocation", "managedBy", "systemData"}

func catalogPath(p string) string {
	head := p
	if i := strings.IndexAny(head, ".["); i >= 0 {
		head = head[:i]
	}
	for _, k := range topLevelKeys {
		if strings.EqualFold(head, k) {
			return p
		}
	}
	return "properties." + p
}

func catalogPaths(ps []AliasPath) []AliasPath {
	for i := range ps {
		ps[i].Path = catalogPath(ps[i].Path)
	}
	return ps
}
