package jsonpos

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// checkSkim checks Skim against Decode on data: the same verdict, and for
// a valid document, outlined parts that decode (with a Decoder) to the
// very values and positions of the whole decode. parallel is the size
// from which arrays are skimmed on every core.
func checkSkim(t *testing.T, data []byte, parallel int) {
	t.Helper()
	want, wantIdx, decErr := decode(data, math.MaxInt)
	keep := func(name string) bool { return strings.EqualFold(name, "id") || name == "name" }
	s := skimmer{data: data, line: 1, keep: keep, parallelMin: parallel}
	out, err := s.skim()
	if (err == nil) != (decErr == nil) {
		t.Fatalf("Skim error %v, Decode error %v", err, decErr)
	}
	if err != nil {
		return
	}
	dec := NewDecoder(data)
	root, err := dec.Decode(out.Root)
	if err != nil {
		t.Fatalf("decoding the root span: %v", err)
	}
	if !reflect.DeepEqual(root, want) {
		t.Fatalf("root decodes to %#v, want %#v", root, want)
	}
	var a, b []string
	walkPositions(root, dec.Index(), &a)
	walkPositions(want, wantIdx, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("positions differ:\n%v\n%v", a, b)
	}
	checkElements := func(els []Element, arr any) {
		t.Helper()
		list, _ := arr.([]any)
		if len(list) != len(els) {
			t.Fatalf("%d elements outlined, %d decoded", len(els), len(list))
		}
		for i, el := range els {
			dec.Reset()
			v, err := dec.Decode(el.Span)
			if err != nil {
				t.Fatalf("element %d: %v", i, err)
			}
			if !reflect.DeepEqual(v, list[i]) {
				t.Fatalf("element %d decodes to %#v, want %#v", i, v, list[i])
			}
			var a, b []string
			walkPositions(v, dec.Index(), &a)
			walkPositions(list[i], wantIdx, &b)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("element %d positions differ:\n%v\n%v", i, a, b)
			}
			obj, isObj := list[i].(map[string]any)
			if el.Object != isObj {
				t.Fatalf("element %d: Object %v", i, el.Object)
			}
			kept := 0
			for k := range obj {
				if keep(k) {
					kept++
				}
			}
			lastKept := map[string]Member{}
			for _, m := range el.Members {
				lastKept[m.Name] = m
			}
			if len(lastKept) != kept {
				t.Fatalf("element %d: %d member names kept, want %d", i, len(lastKept), kept)
			}
			for _, m := range lastKept {
				mv, err := NewDecoder(data).Decode(m.Value)
				if err != nil || !reflect.DeepEqual(mv, obj[m.Name]) {
					t.Fatalf("element %d member %q: %#v (%v), want %#v", i, m.Name, mv, err, obj[m.Name])
				}
				if s, ok := String(data, m.Value); ok != (reflect.TypeOf(mv) == reflect.TypeOf("")) || ok && s != mv {
					t.Fatalf("String of member %q: %q %v", m.Name, s, ok)
				}
			}
		}
	}
	switch out.Kind {
	case '[':
		checkElements(out.Elements, want)
	case '{':
		obj := want.(map[string]any)
		// Members are in document order, duplicates included; the
		// decoded object keeps the last of a name.
		last := map[string]Member{}
		for _, m := range out.Members {
			last[m.Name] = m
		}
		if len(last) != len(obj) {
			t.Fatalf("%d member names outlined, %d decoded", len(last), len(obj))
		}
		for _, m := range last {
			if _, isArr := obj[m.Name].([]any); isArr {
				checkElements(m.Elements, obj[m.Name])
			} else if m.Elements != nil {
				t.Fatalf("member %q is not an array but has elements", m.Name)
			}
		}
	}
}

func TestSkim(t *testing.T) {
	withProcs(t)
	docs := []string{
		fleetDoc(5, "array"), fleetDoc(7, "value"), `[]`, `{}`, `"x"`, `12`, ` [ {"id": "a\u00e9\"", "ID": 1}, 3, [], {"name": "\ud800"} ] `,
		"\xEF\xBB\xBF[{\"id\":\"x\"}]", `{"value": [{"id": "/a"}], "data": [1, 2], "nextLink": "x"}`,
		`[1e400]`, `[1e308, -0, 0.5, 12345678901234567890]`, `{"a": [1, 2,]}`, `[1 2]`, `[{"a" 1}]`, `["\x"]`, "[\"a\tb\"]",
		`[tru]`, `[-]`, `[01]`, `[1.]`, `[1e]`, `{"a":1}}`, `[{"id":"a"},{"id":"b"}`, strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		"[\n  {\"a\": {\n  },\n  \"b\": 1},\n  {\"c\": {\n  },\n  \"d\": 2},\n  {\"e\": 3}\n]",        // a guessed cut inside an element
		"{\"value\": [\n  {\"a\": 1},\n  {\"b\": 2}\n], \"more\": [\n  {\"c\": 3},\n  {\"d\": 4}\n]}", // cuts past the array
		"[\n  {\"a\": 1},\n  {\"b\": 2},\n  {\"c\": 3}\n", "[\n  {\"a\": 1},\n  {\"b\": 2},\n  {\"c\": 3},\n]",
		`[` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `]`, `{"value":[` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `]}`,
	}
	for _, doc := range docs {
		for _, parallel := range []int{math.MaxInt, 1} {
			t.Run("", func(t *testing.T) { checkSkim(t, []byte(doc), parallel) })
		}
	}
}

// FuzzSkim checks that Skim accepts exactly what Decode accepts, and that
// its parts decode to the values and positions of the whole decode, on
// one core and on several.
func FuzzSkim(f *testing.F) {
	for _, s := range []string{fleetDoc(3, "array"), fleetDoc(4, "value"), `[{"id":"a","name":"b"},1,"x"]`, `{"value":[{},{}],"b":1}`, `[1,,2]`, `[1,2`, `["\ud83d\ude00"]`} {
		f.Add([]byte(s))
	}
	f.Add(latin1)
	f.Add([]byte("\xef\xbb\xbf[{\"id\": \"a\", \"name\": \"caf\xe9\"}]"))
	f.Add([]byte{0xFF, 0xFE, '[', 0, ']', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		withProcs(t)
		checkSkim(t, data, math.MaxInt)
		checkSkim(t, data, 1)
	})
}
