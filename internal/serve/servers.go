package serve

import (
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// serverTypes are the PostgreSQL server types the Servers page lists; the
// resources under them (configurations, firewall rules, administrators,
// diagnostic settings) are listed on the server's page.
var serverTypes = map[string]bool{
	"microsoft.dbforpostgresql/flexibleservers": true,
	"microsoft.dbforpostgresql/servers":         true,
}

// serverOf returns the id of the PostgreSQL server a resource is or
// belongs to (through its parent or, for an extension resource such as a
// diagnostic setting, its scope), or "" when it belongs to none.
func serverOf(id string) string {
	for range 4 {
		p, ok := arm.ParseID(id)
		if !ok {
			return ""
		}
		if p.Scope != "" {
			id = p.Scope
			continue
		}
		if len(p.Types) == 0 || !serverTypes[strings.ToLower(p.Namespace+"/"+p.Types[0])] {
			return ""
		}
		// Cut the id after the server's name.
		segs := strings.Split(strings.Trim(id, "/"), "/")
		for i := len(segs) - 1; i >= 0; i-- {
			if strings.EqualFold(segs[i], "providers") && i+3 < len(segs) {
				return "/" + strings.Join(segs[:i+4], "/")
			}
		}
		return ""
	}
	return ""
}

// isServer reports whether id names a PostgreSQL server itself.
func isServer(id string) bool {
	s := serverOf(id)
	return s != "" && arm.Normalize(s) == arm.Normalize(id)
}

// entityKey is what makes a resource "the same" across scans and sources:
// its server's id, or its own id when it belongs to no server.
func entityKey(id string) string {
	if s := serverOf(id); s != "" {
		return arm.Normalize(s)
	}
	return arm.Normalize(id)
}

func normalizeID(id string) string { return arm.Normalize(id) }
