package armexport

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Lazy is a large export read one resource at a time: Skim validates the
// document and lists each resource's id, type, name and line without
// decoding it, and a LazyReader decodes the resources a scan asks for, so
// that a fleet's resources need never all be in memory. It implements
// source.LazyResources.
type Lazy struct {
	name    string
	data    []byte
	entries []source.LazyEntry
	spans   []jsonpos.Span
}

// Skim returns the lazy form of the export data read from the file name,
// or nil when the document is not one whose resources can be read that
// way; Parse reads it then. A lazy document is an array of resource
// objects, or an object holding one in "value" or "data" (the REST API's,
// the az CLI's and Resource Graph's lists), with no member that another
// reader claims ("$schema", "format_version", "pgbaseline"). Its resources
// are the array's objects; other elements are passed over, as Parse does.
// Skim also returns nil for any document Parse would read differently: a
// syntax error (Parse reports it), an element that is an object but not a
// resource (Parse searches it), or a resource whose id, type or name
// members are ambiguous (written twice, in any case).
func Skim(name string, data []byte) *Lazy {
	out, err := jsonpos.Skim(data, keepMember)
	if err != nil {
		return nil
	}
	var elems []jsonpos.Element
	switch out.Kind {
	case '[':
		elems = out.Elements
	case '{':
		found := false
		for _, m := range out.Members {
			switch m.Name {
			case "$schema", "format_version", "pgbaseline":
				return nil
			}
		}
		// As collect: "value", then "data", each found as arm.Lookup
		// finds a key (exactly, else in any case); an object that is
		// itself a resource is one resource, not a list.
		if len(out.Members) > 0 && isResourceOutline(data, out.Members) {
			return nil
		}
		for _, key := range []string{"value", "data"} {
			m, ok, ambiguous := lookupMember(out.Members, key)
			if ambiguous {
				return nil
			}
			if ok && m.Value.Start < len(data) && data[m.Value.Start] == '[' {
				elems, found = m.Elements, true
				break
			}
		}
		if !found {
			return nil
		}
	default:
		return nil
	}
	// Each element's entry, on every core for a large document.
	type part struct {
		entries []source.LazyEntry
		spans   []jsonpos.Span
		ok      bool
	}
	workers := 1
	if len(elems) >= 4096 {
		workers = runtime.GOMAXPROCS(0)
	}
	parts := make([]part, workers)
	chunk := (len(elems) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := w*chunk, min((w+1)*chunk, len(elems))
			p := part{ok: true}
			if lo < hi {
				p.entries = make([]source.LazyEntry, 0, hi-lo)
				p.spans = make([]jsonpos.Span, 0, hi-lo)
			}
			types := map[string]string{}
			for _, el := range elems[max(lo, 0):max(hi, lo)] {
				if !el.Object {
					continue
				}
				e, ok := entryOf(data, el, types)
				if !ok {
					p.ok = false
					break
				}
				e.Line = el.Line
				p.entries = append(p.entries, e)
				p.spans = append(p.spans, el.Span)
			}
			parts[w] = p
		}()
	}
	wg.Wait()
	n := 0
	for _, p := range parts {
		if !p.ok {
			return nil
		}
		n += len(p.entries)
	}
	if n == 0 {
		return nil // Parse reports that no resources were found
	}
	l := &Lazy{name: name, data: data, entries: make([]source.LazyEntry, 0, n), spans: make([]jsonpos.Span, 0, n)}
	for _, p := range parts {
		l.entries = append(l.entries, p.entries...)
		l.spans = append(l.spans, p.spans...)
	}
	return l
}

// keepMember selects the members of each element that Skim outlines.
func keepMember(name string) bool {
	return len(name) <= 4 && (strings.EqualFold(name, "id") || strings.EqualFold(name, "type") ||
		strings.EqualFold(name, "name"))
}

// lookupMember finds key among members as arm.Lookup would: exactly,
// else in any case. ambiguous is set when the case-insensitive match is
// not unique (the decoded object would keep one of them by chance).
func lookupMember(members []jsonpos.Member, key string) (m jsonpos.Member, ok, ambiguous bool) {
	n := 0
	exact := -1
	for i, x := range members {
		if x.Name == key {
			if exact >= 0 {
				return m, false, true // a duplicate member: the decoder keeps the last
			}
			exact = i
		}
		if strings.EqualFold(x.Name, key) {
			n++
			if exact < 0 {
				m = x
			}
		}
	}
	if exact >= 0 {
		return members[exact], true, false
	}
	return m, n == 1, n > 1
}

// isResourceOutline is isResource for an outlined object.
func isResourceOutline(data []byte, members []jsonpos.Member) bool {
	str := func(key string) string {
		m, ok, _ := lookupMember(members, key)
		if !ok {
			return ""
		}
		s, _ := jsonpos.String(data, m.Value)
		return s
	}
	return isResourceIDType(str("id"), str("type"))
}

// entryOf reads the id, type and name of one element as arm.New (after
// unflatten) would, and reports false when the element is not a resource
// or its members are ambiguous.
func entryOf(data []byte, el jsonpos.Element, types map[string]string) (source.LazyEntry, bool) {
	var e source.LazyEntry
	get := func(key string) (s string, present, ok bool) {
		m, found, ambiguous := lookupMember(el.Members, key)
		if ambiguous {
			return "", false, false
		}
		if !found {
			return "", false, true
		}
		s, _ = jsonpos.String(data, m.Value)
		return s, true, true
	}
	id, _, ok1 := get("id")
	typ, typePresent, ok2 := get("type")
	name, _, ok3 := get("name")
	if !ok1 || !ok2 || !ok3 || !isResourceIDType(id, typ) {
		return e, false
	}
	if !typePresent && id != "" {
		typ = arm.TypeOfID(id) // as unflatten fills it
	}
	if t, ok := types[typ]; ok {
		typ = t
	} else {
		types[typ] = typ
	}
	e.ID, e.Type, e.Name = id, typ, name
	return e, true
}

// isResourceIDType is isResource on an object's id and type strings: a type
// with a namespace, or an id with a provider segment.
func isResourceIDType(id, typ string) bool {
	if typ == "" && id == "" {
		return false
	}
	if typ != "" && !strings.Contains(typ, "/") {
		return false
	}
	if typ == "" {
		if _, ok := arm.ParseID(id); !ok {
			return false
		}
	}
	return true
}

// File returns the name of the document's file.
func (l *Lazy) File() string { return l.name }

// Entries lists the document's resources in document order.
func (l *Lazy) Entries() []source.LazyEntry { return l.entries }

// NewReader returns a reader of the document's resources; each goroutine
// needs its own.
func (l *Lazy) NewReader() source.LazyReader {
	return &lazyReader{l: l, dec: jsonpos.NewDecoder(l.data)}
}

type lazyReader struct {
	l   *Lazy
	dec *jsonpos.Decoder
}

// Read decodes the resources of the entries at the given indexes, with
// their positions, into resources as Parse makes them. Resources read by
// one call share a position index, dropped when they are.
func (r *lazyReader) Read(indexes []int) ([]*arm.Resource, error) {
	r.dec.Reset()
	out := make([]*arm.Resource, len(indexes))
	idx := r.dec.Index()
	for i, n := range indexes {
		v, err := r.dec.Decode(r.l.spans[n])
		obj, ok := v.(map[string]any)
		if err != nil || !ok {
			// Skim validated the document: only a bug gets here.
			return nil, fmt.Errorf("%s:%d: reading the resource again: %v", r.l.name, r.l.spans[n].Line, err)
		}
		obj = unflatten(obj, idx)
		out[i] = arm.New(obj, arm.Origin{File: r.l.name, Line: r.l.spans[n].Line}).WithPositions(idx)
	}
	return out, nil
}
