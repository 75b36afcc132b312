package armtemplate

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// functionFile is testdata/functions.json: a template that sets the
// parameters, variables and user functions the cases read, and cases in
// the style of arm/expr's testdata.
type functionFile struct {
	Options struct {
		Subscription  string `json:"subscription"`
		ResourceGroup string `json:"resourceGroup"`
		Location      string `json:"location"`
	} `json:"options"`
	Template map[string]any `json:"template"`
	Cases    []struct {
		Expr    string `json:"expr"`
		Result  any    `json:"result"`
		SameAs  string `json:"sameAs"` // an expression that must give the same value
		Error   string `json:"error"`
		Unknown bool   `json:"unknown"`
		Loops   []struct {
			Name  string `json:"name"`
			Index int64  `json:"index"`
		} `json:"loops"`
		ResLoop string `json:"resLoop"`
		// Recorded is a substring of an error the expansion must record
		// (a circular default, say, is reported where it is written).
		Recorded string `json:"recorded"`
	} `json:"cases"`
}

// testDeployment makes the top-level deployment of tmpl, named
// functions.json, as Expand would.
func testDeployment(tmpl map[string]any, o Options) *deployment {
	o = o.withDefaults()
	x := &expansion{o: o, in: &source.Input{}, out: &jsonpos.Index{}, budget: expr.NewBudget(expr.Limits{}),
		parsed: map[string]parsedExpr{}, resolving: map[string]bool{}}
	d := &deployment{x: x, file: "functions.json", idx: &jsonpos.Index{}, tmpl: tmpl, kind: kindOf(tmpl),
		sub: o.Subscription, rg: o.ResourceGroup, mg: "managementGroup", loc: o.Location, name: "functions"}
	d.ctx = d
	d.vals = newValues(d, nil)
	return d
}

func canonical(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("cannot marshal %#v: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeploymentFunctions(t *testing.T) {
	data, err := os.ReadFile("testdata/functions.json")
	if err != nil {
		t.Fatal(err)
	}
	var file functionFile
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	o := Options{Subscription: file.Options.Subscription, ResourceGroup: file.Options.ResourceGroup, Location: file.Options.Location}
	for i, tc := range file.Cases {
		t.Run(tc.Expr, func(t *testing.T) {
			d := testDeployment(file.Template, o)
			s := &scope{d: d, resLoop: tc.ResLoop}
			for _, l := range tc.Loops {
				s.push(l.Name, l.Index)
			}
			n, err := d.parse(tc.Expr)
			var got any
			if err == nil {
				got, err = n.Eval(d.context(s))
			}
			if tc.Recorded != "" {
				var all []string
				for _, e := range d.x.in.Errors {
					all = append(all, e.Error())
				}
				if !strings.Contains(strings.Join(all, "\n"), tc.Recorded) {
					t.Errorf("case %d: %s: recorded errors %q do not contain %q", i, tc.Expr, all, tc.Recorded)
				}
			}
			switch {
			case tc.Error != "":
				if err == nil {
					t.Fatalf("case %d: %s = %s, want an error containing %q", i, tc.Expr, expr.CompactJSON(got), tc.Error)
				}
				if !strings.Contains(err.Error(), tc.Error) {
					t.Fatalf("case %d: %s: error %q does not contain %q", i, tc.Expr, err, tc.Error)
				}
			case err != nil:
				t.Fatalf("case %d: %s: %v", i, tc.Expr, err)
			case tc.Unknown:
				if !expr.IsUnknown(got) {
					t.Fatalf("case %d: %s = %s, want Unknown", i, tc.Expr, expr.CompactJSON(got))
				}
			default:
				want := tc.Result
				if tc.SameAs != "" {
					n, err := d.parse(tc.SameAs)
					if err != nil {
						t.Fatal(err)
					}
					if want, err = n.Eval(d.context(s)); err != nil {
						t.Fatal(err)
					}
				}
				if expr.IsUnknown(got) {
					t.Fatalf("case %d: %s = Unknown, want %s", i, tc.Expr, expr.CompactJSON(want))
				}
				if g, w := canonical(t, got), canonical(t, want); !reflect.DeepEqual(g, w) {
					t.Fatalf("case %d: %s = %s, want %s", i, tc.Expr, expr.CompactJSON(got), expr.CompactJSON(want))
				}
			}
		})
	}
}

// Subscription-level templates give subscription-level ids and have no
// resource group.
func TestSubscriptionScopeFunctions(t *testing.T) {
	d := testDeployment(map[string]any{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"}, Options{})
	for _, tc := range []struct{ expr, want, err string }{
		{"[resourceId('Microsoft.Authorization/roleAssignments', 'ra')]", "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleAssignments/ra", ""},
		{"[resourceId('rg-a', 'Microsoft.KeyVault/vaults', 'kv')]", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv", ""},
		{"[resourceGroup().id]", "", "there is no resource group in a subscription-level deployment"},
		{"[deployment().location]", "westus", ""},
	} {
		n, err := d.parse(tc.expr)
		var got any
		if err == nil {
			got, err = n.Eval(d.context(&scope{d: d}))
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %q", tc.expr, got, err, tc.want)
		}
	}
}
