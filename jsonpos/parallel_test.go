package jsonpos

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// withProcs makes sure several processors are available, for the test's
// duration, so that the parallel path runs.
func withProcs(t *testing.T) {
	t.Helper()
	procs := runtime.GOMAXPROCS(4)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
}

// walkPositions lists the recorded positions of every object in v, in
// document order, for comparing two decodes.
func walkPositions(v any, idx *Index, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		o := idx.Lookup(x)
		if o == nil {
			*out = append(*out, "missing")
		} else {
			*out = append(*out, fmt.Sprintf("%d %v", o.Line, o.Keys))
		}
		for _, k := range sortedKeys(x) {
			walkPositions(x[k], idx, out)
		}
	case []any:
		for _, e := range x {
			walkPositions(e, idx, out)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// fleetDoc is an export-like document of n resources.
func fleetDoc(n int, top string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n  ")
		}
		fmt.Fprintf(&b, "{\n    \"id\": \"/r/%d\", \"name\": \"a,b]\\\"c\\\\\",\n    \"properties\": {\"n\": %d, \"list\": [1, {\"x\": [\"]\"]}], \"s\": \"{\"}\n  }", i, i)
	}
	switch top {
	case "array":
		return "[\n  " + b.String() + "\n]\n"
	default:
		return "{\n  \"value\": [\n  " + b.String() + "\n  ],\n  \"nextLink\": null\n}\n"
	}
}

// TestParallelMatchesSequential decodes the same documents with and without
// the parallel path and checks that values and positions are identical.
func TestParallelMatchesSequential(t *testing.T) {
	docs := []string{fleetDoc(1, "array"), fleetDoc(2, "value"), fleetDoc(57, "array"), fleetDoc(300, "value"),
		"[1, 2, 3, [4, 5], {\"a\": [6]}]", "{\"value\": [\"x\", \"y\", \"z\", \"w\"]}", "[[], [[]], {}]"}
	for i, doc := range docs {
		seqV, seqIdx, seqErr := Decode([]byte(doc))
		var seqPos []string
		walkPositions(seqV, seqIdx, &seqPos)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			withProcs(t)
			v, idx, err := decode([]byte(doc), 8)
			if err != nil || seqErr != nil {
				t.Fatalf("errors: parallel %v, sequential %v", err, seqErr)
			}
			if !reflect.DeepEqual(v, seqV) {
				t.Fatalf("values differ")
			}
			var pos []string
			walkPositions(v, idx, &pos)
			if !reflect.DeepEqual(pos, seqPos) {
				t.Errorf("positions differ:\n%v\n%v", pos, seqPos)
			}
		})
	}
}

// TestParallelErrorsAsSequential checks that malformed arrays give the
// error, with its line and column, that the sequential decoder gives.
func TestParallelErrorsAsSequential(t *testing.T) {
	good := fleetDoc(40, "array")
	docs := []string{
		strings.Replace(good, "\"n\": 7,", "\"n\": 7,,", 1),                                         // a syntax error in a middle element
		strings.Replace(good, "\"n\": 39,", "\"n\": 39", 1),                                         // in the last
		strings.TrimSuffix(good, "]\n"),                                                             // unterminated
		strings.Replace(good, "\"/r/20\"", "\"/r/\n20\"", 1),                                        // newline in a string
		strings.Replace(good, "},\n  {\n    \"id\": \"/r/30\"", "}\n  {\n    \"id\": \"/r/30\"", 1), // missing comma
		"[" + strings.Repeat("[", MaxDepth+5) + strings.Repeat("]", MaxDepth+5) + ", 1, 2, 3, 4, 5, 6, 7, 8, 9]",
	}
	for i, doc := range docs {
		_, _, seqErr := Decode([]byte(doc))
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			withProcs(t)
			_, _, err := decode([]byte(doc), 8)
			if seqErr == nil || err == nil || err.Error() != seqErr.Error() {
				t.Errorf("parallel error %v, sequential %v", err, seqErr)
			}
		})
	}
}

// TestSplit checks that the scan cuts an array between elements, never
// inside strings or nested values, and finds its end.
func TestSplit(t *testing.T) {
	doc := fleetDoc(57, "array")
	d := decoder{data: []byte(doc), line: 1}
	segs, closing, ok := d.split(4)
	if !ok || len(segs) != 4 || closing != strings.LastIndexByte(doc, ']') {
		t.Fatalf("split = %d segments, closing %d, %v", len(segs), closing, ok)
	}
	for i, s := range segs {
		if i < len(segs)-1 && (doc[s.end] != ',' || segs[i+1].start != s.end+1) {
			t.Errorf("segment %d ends at %q", i, doc[s.end:s.end+5])
		}
		if next := strings.TrimLeft(doc[s.start:], " \n"); !strings.HasPrefix(next, "{\n    \"id\"") {
			t.Errorf("segment %d starts at %.20q", i, next)
		}
		if want := strings.Count(doc[:s.start], "\n") + 1; s.line != want {
			t.Errorf("segment %d on line %d, want %d", i, s.line, want)
		}
	}
	for _, bad := range []string{"[]", "[ ]", "[1, 2", "[\"a]", "[1}"} {
		d := decoder{data: []byte(bad), line: 1}
		if _, _, ok := d.split(2); ok {
			t.Errorf("split(%q) succeeded", bad)
		}
	}
}

// FuzzParallel checks that the parallel path decodes any input as the
// sequential one does: the same value, positions and error.
func FuzzParallel(f *testing.F) {
	for _, s := range []string{fleetDoc(3, "array"), fleetDoc(4, "value"), `[1,2,[3,{"a":"]"}],"x\"y"]`, `{"value":[{},{}],"b":1}`, `[1,,2]`, `[1,2`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if runtime.GOMAXPROCS(0) < 2 {
			t.Skip("one processor: no parallel path")
		}
		seqV, seqIdx, seqErr := decode(data, 1<<62)
		v, idx, err := decode(data, 1)
		if errString(err) != errString(seqErr) {
			t.Fatalf("parallel error %v, sequential %v", err, seqErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(v, seqV) {
			t.Fatalf("values differ: %#v vs %#v", v, seqV)
		}
		var a, b []string
		walkPositions(v, idx, &a)
		walkPositions(seqV, seqIdx, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("positions differ:\n%v\n%v", a, b)
		}
	})
}
