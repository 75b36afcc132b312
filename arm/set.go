package arm

import (
	"encoding/binary"
	"hash/maphash"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Set is an indexed collection of resources. Lookups by id, by type, by
// parent and by extended scope are constant time. A Set is safe for
// concurrent reads once built.
type Set struct {
	all        []*Resource
	byID       map[uint64]*Resource // hash of the normalized id (see hashNormal)
	byIDMore   map[string]*Resource // normalized id, for ids whose hash another id has
	byType     map[string][]*Resource
	children   map[string]*[]*Resource // normalized parent id \x00 normalized type
	extensions map[string]*[]*Resource // normalized scope id \x00 normalized type
	byGroup    map[string]*[]*Resource // subscription \x00 resource group \x00 type
	bySub      map[string]*[]*Resource // subscription \x00 type
	// types holds each type as written -> normalized, so that the
	// normalized type of the many resources of one type is one string.
	types map[string]string
	// base is the set that a layer's relational lookups also search
	// (NewLayer); nil for a plain set.
	base *Set
	// unresolved are the resources the inputs may create unseen.
	unresolved []*Unresolved
}

// AddUnresolved records resources an input may create that its reader
// could not see (see Unresolved).
func (s *Set) AddUnresolved(u Unresolved) { s.unresolved = append(s.unresolved, &u) }

// HasUnresolved reports whether the set (or a layer's base) records any
// Unresolved.
func (s *Set) HasUnresolved() bool {
	return len(s.unresolved) > 0 || (s.base != nil && s.base.HasUnresolved())
}

// UnresolvedFor returns the first Unresolved that could hold a resource
// of fullType related to scopeID, or nil.
func (s *Set) UnresolvedFor(scopeID, fullType string) *Unresolved {
	for _, u := range s.unresolved {
		if u.Covers(scopeID, fullType) {
			return u
		}
	}
	if s.base != nil {
		return s.base.UnresolvedFor(scopeID, fullType)
	}
	return nil
}

// UnresolvedWithin returns the first Unresolved that could hold a
// resource of fullType anywhere in the scope scopeID (a resource group or a
// subscription id): one whose Scope is scopeID, an ancestor of it, or a
// resource under it; nil if none.
func (s *Set) UnresolvedWithin(scopeID, fullType string) *Unresolved {
	for _, u := range s.unresolved {
		if u.Covers(scopeID, fullType) {
			return u
		}
		if (u.Type == "" || strings.EqualFold(u.Type, fullType)) && under(scopeID, u.Scope) {
			return u // given the subscription (or group): anything in it
		}
	}
	if s.base != nil {
		return s.base.UnresolvedWithin(scopeID, fullType)
	}
	return nil
}

// NewLayer returns an empty set on top of base. Resources added to the
// layer are its own; base is not changed. Lookups by relation (ByID,
// Children, Extensions, InResourceGroup and InSubscription) find the
// layer's own resources and base's, the layer's first (ByID prefers the
// layer's); All, Len, OfType and Types see only the layer's own.
//
// A scan of a large export uses one layer per flexible server, holding the
// server and the resources under it, over a base holding everything else,
// so that the fleet is never in memory at once. base must not change while
// a layer over it is in use.
func NewLayer(base *Set) *Set {
	s := NewSet()
	s.base = base
	return s
}

// Base returns the set a layer was made on, or nil.
func (s *Set) Base() *Set { return s.base }

// merged returns own followed by base's list, allocating only when both
// hold resources.
func merged(own, base []*Resource) []*Resource {
	switch {
	case len(base) == 0:
		return own
	case len(own) == 0:
		return base
	}
	out := make([]*Resource, 0, len(own)+len(base))
	return append(append(out, own...), base...)
}

// The indexes other than byID and byType are keyed by normalized parts
// joined with a NUL byte (which no type contains). Lookups build the key in
// a buffer on the stack, so that they do not allocate.
// idKeys are the normalized parts of a resource's id that Set indexes.
type idKeys struct {
	id, parent, scope, sub, rg string
	hash                       uint64 // hashNormal(id)
}

// keysOf parses a resource id once into the keys the indexes use. Every
// part is cut from the normalized id, or normalized, so the keys equal
// Normalize of ParentID, ParseID's Scope, Subscription and ResourceGroup.
func keysOf(id string) idKeys {
	if id == "" {
		return idKeys{}
	}
	norm := Normalize(id)
	k, ok := keysFrom(norm, maphash.String(idSeed, norm))
	if !ok {
		return keysOfSlow(k)
	}
	return k
}

// keysOfIn is keysOf with the normalized id made in buf when it fits, so
// that nothing is allocated: the keys then point into buf and are valid
// only while buf is (insert copies what it keeps).
func keysOfIn(buf []byte, id string) idKeys {
	if id == "" || len(id) > cap(buf) || !isASCII(id) {
		return keysOf(id)
	}
	b := appendNormal(buf[:0], id)
	if len(b) == 0 {
		return keysOf(id)
	}
	if k, ok := keysFrom(unsafe.String(&b[0], len(b)), maphash.Bytes(idSeed, b)); ok {
		return k
	}
	return keysOf(id) // parsed the slow way, which keeps parts of the id
}

// keysFrom is keysOf of the normalized id norm, whose hash is hash; ok is
// false for an id it does not split itself (keysOfSlow does).
func keysFrom(norm string, hash uint64) (k idKeys, ok bool) {
	k = idKeys{id: norm, hash: hash}
	// The segments of the id (as ParseID splits it), located without
	// allocating; ids with very many segments go the slow way.
	t := strings.Trim(k.id, "/")
	var bounds [48]int32 // start of segment i at 2i, its end at 2i+1
	nseg := 0
	for start := 0; ; {
		if nseg == len(bounds)/2 || t == "" {
			return k, false
		}
		end := strings.IndexByte(t[start:], '/')
		if end < 0 {
			end = len(t)
		} else {
			end += start
		}
		bounds[2*nseg], bounds[2*nseg+1] = int32(start), int32(end)
		nseg++
		if end == len(t) {
			break
		}
		start = end + 1
	}
	seg := func(i int) string { return t[bounds[2*i]:bounds[2*i+1]] }
	p := -1
	for i := nseg - 1; i >= 0; i-- {
		if seg(i) == "providers" {
			p = i
			break
		}
	}
	for i := 0; i+1 < nseg && (p < 0 || i < p); i += 2 {
		switch {
		case seg(i) == "subscriptions" && k.sub == "":
			k.sub = seg(i + 1)
		case seg(i) == "resourcegroups" && k.rg == "":
			k.rg = seg(i + 1)
		}
	}
	if p < 0 || p+1 >= nseg {
		return k, true
	}
	base := 0
	if k.rg != "" {
		base = 4
	} else if k.sub != "" {
		base = 2
	}
	if p > base {
		scope := t[:bounds[2*p]-1]
		if len(k.id) > len(scope) && k.id[0] == '/' && k.id[1:1+len(scope)] == scope {
			k.scope = k.id[:1+len(scope)]
		} else {
			k.scope = "/" + scope
		}
		k.scope = strings.TrimRight(k.scope, "/") // as Normalize
	}
	if types := (nseg - p - 2 + 1) / 2; types >= 2 { // as ParentID: drop the last type and name
		k.parent = parentOf(k.id)
	}
	return k, true
}

// parentOf drops the last two segments (a child's type and name) of an id
// without trailing slashes.
func parentOf(id string) string {
	p := id
	for n := 0; n < 2 && p != ""; n++ {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return ""
		}
		p = p[:i]
	}
	return p
}

// keysOfSlow is keysOf through ParseID, for the ids keysOf does not split
// itself; k holds the normalized id and its hash.
func keysOfSlow(k idKeys) idKeys {
	parsed, ok := ParseID(k.id)
	if ok && len(parsed.Types) >= 2 {
		k.parent = parentOf(k.id)
	}
	k.scope = Normalize(parsed.Scope)
	k.sub = parsed.Subscription
	k.rg = parsed.ResourceGroup
	return k
}

// NewSet indexes resources. When two resources share an id, the later one
// replaces the earlier, as a later GET would.
func NewSet(resources ...*Resource) *Set {
	s := &Set{
		byID:       make(map[uint64]*Resource, len(resources)),
		byIDMore:   make(map[string]*Resource),
		byType:     make(map[string][]*Resource),
		children:   make(map[string]*[]*Resource),
		extensions: make(map[string]*[]*Resource),
		byGroup:    make(map[string]*[]*Resource),
		bySub:      make(map[string]*[]*Resource),
		types:      make(map[string]string),
	}
	s.AddAll(resources)
	return s
}

// Add indexes one more resource. A resource without an id is kept in All and
// OfType but cannot be found as anyone's child.
func (s *Set) Add(r *Resource) {
	var buf [256]byte
	s.insert(r, keysOfIn(buf[:0], r.ID))
}

// addAllMin is the number of resources from which AddAll parses their ids
// on every core.
const addAllMin = 2048

// AddAll adds resources in order, as Add does one by one; it parses large
// batches' ids in parallel.
func (s *Set) AddAll(resources []*Resource) {
	workers := runtime.GOMAXPROCS(0)
	if len(resources) < addAllMin || workers < 2 {
		for _, r := range resources {
			s.Add(r)
		}
		return
	}
	keys := make([]idKeys, len(resources))
	var wg sync.WaitGroup
	chunk := (len(resources) + workers - 1) / workers
	for lo := 0; lo < len(resources); lo += chunk {
		hi := min(lo+chunk, len(resources))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				keys[i] = keysOf(resources[i].ID)
			}
		}()
	}
	wg.Wait()
	for i, r := range resources {
		s.insert(r, keys[i])
	}
}

func (s *Set) normType(typ string) string {
	t, ok := s.types[typ]
	if !ok {
		t = normalTypeOf(typ)
		s.types[typ] = t
	}
	return t
}

// normalTypes caches Normalize of the types sets have met, shared by every
// set (a fleet scan makes a set for each server, of the same few types),
// up to maxNormalTypes of them.
var (
	normalTypes    sync.Map // string -> string
	normalTypesLen atomic.Int32
)

const maxNormalTypes = 4096

// normalTypeOf is Normalize(typ), cached.
func normalTypeOf(typ string) string {
	if t, ok := normalTypes.Load(typ); ok {
		return t.(string)
	}
	t := Normalize(typ)
	if normalTypesLen.Load() < maxNormalTypes {
		// Cloned: the cache outlives the sets (t may be typ itself).
		if _, loaded := normalTypes.LoadOrStore(strings.Clone(typ), strings.Clone(t)); !loaded {
			normalTypesLen.Add(1)
		}
	}
	return t
}

func (s *Set) insert(r *Resource, k idKeys) {
	if k.id != "" {
		s.putID(r, k)
	}
	s.all = append(s.all, r)
	t := s.normType(r.Type)
	s.byType[t] = append(s.byType[t], r)
	if k.id == "" {
		return
	}
	var buf [256]byte
	if k.parent != "" {
		appendTo(s.children, joinKey(buf[:0], k.parent, t), r)
	}
	if k.scope != "" {
		appendTo(s.extensions, joinKey(buf[:0], k.scope, t), r)
	}
	if k.sub != "" {
		appendTo(s.bySub, joinKey(buf[:0], k.sub, t), r)
		if k.rg != "" {
			appendTo(s.byGroup, joinKey(buf[:0], k.sub, k.rg, t), r)
		}
	}
}

// putID indexes r by id, replacing (and removing from the set) a resource
// of the same id. The index holds a hash rather than the normalized id, so
// that ids are not held twice; an id whose hash another id already has
// (not seen in practice) goes to byIDMore.
func (s *Set) putID(r *Resource, k idKeys) {
	cur, ok := s.byID[k.hash]
	if !ok {
		s.byID[k.hash] = r
		return
	}
	if sameID(cur.ID, r.ID) {
		s.remove(cur)
		s.byID[k.hash] = r
		return
	}
	if old, ok := s.byIDMore[k.id]; ok {
		s.remove(old)
	}
	s.byIDMore[strings.Clone(k.id)] = r // k.id may point into a caller's buffer
}

// idSeed seeds hashNormal: the id index is in memory only, so the hash
// may differ from process to process.
var idSeed = maphash.MakeSeed()

// hashNormal is the 64-bit hash (hash/maphash) of Normalize(s), computed
// without allocating for ids of up to 256 bytes.
func hashNormal(s string) uint64 {
	var buf [256]byte
	if len(s) <= len(buf) {
		return HashNormal(appendNormal(buf[:0], s))
	}
	return maphash.String(idSeed, Normalize(s))
}

// HashNormal is the one hash of resource ids: the 64-bit hash
// (hash/maphash) of an id already in normal form (ASCII lower case, no
// trailing slash; see Normalize). Set indexes ids by it, and the fleet
// planner of the scan groups resources by it. It lives in memory only: it
// differs from process to process.
func HashNormal(b []byte) uint64 {
	return maphash.Bytes(idSeed, b)
}

// sameID reports whether Normalize(a) == Normalize(b).
func sameID(a, b string) bool {
	a, b = strings.TrimRight(a, "/"), strings.TrimRight(b, "/")
	if !isASCII(a) || !isASCII(b) {
		return Normalize(a) == Normalize(b)
	}
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// appendTo appends r to m[key], allocating the key only when it is new.
func appendTo(m map[string]*[]*Resource, key []byte, r *Resource) {
	if list := m[string(key)]; list != nil {
		*list = append(*list, r)
		return
	}
	m[string(key)] = &[]*Resource{r}
}

// get returns the list at key, or nil.
func get(m map[string]*[]*Resource, key []byte) []*Resource {
	if list := m[string(key)]; list != nil {
		return *list
	}
	return nil
}

// joinKey appends already normalized parts joined by NUL to buf.
func joinKey(buf []byte, parts ...string) []byte {
	for i, p := range parts {
		if i > 0 {
			buf = append(buf, 0)
		}
		buf = append(buf, p...)
	}
	return buf
}

// appendNormal appends Normalize(s) to buf, without allocating when s is
// ASCII.
func appendNormal(buf []byte, s string) []byte {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	n := len(buf)
	buf = append(buf, s...)
	b := buf[n:]
	// ASCII lower case in place, eight bytes at a time: a lane whose
	// byte is at least 'A' and at most 'Z' gets 0x20 added.
	const lanes01, lanes80 = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&lanes80 != 0 {
			return append(buf[:n], Normalize(s)...)
		}
		upper := (x + (0x80-'A')*lanes01) &^ (x + (0x80-'Z'-1)*lanes01) & lanes80
		binary.LittleEndian.PutUint64(b[i:], x|upper>>2)
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return append(buf[:n], Normalize(s)...)
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return buf
}

// normalKey appends the normalized parts joined by NUL to buf.
func normalKey(buf []byte, parts ...string) []byte {
	for i, p := range parts {
		if i > 0 {
			buf = append(buf, 0)
		}
		buf = appendNormal(buf, p)
	}
	return buf
}

func drop(m map[string][]*Resource, old *Resource) {
	for k, list := range m {
		for i, r := range list {
			if r == old {
				m[k] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
}

func dropP(m map[string]*[]*Resource, old *Resource) {
	for _, list := range m {
		for i, r := range *list {
			if r == old {
				*list = append((*list)[:i:i], (*list)[i+1:]...)
				break
			}
		}
	}
}

func (s *Set) remove(old *Resource) {
	for i, r := range s.all {
		if r == old {
			s.all = append(s.all[:i:i], s.all[i+1:]...)
			break
		}
	}
	drop(s.byType, old)
	dropP(s.children, old)
	dropP(s.extensions, old)
	dropP(s.byGroup, old)
	dropP(s.bySub, old)
}

// All returns every resource in the order added.
func (s *Set) All() []*Resource { return s.all }

// Len returns the number of resources.
func (s *Set) Len() int { return len(s.all) }

// ByID returns the resource with the given id, compared case-insensitively.
func (s *Set) ByID(id string) *Resource {
	if s.base != nil {
		if r := s.own(id); r != nil {
			return r
		}
		return s.base.ByID(id)
	}
	return s.own(id)
}

// own is ByID among the set's own resources.
func (s *Set) own(id string) *Resource {
	if r, ok := s.byID[hashNormal(id)]; ok && sameID(r.ID, id) {
		return r
	}
	if len(s.byIDMore) == 0 {
		return nil
	}
	return s.byIDMore[Normalize(id)]
}

// hasType reports whether the set holds resources of a full type.
func (s *Set) hasType(fullType string) bool { return len(s.OfType(fullType)) > 0 }

// OfType returns the resources of a full type, compared case-insensitively.
func (s *Set) OfType(fullType string) []*Resource {
	var buf [128]byte
	return s.byType[string(appendNormal(buf[:0], fullType))]
}

// Children returns the child resources of parentID whose full type is
// childType (e.g. Microsoft.DBforPostgreSQL/flexibleServers/configurations).
func (s *Set) Children(parentID, childType string) []*Resource {
	var buf [256]byte
	own := get(s.children, normalKey(buf[:0], parentID, childType))
	if s.base == nil || !s.base.hasType(childType) {
		return own
	}
	return merged(own, s.base.Children(parentID, childType))
}

// Extensions returns the extension resources of fullType (e.g.
// Microsoft.Insights/diagnosticSettings) on the resource scopeID.
func (s *Set) Extensions(scopeID, fullType string) []*Resource {
	var buf [256]byte
	own := get(s.extensions, normalKey(buf[:0], scopeID, fullType))
	if s.base == nil || !s.base.hasType(fullType) {
		return own
	}
	return merged(own, s.base.Extensions(scopeID, fullType))
}

// InResourceGroup returns the resources of fullType in a resource group.
func (s *Set) InResourceGroup(subscription, group, fullType string) []*Resource {
	var buf [256]byte
	own := get(s.byGroup, normalKey(buf[:0], subscription, group, fullType))
	if s.base == nil || !s.base.hasType(fullType) {
		return own
	}
	return merged(own, s.base.InResourceGroup(subscription, group, fullType))
}

// InSubscription returns the resources of fullType in a subscription.
func (s *Set) InSubscription(subscription, fullType string) []*Resource {
	var buf [256]byte
	own := get(s.bySub, normalKey(buf[:0], subscription, fullType))
	if s.base == nil || !s.base.hasType(fullType) {
		return own
	}
	return merged(own, s.base.InSubscription(subscription, fullType))
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
