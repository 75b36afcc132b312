package policy

import (
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// jpath is a compiled JSON path such as properties.logs[*].enabled: a list
// of object keys, each possibly followed by [*] (every array element).
type jpath struct {
	raw   string
	steps []step
	wild  bool // has a [*]
}

type step struct {
	key string // "" for a [*] step
	all bool
}

func compilePath(p string) *jpath {
	jp := &jpath{raw: p}
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.Index(part, "[*]")
			if i < 0 {
				jp.steps = append(jp.steps, step{key: part})
				break
			}
			if i > 0 {
				jp.steps = append(jp.steps, step{key: part[:i]})
			}
			jp.steps = append(jp.steps, step{all: true})
			jp.wild = true
			part = part[i+3:]
		}
	}
	return jp
}

// render writes the JSON path of one selected element, with the indices
// of its [*] steps: properties.logs[2].enabled.
func renderPath(steps []step, idx []int, prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	k := 0
	for _, s := range steps {
		if s.all {
			b.WriteByte('[')
			if k < len(idx) {
				b.WriteString(strconv.Itoa(idx[k]))
			} else {
				b.WriteByte('*')
			}
			k++
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// lookupKey finds key in obj with ARM's key rule: an exact match, else an
// ASCII case-insensitive (OrdinalIgnoreCase) one.
func lookupKey(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if asciiEqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// asciiHasPrefixFold reports whether s starts with prefix, ASCII
// case-insensitively.
func asciiHasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiEqualFold(s[:len(prefix)], prefix)
}

// getSteps walks key steps (no [*]) from v. unknown is set when an
// arm.Unknown stands on the way.
func getSteps(v any, steps []step) (out any, found, unknown bool) {
	cur := v
	for _, s := range steps {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := lookupKey(c, s.key)
			if !ok {
				return nil, false, false
			}
			cur = next
		case arm.Unknown:
			// A property below an unknown value: its refinements say
			// nothing of the property.
			return arm.Unknown{Reason: c.Reason}, true, true
		default:
			return nil, false, false
		}
	}
	if _, ok := cur.(arm.Unknown); ok {
		return cur, true, true
	}
	return cur, true, false
}

// selection walks a path with [*] steps, calling fn for each selected
// value with its [*] indices. It returns arrayFound=false when the first
// array is missing (or null); an element that lacks the rest of the path
// is reported as not found; a non-array where an array is expected is
// iterated once as a virtual missing element. A selected value that is
// unknown (or lies below an unknown object) is passed to fn as an
// arm.Unknown; unknown is true when an array to iterate is itself unknown,
// so that the selection has elements not passed to fn. fn returns false to
// stop.
func selection(root any, steps []step, idx []int, fn func(v any, found bool, idx []int) bool) (arrayFound, unknown bool) {
	first := -1
	for i, s := range steps {
		if s.all {
			first = i
			break
		}
	}
	if first < 0 {
		// An unknown value (or a value below an unknown object) is
		// passed to fn, which decides what its refinements settle.
		v, found, _ := getSteps(root, steps)
		fn(v, found, idx)
		return true, false
	}
	arr, found, unk := getSteps(root, steps[:first])
	if unk {
		return true, true
	}
	if !found || arr == nil {
		return false, false
	}
	list, ok := arr.([]any)
	if !ok {
		fn(nil, false, idx)
		return true, false
	}
	rest := steps[first+1:]
	for i, e := range list {
		sub := append(idx, i)
		if len(rest) == 0 {
			if !fn(e, true, sub) {
				return true, unknown
			}
			continue
		}
		stop := false
		found, unk := selection(e, rest, sub, func(v any, f bool, ix []int) bool {
			if !fn(v, f, ix) {
				stop = true
				return false
			}
			return true
		})
		if unk {
			unknown = true
		}
		if !found && !stop {
			// The inner array is missing: one virtual missing element.
			if !fn(nil, false, sub) {
				stop = true
			}
		}
		if stop {
			return true, unknown
		}
	}
	return true, unknown
}

// fieldKind classifies a field reference.
type fieldKind uint8

const (
	fAlias fieldKind = iota
	fName
	fFullName
	fKind
	fType
	fLocation
	fID
	fIdentityType
	fIdentityUserAssigned // identity.userAssignedIdentities
	fTags
	fTag
	fRawPath // properties.x.y: a JSON path, accepted as an extension
	fInvalid
)

// fieldRef is a compiled field reference.
type fieldRef struct {
	raw       string
	lower     string
	kind      fieldKind
	tag       string // for fTag
	aliasType string // lower-case resource type of an alias
	builtin   *Alias // the built-in alias, if any
	fallback  *jpath // properties.<rest>: the documented fallback
	raw2      *jpath // for fRawPath
	wild      bool   // the name has [*]
}

var specialFields = map[string]fieldKind{
	"name": fName, "fullname": fFullName, "kind": fKind, "type": fType, "location": fLocation,
	"id": fID, "identity.type": fIdentityType, "tags": fTags,
	"identity.userassignedidentities": fIdentityUserAssigned,
}

func compileField(s string) *fieldRef {
	lower := strings.ToLower(s)
	f := &fieldRef{raw: s, lower: lower, wild: strings.Contains(s, "[*]")}
	if k, ok := specialFields[lower]; ok {
		f.kind = k
		return f
	}
	if strings.HasPrefix(lower, "tags") && len(s) > 4 && (s[4] == '.' || s[4] == '[') {
		f.kind = fTag
		f.tag = tagName(s[4:])
		return f
	}
	if strings.HasPrefix(lower, "properties.") || strings.HasPrefix(lower, "properties[") {
		f.kind = fRawPath
		f.raw2 = compilePath(s)
		return f
	}
	i := strings.LastIndexByte(s, '/')
	if i <= 0 || i == len(s)-1 || !strings.Contains(s[:i], "/") && !strings.Contains(s[:i], ".") {
		f.kind = fInvalid
		return f
	}
	f.kind = fAlias
	f.aliasType = lower[:i]
	f.builtin = builtinAliases.Lookup(lower)
	f.fallback = compilePath("properties." + s[i+1:])
	return f
}

// tagName reads the tag name of tags.x, tags[x], tags['x'] (with ” for a
// quote).
func tagName(s string) string {
	if strings.HasPrefix(s, ".") {
		return s[1:]
	}
	s = strings.TrimPrefix(s, "[")
	s = strings.TrimSuffix(s, "]")
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		s = strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// normLocation folds a location as Azure compares them: "East US 2" is
// eastus2.
func normLocation(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || ('A' <= c && c <= 'Z') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

// fullName is the parent-prefixed name of a resource (server/config).
func fullName(r *arm.Resource) string {
	id, ok := arm.ParseID(r.ID)
	if !ok || len(id.Names) == 0 {
		return r.Name
	}
	return strings.Join(id.Names, "/")
}
