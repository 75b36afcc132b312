package arm

import "sort"

// Set is an indexed collection of resources. Lookups by id, by type, by
// parent and by extended scope are constant time. A Set is safe for
// concurrent reads once built.
type Set struct {
	all        []*Resource
	byID       map[string]*Resource
	byType     map[string][]*Resource
	children   map[string][]*Resource // normalized parent id + "|" + normalized type
	extensions map[string][]*Resource // normalized scope id + "|" + normalized type
	byGroup    map[string][]*Resource // sub|rg|type
	bySub      map[string][]*Resource // sub|type
}

// NewSet indexes resources. When two resources share an id, the later one
// replaces the earlier, as a later GET would.
func NewSet(resources ...*Resource) *Set {
	s := &Set{
		byID:       make(map[string]*Resource, len(resources)),
		byType:     make(map[string][]*Resource),
		children:   make(map[string][]*Resource),
		extensions: make(map[string][]*Resource),
		byGroup:    make(map[string][]*Resource),
		bySub:      make(map[string][]*Resource),
	}
	for _, r := range resources {
		s.Add(r)
	}
	return s
}

// Add indexes one more resource. A resource without an id is kept in All and
// OfType but cannot be found as anyone's child.
func (s *Set) Add(r *Resource) {
	if r.ID != "" {
		key := Normalize(r.ID)
		if old, ok := s.byID[key]; ok {
			s.remove(old)
		}
		s.byID[key] = r
	}
	s.all = append(s.all, r)
	t := Normalize(r.Type)
	s.byType[t] = append(s.byType[t], r)
	if r.ID == "" {
		return
	}
	if p := ParentID(r.ID); p != "" {
		k := Normalize(p) + "|" + t
		s.children[k] = append(s.children[k], r)
	}
	parsed, _ := ParseID(r.ID)
	if parsed.Scope != "" {
		k := Normalize(parsed.Scope) + "|" + t
		s.extensions[k] = append(s.extensions[k], r)
	}
	if parsed.Subscription != "" {
		sub := Normalize(parsed.Subscription)
		s.bySub[sub+"|"+t] = append(s.bySub[sub+"|"+t], r)
		if parsed.ResourceGroup != "" {
			k := sub + "|" + Normalize(parsed.ResourceGroup) + "|" + t
			s.byGroup[k] = append(s.byGroup[k], r)
		}
	}
}

func (s *Set) remove(old *Resource) {
	drop := func(m map[string][]*Resource) {
		for k, list := range m {
			for i, r := range list {
				if r == old {
					m[k] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
		}
	}
	for i, r := range s.all {
		if r == old {
			s.all = append(s.all[:i:i], s.all[i+1:]...)
			break
		}
	}
	drop(s.byType)
	drop(s.children)
	drop(s.extensions)
	drop(s.byGroup)
	drop(s.bySub)
}

// All returns every resource in the order added.
func (s *Set) All() []*Resource { return s.all }

// Len returns the number of resources.
func (s *Set) Len() int { return len(s.all) }

// ByID returns the resource with the given id, compared case-insensitively.
func (s *Set) ByID(id string) *Resource { return s.byID[Normalize(id)] }

// OfType returns the resources of a full type, compared case-insensitively.
func (s *Set) OfType(fullType string) []*Resource { return s.byType[Normalize(fullType)] }

// Children returns the child resources of parentID whose full type is
// childType (e.g. Microsoft.DBforPostgreSQL/flexibleServers/configurations).
func (s *Set) Children(parentID, childType string) []*Resource {
	return s.children[Normalize(parentID)+"|"+Normalize(childType)]
}

// Extensions returns the extension resources of fullType (e.g.
// Microsoft.Insights/diagnosticSettings) on the resource scopeID.
func (s *Set) Extensions(scopeID, fullType string) []*Resource {
	return s.extensions[Normalize(scopeID)+"|"+Normalize(fullType)]
}

// InResourceGroup returns the resources of fullType in a resource group.
func (s *Set) InResourceGroup(subscription, group, fullType string) []*Resource {
	return s.byGroup[Normalize(subscription)+"|"+Normalize(group)+"|"+Normalize(fullType)]
}

// InSubscription returns the resources of fullType in a subscription.
func (s *Set) InSubscription(subscription, fullType string) []*Resource {
	return s.bySub[Normalize(subscription)+"|"+Normalize(fullType)]
}

// Types returns the distinct normalized types in the set, sorted.
func (s *Set) Types() []string {
	out := make([]string, 0, len(s.byType))
	for t, list := range s.byType {
		if len(list) > 0 {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}
