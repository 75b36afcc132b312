package expr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
)

// functionCase is one case of testdata/functions/<family>.json.
type functionCase struct {
	Expr string `json:"expr"`
	// Vars are inputs decoded as encoding/json decodes them (numbers are
	// float64), read by the test function vars('name').
	Vars map[string]any `json:"vars"`
	// Result is the expected value; ignored when Error or Unknown is set.
	Result any `json:"result"`
	// Error is a substring of the expected error.
	Error string `json:"error"`
	// Unknown expects an arm.Unknown result.
	Unknown bool `json:"unknown"`
}

// testNow is the clock of the table tests.
var testNow = time.Date(2024, 3, 5, 17, 53, 18, 123456700, time.UTC)

// testLibrary is base plus vars('name'), which returns a case input, and
// unknown(), which returns arm.Unknown.
func testLibrary(base Library) Library {
	lib := base.Clone()
	lib.Add(
		&Func{Name: "vars", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
			name, _ := args[0].(string)
			v, ok := c.Host.(map[string]any)[name]
			if !ok {
				return nil, Errorf("vars", "no input %q", name)
			}
			return v, nil
		}},
		&Func{Name: "unknown", MinArgs: 0, MaxArgs: 0, Call: func(*Context, []any) (any, error) {
			return arm.Unknown{Reason: "test"}, nil
		}},
	)
	return lib
}

// evalString parses and evaluates a JSON string value as a template does.
func evalString(lib Library, s string, host map[string]any) (any, error) {
	n, err := ParseString(s)
	if err != nil {
		return nil, err
	}
	return n.Eval(&Context{Funcs: lib, Host: host, Now: func() time.Time { return testNow }})
}

// canonical round-trips v through JSON so that int64 and integral float64
// compare equal and maps compare by content.
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

func TestFunctions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "functions", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	core, policy := testLibrary(Core()), testLibrary(Policy())
	total := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []functionCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		family := strings.TrimSuffix(filepath.Base(file), ".json")
		// policy.json runs against Policy(); every other file against Core().
		lib := core
		if family == "policy" {
			lib = policy
		}
		for i, tc := range cases {
			total++
			t.Run(family+"/"+tc.Expr, func(t *testing.T) {
				got, err := evalString(lib, tc.Expr, tc.Vars)
				switch {
				case tc.Error != "":
					if err == nil {
						t.Fatalf("%s case %d: %s = %s, want an error containing %q", file, i, tc.Expr, CompactJSON(got), tc.Error)
					}
					if !strings.Contains(err.Error(), tc.Error) {
						t.Fatalf("%s case %d: %s: error %q does not contain %q", file, i, tc.Expr, err, tc.Error)
					}
				case err != nil:
					t.Fatalf("%s case %d: %s: %v", file, i, tc.Expr, err)
				case tc.Unknown:
					if !IsUnknown(got) {
						t.Fatalf("%s case %d: %s = %s, want Unknown", file, i, tc.Expr, CompactJSON(got))
					}
				default:
					if IsUnknown(got) {
						t.Fatalf("%s case %d: %s = Unknown, want %s", file, i, tc.Expr, CompactJSON(tc.Result))
					}
					if g, w := canonical(t, got), canonical(t, tc.Result); !reflect.DeepEqual(g, w) {
						t.Fatalf("%s case %d: %s = %s, want %s", file, i, tc.Expr, CompactJSON(got), CompactJSON(tc.Result))
					}
				}
			})
		}
	}
	t.Logf("%d cases in %d files", total, len(files))
}
