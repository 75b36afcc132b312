package jsonpos

import "testing"

func TestMemberLines(t *testing.T) {
	// "costarring" and "liquid" have the same FNV-1a hash: their object
	// keeps full positions.
	if hashName("costarring") != hashName("liquid") {
		t.Fatal("test needs colliding names")
	}
	doc := "{\n\"a\": {\"x\": 1,\n \"x\": 2},\n\"b\": {\n\"costarring\": 1,\n\"liquid\": 2\n},\n\"c\": {}\n}"
	v, idx, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	root := v.(map[string]any)
	a, b, c := root["a"].(map[string]any), root["b"].(map[string]any), root["c"].(map[string]any)
	tests := []struct {
		obj  map[string]any
		name string
		line int
		ok   bool
	}{
		{root, "a", 2, true},
		{root, "c", 8, true},
		{root, "missing", 0, false},
		{a, "x", 3, true}, // the last of duplicate names, as in the map
		{b, "costarring", 5, true},
		{b, "liquid", 6, true},
		{c, "x", 0, false},
		{map[string]any{"a": 1}, "a", 0, false},
	}
	for _, tc := range tests {
		l, ok := idx.MemberLine(tc.obj, tc.name)
		if l != tc.line || ok != tc.ok {
			t.Errorf("MemberLine(%v, %q) = %d, %v; want %d, %v", tc.obj, tc.name, l, ok, tc.line, tc.ok)
		}
	}
	for _, tc := range []struct {
		obj  map[string]any
		line int
	}{{root, 1}, {a, 2}, {b, 4}, {c, 8}} {
		if l, ok := idx.ObjectLine(tc.obj); !ok || l != tc.line {
			t.Errorf("ObjectLine(%v) = %d, %v; want %d", tc.obj, l, ok, tc.line)
		}
	}
	// Lookup's result is kept: a change to it is seen by later lookups.
	o := idx.Lookup(b)
	if o.Line != 4 || o.Keys["costarring"] != 5 || o.Keys["liquid"] != 6 {
		t.Errorf("Lookup(b) = %+v", o)
	}
	idx.Lookup(a).Keys["y"] = 9
	if l, _ := idx.MemberLine(a, "y"); l != 9 || idx.Lookup(a).Keys["x"] != 3 {
		t.Errorf("change to Lookup(a) lost: %+v", idx.Lookup(a))
	}
}
