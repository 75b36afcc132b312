package arm

import "strings"

// ID is a parsed ARM resource id.
//
//	/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{childType}/{childName}...]
//
// An extension resource's id is the id of the resource it extends (its
// Scope) followed by /providers/{ns}/{type}/{name}.
type ID struct {
	Subscription  string
	ResourceGroup string
	// Scope is the id of the resource an extension resource extends, or ""
	// for an ordinary resource.
	Scope string
	// Namespace is the resource provider, e.g. Microsoft.DBforPostgreSQL.
	Namespace string
	// Types and Names hold the type and name segments: for a
	// configuration, Types is [flexibleServers configurations].
	Types, Names []string
}

// ParseID parses an ARM resource id. It is lenient: it returns what it can
// recognise and ok=false when the id has no provider segment.
func ParseID(id string) (ID, bool) {
	var out ID
	segs := strings.Split(strings.Trim(id, "/"), "/")
	// The last "providers" segment starts the resource's own part.
	p := -1
	for i := len(segs) - 1; i >= 0; i-- {
		if strings.EqualFold(segs[i], "providers") {
			p = i
			break
		}
	}
	for i := 0; i+1 < len(segs) && (p < 0 || i < p); i += 2 {
		switch {
		case strings.EqualFold(segs[i], "subscriptions") && out.Subscription == "":
			out.Subscription = segs[i+1]
		case strings.EqualFold(segs[i], "resourceGroups") && out.ResourceGroup == "":
			out.ResourceGroup = segs[i+1]
		}
	}
	if p < 0 || p+1 >= len(segs) {
		return out, false
	}
	// Anything between the resource group (or subscription) and the last
	// providers segment is the scope of an extension resource.
	scopeEnd := p
	base := 0
	if out.ResourceGroup != "" {
		base = 4
	} else if out.Subscription != "" {
		base = 2
	}
	if scopeEnd > base {
		out.Scope = "/" + strings.Join(segs[:scopeEnd], "/")
	}
	out.Namespace = segs[p+1]
	rest := segs[p+2:]
	for i := 0; i < len(rest); i += 2 {
		out.Types = append(out.Types, rest[i])
		if i+1 < len(rest) {
			out.Names = append(out.Names, rest[i+1])
		} else {
			out.Names = append(out.Names, "")
		}
	}
	return out, true
}

// FullType is the resource type, e.g. Microsoft.DBforPostgreSQL/flexibleServers/configurations.
func (id ID) FullType() string {
	if id.Namespace == "" {
		return ""
	}
	return id.Namespace + "/" + strings.Join(id.Types, "/")
}

// ParentID returns the id of the resource that a child resource belongs to:
// for .../flexibleServers/s1/configurations/c1 it is .../flexibleServers/s1.
// It returns "" for a top-level or extension resource.
func ParentID(id string) string {
	parsed, ok := ParseID(id)
	if !ok || len(parsed.Types) < 2 {
		return ""
	}
	return parentOf(strings.TrimRight(id, "/"))
}

// ScopeID returns the id of the resource that an extension resource (such as
// a diagnostic setting) extends, or "".
func ScopeID(id string) string {
	parsed, _ := ParseID(id)
	return parsed.Scope
}

// TypeOfID returns the full resource type an id names.
func TypeOfID(id string) string {
	parsed, _ := ParseID(id)
	return parsed.FullType()
}

// ChildID returns the id of a child resource: parent + /childType/name,
// where childType is the last segment of the child's type.
func ChildID(parent, childType, name string) string {
	if i := strings.LastIndexByte(childType, '/'); i >= 0 {
		childType = childType[i+1:]
	}
	return strings.TrimRight(parent, "/") + "/" + childType + "/" + name
}

// ExtensionID returns the id of an extension resource of fullType (such as
// Microsoft.Insights/diagnosticSettings) named name, on the resource scope.
func ExtensionID(scope, fullType, name string) string {
	return strings.TrimRight(scope, "/") + "/providers/" + fullType + "/" + name
}

// ParentType returns the type of a child type's parent:
// Microsoft.DBforPostgreSQL/flexibleServers for
// Microsoft.DBforPostgreSQL/flexibleServers/configurations, or "".
func ParentType(fullType string) string {
	if strings.Count(fullType, "/") < 2 {
		return ""
	}
	return fullType[:strings.LastIndexByte(fullType, '/')]
}

// Normalize folds an id or type for use as a map key.
func Normalize(s string) string { return strings.ToLower(strings.TrimRight(s, "/")) }
