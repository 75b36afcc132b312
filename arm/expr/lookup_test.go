package expr

import "testing"

func TestLookupPrefixEntries(t *testing.T) {
	lib := Core().Clone()
	lib.Add(
		&Func{Name: "list*", MinArgs: 0, MaxArgs: -1, Call: func(*Context, []any) (any, error) { return "list", nil }},
		&Func{Name: "listKeys*", MinArgs: 0, MaxArgs: -1, Call: func(*Context, []any) (any, error) { return "listKeys", nil }},
	)
	tests := []struct {
		name string
		want string // the Func.Name found, "" for none
	}{
		{"listSecrets", "list*"},
		{"LISTSECRETS", "list*"},
		{"listKeysV2", "listKeys*"}, // the longest prefix wins
		{"length", "length"},        // an exact entry wins over a prefix
		{"lis", ""},
		{"nosuchfunction", ""},
	}
	for _, tc := range tests {
		f := lib.Lookup(tc.name)
		got := ""
		if f != nil {
			got = f.Name
		}
		if got != tc.want {
			t.Errorf("Lookup(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if Core().Lookup("listKeys") != nil {
		t.Error("Core has no list functions; the template expander adds them")
	}
}
