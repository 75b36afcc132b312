package expr

import (
	"errors"
	"fmt"
	"testing"
)

// FuzzParse checks that parsing never panics, that every error is a
// *SyntaxError with an offset inside the text, and that a parsed
// expression prints back to text that parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"concat('a', 'b')",
		"if(equals(field('x'), ''), 0, int(field('x')))",
		"parameters('p').a[0]['b']",
		"'it''s'",
		"createArray(1, -2, 3.5)",
		"sys.concat('a')",
		"x.",
		"f(",
		"'unterminated",
		"createObject('a', 1).A",
		"map(range(0, 3), lambda('i', lambdaVariables('i')))",
		"parameters('p')[?'a'].b[0]",
		"createObject('a', null()).?a.?b",
		"createArray()[?3].x.?y",
		"x.?",
		"x[?]",
		"tryIndex(createArray(1), 3)",
		"coalesce(tryGet(null(), 'kind'), 'None')",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T is not a *SyntaxError", src, err)
			}
			if se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("Parse(%q): offset %d outside the text", src, se.Offset)
			}
			return
		}
		again, err := Parse(n.String())
		if err != nil {
			t.Fatalf("Parse(%q) printed as %q, which does not parse: %v", src, n.String(), err)
		}
		if again.String() != n.String() {
			t.Fatalf("Parse(%q): printed %q, reparsed %q", src, n.String(), again.String())
		}
		// Evaluation of arbitrary input must not panic either.
		_, _ = n.Eval(&Context{Funcs: Core()})
	})
}

// BenchmarkPolicyExpression parses and evaluates a typical policy
// expression with a stub field function.
func BenchmarkPolicyExpression(b *testing.B) {
	lib := Core().Clone()
	lib.Add(&Func{Name: "field", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		return "42", nil
	}})
	const src = "[if(equals(field('x'), ''), 0, int(field('x')))]"
	ctx := &Context{Funcs: lib}
	b.Run("parse+eval", func(b *testing.B) {
		for b.Loop() {
			n, err := ParseString(src)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := n.Eval(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("eval", func(b *testing.B) {
		n, err := ParseString(src)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := n.Eval(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestCoreHasEveryFamily(t *testing.T) {
	for _, name := range []string{
		"concat", "equals", "less", "lessOrEquals", "greater", "greaterOrEquals", "toLower", "toUpper",
		"first", "last", "length", "contains", "empty", "split", "replace", "substring", "indexOf",
		"lastIndexOf", "startsWith", "endsWith", "union", "intersection", "createArray", "createObject",
		"coalesce", "add", "sub", "mul", "div", "mod", "min", "max", "range", "skip", "take", "trim",
		"padLeft", "format", "json", "array", "utcNow", "dateTimeAdd", "dateTimeFromEpoch",
		"dateTimeToEpoch", "base64", "base64ToString", "base64ToJson", "dataUri", "dataUriToString",
		"uri", "uriComponent", "uriComponentToString", "uniqueString", "guid", "newGuid", "items",
		"objectKeys", "shallowMerge", "tryGet", "flatten", "float", "lambda", "lambdaVariables",
		"filter", "map", "reduce", "sort", "toObject", "mapValues", "groupBy", "parseCidr",
		"cidrSubnet", "cidrHost", "join", "if", "and", "or", "not", "int", "string", "bool",
	} {
		if Core().Lookup(name) == nil {
			t.Errorf("Core() has no %s", name)
		}
	}
	if Core().Lookup("addDays") != nil {
		t.Error("addDays is a policy function and must not be in Core()")
	}
	if Policy().Lookup("addDays") == nil {
		t.Error("Policy() has no addDays")
	}
}

// Example evaluates a template expression with a function added by the
// embedding program.
func Example() {
	lib := Core().Clone()
	lib.Add(&Func{Name: "parameters", MinArgs: 1, MaxArgs: 1, Call: func(c *Context, args []any) (any, error) {
		return map[string]any{"serverName": "pg-prod-01"}[args[0].(string)], nil
	}})
	n, err := ParseString("[concat(toUpper(parameters('serverName')), '-', uniqueString('test'))]")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := n.Eval(&Context{Funcs: lib})
	fmt.Println(v, err)
	// Output: PG-PROD-01-rbgf3xv4ufgzg <nil>
}
