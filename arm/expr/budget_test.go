package expr

import (
	"errors"
	"strings"
	"testing"
)

// evalWith evaluates src with the core library and budget b.
func evalWith(t *testing.T, src string, b *Budget) (any, error) {
	t.Helper()
	n, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return n.Eval(&Context{Funcs: Core(), Budget: b})
}

func TestBudget(t *testing.T) {
	small := Limits{Steps: 1000, Elements: 100, Bytes: 1000}
	steps := Limits{Steps: 1000, Elements: 1000, Bytes: 1 << 20}
	for _, c := range []struct {
		src, err string
		l        *Limits
	}{
		{"concat(padLeft('', 600, 'x'), padLeft('', 600, 'x'))", "expansion budget exceeded: the expressions would build more than 1000 bytes of strings in all (padLeft would make a value of 600 bytes, after 600 bytes built)", nil},
		{"concat(padLeft('', 300, 'x'), padLeft('', 300, 'x'), padLeft('', 300, 'x'))", "expansion budget exceeded: the expressions would build more than 1000 bytes of strings in all (concat would make a value of 900 bytes, after 900 bytes built)", nil},
		{"replace(padLeft('', 100, 'x'), 'x', 'xxxxxxxxxxxxxxxxxxxx')", "(replace would make a value of 2 KiB, after 100 bytes built)", nil},
		{"range(0, 101)", "more than 100 array elements and object members in all (in range)", nil},
		{"concat(range(0, 30), range(0, 30))", "(concat would make a value of 60 elements, after 60 built)", nil},
		{"length(string(reduce(range(0, 30), createObject(), lambda('a', 'i', createObject('x', lambdaVariables('a'), 'y', lambdaVariables('a'))))))", "the expressions take more than 1,000 evaluation steps (in string)", &steps},
		{"equals(reduce(range(0, 30), createArray(), lambda('a', 'i', createArray(lambdaVariables('a'), lambdaVariables('a')))), reduce(range(0, 30), createArray(), lambda('a', 'i', createArray(lambdaVariables('a'), lambdaVariables('a')))))", "the expressions take more than 1,000 evaluation steps (in equals)", &steps},
		{"format('{0:D5000}', 1)", "(format would make a value of 4.9 KiB, after 0 bytes built)", nil},
	} {
		l := small
		if c.l != nil {
			l = *c.l
		}
		b := NewBudget(l)
		_, err := evalWith(t, c.src, b)
		var be *BudgetError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.err)
		}
		if b.Err() == nil {
			t.Errorf("%s: the budget does not remember its error", c.src)
		}
		// Once exceeded, every call fails at once.
		if _, err := evalWith(t, "concat('a')", b); !errors.As(err, &be) {
			t.Errorf("%s: a call after the budget is exceeded gives %v", c.src, err)
		}
	}
	// Within the budget, and without one, the values are the same.
	for _, src := range []string{"concat(range(0, 20), range(0, 20))", "length(padLeft('', 900, 'x'))"} {
		a, err1 := evalWith(t, src, NewBudget(small))
		b, err2 := evalWith(t, src, nil)
		if err1 != nil || err2 != nil || !Equal(a, b) {
			t.Errorf("%s: %v %v / %v %v", src, a, err1, b, err2)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{812: "812 bytes", 64 << 20: "64 MiB", 3 << 29: "1.5 GiB", 1536: "1.5 KiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := FormatCount(10_000_000); got != "10,000,000" {
		t.Errorf("FormatCount = %q", got)
	}
}
