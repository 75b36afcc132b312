package policy

import (
	"strings"
)

// latestAPIVersions are the latest stable API versions of the resource
// types the baseline evaluates and looks up, by lower-case type: what
// requestContext().apiVersion gives for a resource that names no API
// version when no alias catalog lists the type's versions. A child type not
// listed takes its parent's.
var latestAPIVersions = map[string]string{
	"microsoft.dbforpostgresql/flexibleservers":                                  "2025-08-01",
	"microsoft.dbforpostgresql/servers":                                          "2017-12-01",
	"microsoft.insights/diagnosticsettings":                                      "2021-05-01-preview",
	"microsoft.network/privateendpoints":                                         "2024-05-01",
	"microsoft.network/virtualnetworks":                                          "2024-05-01",
	"microsoft.network/networksecuritygroups":                                    "2024-05-01",
	"microsoft.network/privatednszones":                                          "2024-06-01",
	"microsoft.keyvault/vaults":                                                  "2024-11-01",
	"microsoft.managedidentity/userassignedidentities":                           "2023-01-31",
	"microsoft.operationalinsights/workspaces":                                   "2023-09-01",
	"microsoft.storage/storageaccounts":                                          "2024-01-01",
	"microsoft.eventhub/namespaces":                                              "2024-01-01",
	"microsoft.security/pricings":                                                "2024-01-01",
	"microsoft.authorization/policyassignments":                                  "2025-03-01",
	"microsoft.authorization/policyexemptions":                                   "2024-12-01-preview",
	"microsoft.resources/resourcegroups":                                         "2021-04-01",
	"microsoft.dbforpostgresql/flexibleservers/advancedthreatprotectionsettings": "2025-08-01",
}

// genericAPIVersion is what requestContext().apiVersion gives for a type
// nothing else knows: the Microsoft.Resources version that generic
// resource reads (az resource show) use.
const genericAPIVersion = "2021-04-01"

// requestAPIVersion is requestContext().apiVersion: the request's API
// version (Env.APIVersion), else the resource's apiVersion, else the
// latest stable version a loaded alias catalog lists for the type, else the
// latest known stable version of the type (or of its parent type), else
// genericAPIVersion. It is never "".
func (c *evalCtx) requestAPIVersion() string {
	if c.api != "" {
		return c.api
	}
	typ := strings.ToLower(c.ifRes.Type)
	for t := typ; t != ""; t = parentType(t) {
		if c.aliases != nil {
			if v := c.aliases.latestAPIVersion(t); v != "" {
				return v
			}
		}
		if v := latestAPIVersions[t]; v != "" {
			return v
		}
	}
	return genericAPIVersion
}

// parentType returns the parent of a child type (a/b/c -> a/b), "" for a
// top-level type.
func parentType(t string) string {
	i := strings.LastIndexByte(t, '/')
	if i < 0 || strings.Count(t, "/") < 2 {
		return ""
	}
	return t[:i]
}

// latestAPIVersion returns the latest API version the table (or a table
// it extends) lists for a lower-case resource type, "" if none.
func (a *Aliases) latestAPIVersion(lowerType string) string {
	for t := a; t != nil; t = t.parent {
		if v := t.apiVersions[lowerType]; v != "" {
			return v
		}
	}
	return ""
}

// laterAPIVersion reports whether API version a is preferred to b as a
// type's latest: a stable version over any preview, then the later date.
func laterAPIVersion(a, b string) bool {
	da, pa := splitAPIVersion(a)
	db, pb := splitAPIVersion(b)
	if pa != pb {
		return !pa
	}
	return da > db
}

func splitAPIVersion(v string) (date string, preview bool) {
	v = strings.ToLower(v)
	if len(v) >= 10 {
		return v[:10], len(v) > 10
	}
	return v, false
}
