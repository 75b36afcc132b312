package expr

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

// TestStringRefinements: format and concat over an unknown argument give
// an Unknown that says what is certain: a known prefix, a non-empty string.
func TestStringRefinements(t *testing.T) {
	lib := Core().Clone()
	lib.Add(&Func{Name: "unknown", Call: func(*Context, []any) (any, error) { return arm.Unknown{Reason: "known at deployment"}, nil }})
	for _, tc := range []struct {
		expr string
		want arm.Unknown
	}{
		{"[format('{0}/{1}', unknown(), 'v1')]", arm.Unknown{Reason: "known at deployment", NotNull: true, NonEmpty: true}},
		{"[format('https://{0}.vault.azure.net/keys/k', unknown())]", arm.Unknown{Reason: "known at deployment", NotNull: true, NonEmpty: true, Prefix: "https://"}},
		{"[concat('/subscriptions/', unknown())]", arm.Unknown{Reason: "known at deployment", NotNull: true, NonEmpty: true, Prefix: "/subscriptions/"}},
		{"[concat(unknown(), '')]", arm.Unknown{Reason: "known at deployment", NotNull: true}},
		{"[format(unknown(), 'x')]", arm.Unknown{Reason: "known at deployment"}},
		{"[format('{0:N2}', unknown())]", arm.Unknown{Reason: "known at deployment", NotNull: true}}, // a string, nothing more
	} {
		n, err := ParseString(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got, err := n.Eval(&Context{Funcs: lib})
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got != tc.want {
			t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
}
