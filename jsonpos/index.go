package jsonpos

import (
	"reflect"
	"sync"
	"sync/atomic"
)

// recordedObject returns the *Object recorded for k, if any.
func (x *Index) recordedObject(k uintptr) *Object {
	if x.recorded.Load() == 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.objects[k]
}

// Object records where one decoded JSON object and its members start.
type Object struct {
	Line int            // line of the opening brace
	Keys map[string]int // member name (as written) -> line of the member name
}

// Index maps each decoded object to its positions. The zero value is empty
// and usable. It is safe for concurrent use.
//
// Decode stores positions compactly: per object its line and, per member, a
// 32-bit hash of the name with the member's line (8 bytes a member, no
// per-object allocation). Objects given to Record, and objects whose
// member names collide in that hash, are kept as *Object.
type Index struct {
	mu      sync.RWMutex
	objects map[uintptr]*Object
	// recorded counts the entries of objects, so that lookups in an index
	// without any skip the lock (readers on every core would otherwise
	// contend for it).
	recorded atomic.Int64
	tables   []*table
}

// table holds the compact positions that one decoder recorded.
type table struct {
	objs    map[uintptr]span
	members []uint64 // name hash << 32 | line
}

// span locates one object's members in table.members.
type span struct {
	line, first, n uint32
}

// newTable returns a table sized for about hint objects.
func newTable(hint int) *table {
	return &table{objs: make(map[uintptr]span, hint), members: make([]uint64, 0, hint*3)}
}

// Lookup returns the positions recorded for obj, a map produced by Decode,
// or nil when obj was not produced by the decode that built this index.
// For a decoded object the result is made on the first call and kept, so
// that changes to it (for example a member added while reshaping the
// document) are seen by later lookups.
func (x *Index) Lookup(obj map[string]any) *Object {
	if x == nil || obj == nil {
		return nil
	}
	k := mapKey(obj)
	if o := x.recordedObject(k); o != nil {
		return o
	}
	t, s, ok := x.compact(k)
	if !ok {
		return nil
	}
	o := &Object{Line: int(s.line)}
	if s.n > 0 {
		o.Keys = make(map[string]int, s.n)
		for name := range obj {
			if l, ok := t.member(s, name); ok {
				o.Keys[name] = l
			}
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if prev := x.objects[k]; prev != nil {
		return prev
	}
	x.put(k, o)
	return o
}

// put records o for k; the caller holds x.mu.
func (x *Index) put(k uintptr, o *Object) {
	if x.objects == nil {
		x.objects = make(map[uintptr]*Object)
	}
	if _, ok := x.objects[k]; !ok {
		x.recorded.Add(1)
	}
	x.objects[k] = o
}

// ObjectLine returns the line of obj's opening brace, without allocating.
func (x *Index) ObjectLine(obj map[string]any) (int, bool) {
	if x == nil || obj == nil {
		return 0, false
	}
	k := mapKey(obj)
	if o := x.recordedObject(k); o != nil {
		return o.Line, true
	}
	if _, s, ok := x.compact(k); ok {
		return int(s.line), true
	}
	return 0, false
}

// MemberLine returns the line of the member name of obj's member name, as
// written, without allocating.
func (x *Index) MemberLine(obj map[string]any, name string) (int, bool) {
	if x == nil || obj == nil {
		return 0, false
	}
	k := mapKey(obj)
	if o := x.recordedObject(k); o != nil {
		l, ok := o.Keys[name]
		return l, ok
	}
	if t, s, ok := x.compact(k); ok {
		return t.member(s, name)
	}
	return 0, false
}

// compact finds k in the decoders' tables.
func (x *Index) compact(k uintptr) (*table, span, bool) {
	for _, t := range x.tables { // written only while decoding
		if s, ok := t.objs[k]; ok {
			return t, s, true
		}
	}
	return nil, span{}, false
}

// member returns the line of the member named name of the object s. The
// last member of that name wins, as it does in the decoded map.
func (t *table) member(s span, name string) (int, bool) {
	h := uint64(hashName(name))
	ms := t.members[s.first : s.first+s.n]
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i]>>32 == h {
			return int(uint32(ms[i])), true
		}
	}
	return 0, false
}

// Record attaches positions to an object that a caller built from decoded
// values (for example when reshaping a document), so that later lookups
// find them.
func (x *Index) Record(obj map[string]any, o *Object) {
	if x == nil || obj == nil || o == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.put(mapKey(obj), o)
}

func mapKey(m map[string]any) uintptr {
	return uintptr(reflect.ValueOf(m).UnsafePointer())
}

// hashName is FNV-1a, 32 bits.
func hashName(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// keyLine is a member's name, line and value, while its object is decoded.
type keyLine struct {
	name string
	line int
	val  any
}

// finishObject makes the object whose members are d.pending[base:], which
// starts on line, records its positions, and drops the members from
// d.pending. A later member of a name replaces an earlier one, as in
// encoding/json.
func (d *decoder) finishObject(line int, base int) map[string]any {
	ms := d.pending[base:]
	obj := make(map[string]any, len(ms))
	for _, m := range ms {
		obj[m.name] = m.val
	}
	k := mapKey(obj)
	if collides(ms, &d.seen) {
		o := &Object{Line: line, Keys: make(map[string]int, len(ms))}
		for _, m := range ms {
			o.Keys[m.name] = m.line
		}
		d.idx.Record(obj, o)
	} else {
		t := d.tab
		t.objs[k] = span{line: uint32(line), first: uint32(len(t.members)), n: uint32(len(ms))}
		for _, m := range ms {
			t.members = append(t.members, uint64(hashName(m.name))<<32|uint64(uint32(m.line)))
		}
	}
	clear(ms)
	d.pending = d.pending[:base]
	return obj
}

// collides reports whether two different names among ms have the same
// hash, or a line does not fit in 32 bits.
func collides(ms []keyLine, seen *map[uint32]string) bool {
	for _, m := range ms {
		if uint64(m.line) > 0xFFFFFFFF {
			return true
		}
	}
	if len(ms) <= 12 {
		for i := range ms {
			hi := hashName(ms[i].name)
			for j := 0; j < i; j++ {
				if hashName(ms[j].name) == hi && ms[j].name != ms[i].name {
					return true
				}
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[uint32]string, len(ms))
	}
	defer clear(*seen)
	for _, m := range ms {
		h := hashName(m.name)
		if prev, ok := (*seen)[h]; ok && prev != m.name {
			return true
		}
		(*seen)[h] = m.name
	}
	return false
}
