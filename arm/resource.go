// Package arm is the Azure Resource Manager resource model that every
// pgbaseline source produces and every rule consumes.
//
// A Resource is the ARM JSON object of one resource (id, type, name,
// location, kind, sku, identity, tags, properties), as the REST API returns
// it, plus where it came from. Property, type and name lookups are
// case-insensitive, as they are in ARM. A Set indexes resources so that a
// rule finds a server's children (configurations, firewall rules,
// administrators, ...) and extension resources (diagnostic settings) in
// constant time.
package arm

import (
	"strconv"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Origin says where a value was read: a file and a 1-based line. Line is 0
// when unknown. For live resources File is empty.
type Origin struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Unknown stands in the value tree for a value that is not known before
// deployment: a Terraform value known only after apply, an ARM reference(),
// a data source. Rules that read an Unknown give the status Unknown rather
// than a verdict.
//
// An Unknown may carry refinements: what is certain about the value even
// though the value itself is not (as Terraform's value refinements do). A
// key_vault_key_id taken from a key's id is unknown before apply, but it is
// certainly a non-empty string starting with "https://". Rules use the
// refinements in three-valued logic: an exists or a != "" test on such a
// value is true, not unknown.
type Unknown struct {
	Reason string // why the value is unknown, e.g. "known after apply"
	// NotNull: the value will not be null (it exists).
	NotNull bool `json:"notNull,omitempty"`
	// NonEmpty: the value will be a non-empty string, array or object
	// (implies NotNull).
	NonEmpty bool `json:"nonEmpty,omitempty"`
	// Prefix: the value will be a string that starts with Prefix
	// (a non-empty Prefix implies NonEmpty).
	Prefix string `json:"prefix,omitempty"`
}

// Exists reports whether the value is certain not to be null.
func (u Unknown) Exists() bool { return u.NotNull || u.NonEmpty || u.Prefix != "" }

// Filled reports whether the value is certain to be non-empty.
func (u Unknown) Filled() bool { return u.NonEmpty || u.Prefix != "" }

// Resource is one ARM resource.
type Resource struct {
	// ID, Type and Name are the resource's id, type and name, copied from
	// Object when the resource was made.
	ID, Type, Name string
	// Object is the whole ARM object. Keys keep the case they were read in.
	Object map[string]any
	// Origin is where the resource object starts.
	Origin Origin
	// Address is the name the source gives the resource, when it differs
	// from its ARM id (a Terraform address such as
	// azurerm_postgresql_flexible_server.main). Empty otherwise.
	Address string
	// Synthesized is set on resources that no input contained but that the
	// model implies, such as a configuration at its Azure default value.
	Synthesized string
	// Suppressions are the inline suppressions written on the resource's
	// source block (Terraform's "# pgbaseline:ignore RULE ...").
	Suppressions []Suppression
	// MaybeAbsent, when not empty, says that the resource may not exist
	// after deployment and why: its count, for_each or condition is not
	// known (Terraform count = var.x ? 1 : 0 with no value for x, an ARM
	// copy loop of unknown count). Such a resource is neither present nor
	// absent: an existence check that would be satisfied only by it is
	// Unknown. Its own configuration is judged as written (what it is if
	// it is created).
	MaybeAbsent string

	pos *jsonpos.Index
}

// Suppression is an inline "ignore this rule here" written in the source.
type Suppression struct {
	RuleID  string    // the rule suppressed
	Reason  string    // why, as written
	Expires time.Time // zero when it never expires
	Origin  Origin    // where the suppression is written
}

// New makes a Resource of an ARM object, reading its id, type and name.
func New(obj map[string]any, origin Origin) *Resource {
	r := &Resource{Object: obj, Origin: origin}
	r.ID, _ = stringAt(obj, "id")
	r.Type, _ = stringAt(obj, "type")
	r.Name, _ = stringAt(obj, "name")
	return r
}

// WithPositions attaches the position index of the decode that produced the
// resource's object, so that Line can name the line of any property.
func (r *Resource) WithPositions(idx *jsonpos.Index) *Resource {
	r.pos = idx
	return r
}

func stringAt(obj map[string]any, key string) (string, bool) {
	v, ok := Lookup(obj, key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// Properties returns the resource's properties object, or nil.
func (r *Resource) Properties() map[string]any {
	v, _ := Lookup(r.Object, "properties")
	m, _ := v.(map[string]any)
	return m
}

// Location returns the resource's location as written.
func (r *Resource) Location() string { s, _ := stringAt(r.Object, "location"); return s }

// Kind returns the resource's kind.
func (r *Resource) Kind() string { s, _ := stringAt(r.Object, "kind"); return s }

// APIVersion returns the API version the resource was read or written with,
// when the source knows it.
func (r *Resource) APIVersion() string { s, _ := stringAt(r.Object, "apiVersion"); return s }

// Get returns the value at a dotted path such as
// "properties.network.publicNetworkAccess", matching keys
// case-insensitively. An element of an array is addressed by its index:
// "properties.logs.0.enabled" or "properties.logs[0].enabled".
func (r *Resource) Get(path string) (any, bool) { return GetPath(r.Object, path) }

// GetString returns the string at path, or "" when it is absent or not a
// string.
func (r *Resource) GetString(path string) string {
	v, _ := r.Get(path)
	s, _ := v.(string)
	return s
}

// Line returns the line of the deepest element of path that the source
// recorded, falling back to the resource's own line. It does not allocate.
func (r *Resource) Line(path string) int {
	line := r.Origin.Line
	if r.pos == nil {
		return line
	}
	var cur any = r.Object
	for rest := path; rest != ""; {
		var seg string
		seg, rest = nextSegment(rest)
		switch c := cur.(type) {
		case map[string]any:
			key, v, ok := lookupKey(c, seg)
			if !ok {
				return line
			}
			if l, ok := r.pos.MemberLine(c, key); ok {
				line = l
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return line
			}
			cur = c[i]
			if m, ok := cur.(map[string]any); ok {
				if l, ok := r.pos.ObjectLine(m); ok {
					line = l
				}
			}
		default:
			return line
		}
	}
	return line
}

// nextSegment splits the first segment off a path written as splitPath
// reads it ("a.b[0].c" is a, b, 0, c).
func nextSegment(path string) (seg, rest string) {
	i := strings.IndexAny(path, ".[")
	if i < 0 {
		return strings.ReplaceAll(path, "]", ""), ""
	}
	seg, rest = path[:i], path[i+1:]
	if strings.IndexByte(seg, ']') >= 0 {
		seg = strings.ReplaceAll(seg, "]", "")
	}
	return seg, rest
}

// Lookup returns obj[key], matching key case-insensitively (ASCII folding,
// as ARM does). An exact match wins over a folded one.
func Lookup(obj map[string]any, key string) (any, bool) {
	_, v, ok := lookupKey(obj, key)
	return v, ok
}

func lookupKey(obj map[string]any, key string) (string, any, bool) {
	if v, ok := obj[key]; ok {
		return key, v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return k, v, true
		}
	}
	return "", nil, false
}

// GetPath walks a dotted path through nested objects and arrays, matching
// object keys case-insensitively.
func GetPath(v any, path string) (any, bool) {
	cur := v
	for _, seg := range splitPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := Lookup(c, seg)
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// splitPath splits "a.b[0].c" into ["a", "b", "0", "c"].
func splitPath(path string) []string {
	if path == "" {
		return nil
	}
	path = strings.ReplaceAll(strings.ReplaceAll(path, "[", "."), "]", "")
	return strings.Split(path, ".")
}

// Unresolved stands for resources an input may create that its reader
// could not see: the resources of a Terraform module whose source was not
// downloaded, of a nested deployment that could not be expanded, or of a
// copy loop whose names are known only at deployment. An existence check
// that finds nothing where an Unresolved could hold a match is Unknown,
// never NonCompliant.
type Unresolved struct {
	// Scope is the id of a resource that what made the unseen resources
	// was given (a server the module's arguments refer to, say): they can
	// be children or extensions of that resource, or lie in its resource
	// group or subscription. "" when they could be anywhere in the input.
	Scope string
	// Type is the full type of the unseen resources, "" when any type.
	Type string
	// Reason says what was not read and why, naming the module or
	// deployment.
	Reason string
	// Origin is where the module call or deployment is written.
	Origin Origin
}

// Covers reports whether the unseen resources could include a resource
// of fullType that is a child or an extension of the resource scopeID:
// when their Scope is "" (anywhere), or scopeID itself or a resource under
// it. A module given only a resource group cannot make a child of a server
// it does not know.
func (u *Unresolved) Covers(scopeID, fullType string) bool {
	if u.Type != "" && !strings.EqualFold(u.Type, fullType) {
		return false
	}
	return u.Scope == "" || under(u.Scope, scopeID)
}

// under reports whether id is ancestor itself or a resource under it,
// compared case-insensitively segment by segment.
func under(id, ancestor string) bool {
	return len(id) >= len(ancestor) && strings.EqualFold(id[:len(ancestor)], ancestor) &&
		(len(id) == len(ancestor) || id[len(ancestor)] == '/')
}
