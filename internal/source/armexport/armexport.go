// Package armexport reads exported ARM resources: what the REST API, the az
// CLI and Azure Resource Graph print.
//
// A document may hold one resource object, an array of them,
// {"value": [...]} as the REST API and `az ... list` print, or
// {"data": [...]} as Resource Graph prints. The az CLI's flattened shape,
// where a resource's properties stand beside its id and type (as
// `az postgres flexible-server show` prints it), is folded back into the
// ARM shape. A REST specification example ({"responses": {"200": {"body":
// ...}}}) is read through its body. Every resource remembers the file and
// line it came from, and the line of each of its properties.
package armexport

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// envelope lists the top-level keys of an ARM resource that are not
// properties. Keys outside it, beside an id and a type and with no
// "properties" key, are the az CLI's flattened properties.
var envelope = map[string]bool{
	"id": true, "name": true, "type": true, "location": true, "tags": true, "sku": true,
	"identity": true, "kind": true, "systemdata": true, "etag": true, "zones": true,
	"resourcegroup": true, "managedby": true, "plan": true, "extendedlocation": true,
	"apiversion": true, "subscriptionid": true, "tenantid": true,
}

// Detect reports whether a decoded JSON document looks like exported ARM
// resources.
func Detect(doc any) bool {
	return len(collect(doc, nil)) > 0
}

// ReadFile reads and parses one file.
func ReadFile(path string) *source.Input {
	in := &source.Input{Kind: source.KindARMExport, Location: path}
	data, err := os.ReadFile(path)
	if err != nil {
		in.Errors = append(in.Errors, &source.Error{File: path, Msg: readError(err)})
		return in
	}
	return Parse(path, data)
}

func readError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse parses data read from the file named name.
func Parse(name string, data []byte) *source.Input {
	in := &source.Input{Kind: source.KindARMExport, Location: name}
	doc, idx, err := jsonpos.Decode(data)
	if err != nil {
		in.Errors = append(in.Errors, syntaxError(name, err))
		return in
	}
	if err := EncodingError(name, data); err != nil {
		in.Errors = append(in.Errors, err)
	}
	in.Resources = FromDocument(name, doc, idx)
	if len(in.Resources) == 0 {
		in.Errors = append(in.Errors, &source.Error{File: name, Line: 1,
			Msg: `no ARM resources found: expected a resource object with "id" and "type", an array of them, {"value": [...]} or {"data": [...]}`})
	}
	return in
}

// EncodingError returns the input error of a document that is not
// UTF-8, naming the file and the line of the first invalid byte, or nil.
// Such a document is still read (see jsonpos.CheckUTF8).
func EncodingError(name string, data []byte) *source.Error {
	var ee *jsonpos.EncodingError
	if !errors.As(jsonpos.CheckUTF8(data), &ee) {
		return nil
	}
	return &source.Error{File: name, Line: ee.Line, Column: ee.Column, Msg: ee.Error()}
}

func syntaxError(name string, err error) *source.Error {
	var se *jsonpos.SyntaxError
	if errors.As(err, &se) {
		return &source.Error{File: name, Line: se.Line, Column: se.Column,
			Msg: fmt.Sprintf("invalid JSON at byte offset %d: %s", se.Offset, se.Msg)}
	}
	return &source.Error{File: name, Msg: err.Error()}
}

// FromDocument returns the resources of an already decoded document; idx
// may be nil.
func FromDocument(name string, doc any, idx *jsonpos.Index) []*arm.Resource {
	objs := collect(doc, nil)
	out := make([]*arm.Resource, len(objs))
	// Each object is independent (the index is safe for concurrent use):
	// large exports are made into resources on every core.
	workers := runtime.GOMAXPROCS(0)
	if len(objs) < 4096 {
		workers = 1
	}
	chunk := (len(objs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(objs); lo += chunk {
		hi := min(lo+chunk, len(objs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				obj := unflatten(objs[i], idx)
				line, _ := idx.ObjectLine(obj)
				out[i] = arm.New(obj, arm.Origin{File: name, Line: line}).WithPositions(idx)
			}
		}()
	}
	wg.Wait()
	return out
}

// collect finds the resource objects of a document.
func collect(doc any, out []map[string]any) []map[string]any {
	switch v := doc.(type) {
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok && isResource(m) {
				out = append(out, m)
			} else if ok {
				out = collect(m, out)
			}
		}
	case map[string]any:
		if isResource(v) {
			return append(out, v)
		}
		for _, key := range []string{"value", "data"} {
			if list, ok := arm.Lookup(v, key); ok {
				if _, isArr := list.([]any); isArr {
					return collect(list, out)
				}
			}
		}
		if resp, ok := arm.GetPath(v, "responses.200.body"); ok {
			return collect(resp, out)
		}
	}
	return out
}

// isResource reports whether m has a string id or type that looks like an
// ARM resource: a type with a namespace, or an id with a provider segment.
func isResource(m map[string]any) bool {
	t, _ := arm.Lookup(m, "type")
	ts, _ := t.(string)
	id, _ := arm.Lookup(m, "id")
	ids, _ := id.(string)
	return isResourceIDType(ids, ts)
}

// unflatten folds the az CLI's flattened properties back under
// "properties", and fills a missing type from the id.
func unflatten(obj map[string]any, idx *jsonpos.Index) map[string]any {
	if _, ok := arm.Lookup(obj, "type"); !ok {
		if id, ok := arm.Lookup(obj, "id"); ok {
			if s, ok := id.(string); ok {
				obj["type"] = arm.TypeOfID(s)
			}
		}
	}
	if _, ok := arm.Lookup(obj, "properties"); ok {
		return obj
	}
	var loose []string
	for k := range obj {
		if !envelope[strings.ToLower(k)] {
			loose = append(loose, k)
		}
	}
	if len(loose) == 0 {
		return obj
	}
	props := make(map[string]any, len(loose))
	pos := &jsonpos.Object{Keys: map[string]int{}}
	parent := idx.Lookup(obj)
	for _, k := range loose {
		props[k] = obj[k]
		delete(obj, k)
		if parent != nil {
			pos.Keys[k] = parent.Keys[k]
		}
	}
	obj["properties"] = props
	if parent != nil {
		pos.Line = parent.Line
		parent.Keys["properties"] = parent.Line
		idx.Record(props, pos)
	}
	return obj
}
