package flexserver

import (
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// serverDefault is a property that Azure Resource Manager fills in when a
// request to create a flexible server leaves it out, so that the server's
// GET (and so an export) always holds it.
type serverDefault struct {
	path  []string // under properties
	value any
}

// serverDefaults are Azure's defaults for a new flexible server
// (Microsoft.DBforPostgreSQL/flexibleServers, createMode Default/Create):
// password authentication only, service-managed keys, 7 days of locally
// redundant backups, no high availability, no storage auto-grow, the
// system-managed maintenance window. network.publicNetworkAccess depends
// on the network mode and is set by CompleteCreated.
var serverDefaults = []serverDefault{
	{[]string{"authConfig", "activeDirectoryAuth"}, "Disabled"},
	{[]string{"authConfig", "passwordAuth"}, "Enabled"},
	{[]string{"backup", "backupRetentionDays"}, float64(7)},
	{[]string{"backup", "geoRedundantBackup"}, "Disabled"},
	{[]string{"highAvailability", "mode"}, "Disabled"},
	{[]string{"storage", "autoGrow"}, "Disabled"},
	{[]string{"maintenanceWindow", "customWindow"}, "Disabled"},
}

// CompleteCreated adds to a flexible server object that a deployment
// creates (an ARM template resource, a Terraform azapi_resource body) the
// properties Azure fills in on creation, so that the server is judged as
// Azure will hold it: a request that leaves out
// network.publicNetworkAccess creates a server with public access, not one
// without an answer. A server restored, replicated or updated from another
// (createMode other than Default or Create) takes its settings from the
// source server and is left as written. Objects of other types are left
// alone. The added properties have no line of their own: results on them
// point at the nearest enclosing object the source writes.
func CompleteCreated(obj map[string]any) {
	if !strings.EqualFold(typeOf(obj), ServerType) {
		return
	}
	pv, ok := arm.Lookup(obj, "properties")
	if !ok {
		pv = map[string]any{}
		obj["properties"] = pv
	}
	props, ok := pv.(map[string]any)
	if !ok {
		return // unknown before deployment
	}
	if mode, ok := arm.Lookup(props, "createMode"); ok {
		m, isString := mode.(string)
		if !isString || (!strings.EqualFold(m, "Default") && !strings.EqualFold(m, "Create")) {
			return
		}
	}
	for _, d := range serverDefaults {
		setDefault(props, d.path, d.value)
	}
	// Encryption: service-managed keys unless the request names a key.
	if enc, ok := child(props, "dataEncryption"); ok {
		if k, unset := unsetKey(enc, "type"); unset {
			if _, nokey := unsetKey(enc, "primaryKeyURI"); nokey {
				enc[k] = "SystemManaged"
			}
		}
	}
	// Public network access: Disabled for a server in a delegated subnet
	// (private access), Enabled otherwise.
	net, ok := child(props, "network")
	if !ok {
		return
	}
	pna, unset := unsetKey(net, "publicNetworkAccess")
	if !unset {
		return
	}
	subnet, _ := arm.Lookup(net, "delegatedSubnetResourceId")
	switch s := subnet.(type) {
	case nil:
		net[pna] = "Enabled"
	case string:
		if s == "" {
			net[pna] = "Enabled"
		} else {
			net[pna] = "Disabled"
		}
	case arm.Unknown:
		net[pna] = arm.Unknown{Reason: "Azure sets it from network.delegatedSubnetResourceId, which is known only at deployment (" + s.Reason + ")"}
	}
}

// typeOf returns a resource object's type.
func typeOf(obj map[string]any) string {
	t, _ := arm.Lookup(obj, "type")
	s, _ := t.(string)
	return s
}

// child returns the object under key, creating it when key is absent; it
// returns false when the value is not an object (unknown before
// deployment, or an error already reported).
func child(obj map[string]any, key string) (map[string]any, bool) {
	k := key
	for have := range obj {
		if strings.EqualFold(have, key) {
			k = have // keep the source's spelling
			break
		}
	}
	v := obj[k]
	if v == nil {
		m := map[string]any{}
		obj[k] = m
		return m, true
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// setDefault sets obj[path...] to value when the source leaves it out.
func setDefault(obj map[string]any, path []string, value any) {
	cur := obj
	for _, seg := range path[:len(path)-1] {
		next, ok := child(cur, seg)
		if !ok {
			return
		}
		cur = next
	}
	if k, unset := unsetKey(cur, path[len(path)-1]); unset {
		cur[k] = value
	}
}

// unsetKey reports whether obj leaves key out or sets it to null (a
// template's optional parameter with no value, which Azure Resource
// Manager treats as not given), and the key to set it under: the source's
// spelling when it writes one.
func unsetKey(obj map[string]any, key string) (string, bool) {
	for have, v := range obj {
		if strings.EqualFold(have, key) {
			return have, v == nil
		}
	}
	return key, true
}
