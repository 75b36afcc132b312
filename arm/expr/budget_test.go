package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
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

// TestLargeObjects builds and reads objects of 20,000 keys within the
// default budget: keys are found case-insensitively without comparing
// each with every other.
func TestLargeObjects(t *testing.T) {
	obj := func(prefix string) string {
		return "toObject(range(0, 10000), lambda('i', concat('" + prefix + "', string(lambdaVariables('i')))))"
	}
	start := time.Now()
	for src, want := range map[string]any{
		"length(shallowMerge(createArray(" + obj("a") + ", " + obj("b") + ")))":       int64(20000),
		"length(union(" + obj("a") + ", " + obj("B") + "))":                           int64(20000),
		"length(groupBy(range(0, 10000), lambda('i', string(lambdaVariables('i')))))": int64(10000),
		"contains(" + obj("a") + ", 'A5')":                                            true,
	} {
		got, err := evalWith(t, src, NewBudget(DefaultLimits))
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	// A case-insensitive read of a large object is work in proportion to
	// it, and is counted.
	read := "reduce(createArray(" + obj("a") + "), 0, lambda('n', 'o', length(map(range(0, 10000), lambda('i', lambdaVariables('o').%s)))))"
	if got, err := evalWith(t, fmt.Sprintf(read, "a1"), NewBudget(Limits{Steps: 1_000_000})); err != nil || got != int64(10000) {
		t.Errorf("exact reads of a large object: %v, %v", got, err)
	}
	_, err := evalWith(t, fmt.Sprintf(read, "A1"), NewBudget(Limits{Steps: 1_000_000}))
	if err == nil || !strings.Contains(err.Error(), "more than 1,000,000 evaluation steps") {
		t.Errorf("reads of a large object: %v", err)
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

// FuzzEval evaluates expressions within a small budget: none panics, and
// none runs past its budget.
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		"concat('a', padLeft('', 900, 'x'))",
		"replace(padLeft('', 100, 'x'), 'x', 'xxxxxxxxxxxxxxxxxxxx')",
		"string(reduce(range(0, 30), createObject(), lambda('a', 'i', createObject('x', lambdaVariables('a'), 'y', lambdaVariables('a')))))",
		"union(toObject(range(0, 50), lambda('i', string(lambdaVariables('i')))), createObject('A', 1))",
		"format('{0:D99}{1,20}', 1, 'x')",
		"join(split('a,b,,c', ','), '-')",
		"json('[1, {\"a\": [2]}]')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src)
		if err != nil {
			return
		}
		b := NewBudget(Limits{Steps: 20_000, Elements: 20_000, Bytes: 1 << 20})
		start := time.Now()
		_, _ = n.Eval(&Context{Funcs: Core(), Budget: b, Now: func() time.Time { return time.Unix(0, 0) }})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s took %v", src, d)
		}
	})
}
