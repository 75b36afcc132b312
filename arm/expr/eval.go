package expr

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
)

// Func is one function of the language.
type Func struct {
	// Name is the canonical spelling, e.g. "concat".
	Name string
	// MinArgs and MaxArgs bound the argument count; MaxArgs < 0 means no
	// upper bound.
	MinArgs, MaxArgs int
	// Call evaluates the function on evaluated arguments. An argument that
	// is an arm.Unknown makes the result Unknown without calling Call,
	// unless HandlesUnknown is set.
	Call func(c *Context, args []any) (any, error)
	// Lazy, when set instead of Call, receives the unevaluated arguments,
	// for functions such as if, and, or and lambda that must not evaluate
	// all of them.
	Lazy func(c *Context, args []Node) (any, error)
	// HandlesUnknown lets Call see Unknown arguments (coalesce, empty, ...).
	HandlesUnknown bool
	// Shares marks a function that returns a value that exists already
	// (parameters, variables) rather than one it builds: its result is
	// not charged to Context.Budget again.
	Shares bool
}

// Library is a set of functions keyed by lower-case name.
type Library map[string]*Func

// Add adds or replaces functions.
func (l Library) Add(fs ...*Func) {
	for _, f := range fs {
		l[strings.ToLower(f.Name)] = f
	}
}

// Clone returns a copy of the library that can be extended without
// changing the original.
func (l Library) Clone() Library {
	out := make(Library, len(l)+16)
	for k, v := range l {
		out[k] = v
	}
	return out
}

// Lookup finds a function by name, case-insensitively. A name that no
// entry matches exactly is matched against the prefix entries: an entry
// whose key ends in "*", such as "list*" for ARM's list operations
// (listKeys, listSecrets, ...), matches every name that starts with the rest
// of its key. The longest such prefix wins.
func (l Library) Lookup(name string) *Func {
	key := strings.ToLower(name)
	if f, ok := l[key]; ok {
		return f
	}
	var best *Func
	bestLen := -1
	for k, f := range l {
		if n := len(k) - 1; n > bestLen && n >= 0 && k[n] == '*' && strings.HasPrefix(key, k[:n]) {
			best, bestLen = f, n
		}
	}
	return best
}

// Context carries what one evaluation needs.
type Context struct {
	// Funcs is the function library.
	Funcs Library
	// Host is for the embedding program: the policy engine or template
	// expander stores its state here, and its functions read it back.
	Host any
	// Vars holds lambda variables in scope.
	Vars map[string]any
	// Now returns the current time for utcNow; nil means time.Now. Tests
	// and reproducible runs set it.
	Now func() time.Time
	// Budget, when set, bounds the work and the size of the values of
	// every evaluation that shares it (see Limits); exceeding it is a
	// *BudgetError.
	Budget *Budget
	// depth counts nested lambda invocations.
	depth int
}

// EvalError is an error raised while evaluating a function.
type EvalError struct {
	Func string // the function that failed, or "" for an accessor
	Msg  string
}

func (e *EvalError) Error() string {
	if e.Func == "" {
		return e.Msg
	}
	return e.Func + ": " + e.Msg
}

// Errorf returns an *EvalError for function fn.
func Errorf(fn, format string, args ...any) error {
	return &EvalError{Func: fn, Msg: fmt.Sprintf(format, args...)}
}

// IsUnknown reports whether v is an arm.Unknown value.
func IsUnknown(v any) bool { _, ok := v.(arm.Unknown); return ok }

// Eval of a literal returns its value.
func (l Literal) Eval(*Context) (any, error) { return l.Value, nil }

// Eval calls the function.
func (c *Call) Eval(ctx *Context) (any, error) {
	f := ctx.Funcs.Lookup(c.Name)
	if f == nil {
		return nil, &EvalError{Func: c.Name, Msg: "unknown function"}
	}
	if err := CheckArity(f, len(c.Args)); err != nil {
		return nil, err
	}
	if err := ctx.Budget.Step(f.Name, 1); err != nil {
		return nil, err
	}
	if f.Lazy != nil {
		return f.Lazy(ctx, c.Args)
	}
	args := make([]any, len(c.Args))
	unknown := false
	for i, a := range c.Args {
		v, err := a.Eval(ctx)
		if err != nil {
			return nil, err
		}
		if IsUnknown(v) {
			unknown = true
		}
		args[i] = v
	}
	if unknown && !f.HandlesUnknown {
		for _, a := range args {
			if u, ok := a.(arm.Unknown); ok {
				return u, nil
			}
		}
	}
	v, err := f.Call(ctx, args)
	if err == nil && !f.Shares {
		err = ctx.Budget.charge(f.Name, v)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// CheckArity reports an error when n arguments do not fit f.
func CheckArity(f *Func, n int) error {
	if n < f.MinArgs || (f.MaxArgs >= 0 && n > f.MaxArgs) {
		want := fmt.Sprintf("%d", f.MinArgs)
		switch {
		case f.MaxArgs < 0:
			want = fmt.Sprintf("at least %d", f.MinArgs)
		case f.MaxArgs != f.MinArgs:
			want = fmt.Sprintf("%d to %d", f.MinArgs, f.MaxArgs)
		}
		return &EvalError{Func: f.Name, Msg: fmt.Sprintf("takes %s arguments, got %d", want, n)}
	}
	return nil
}

// Eval reads a property of an object, case-insensitively.
func (m *Member) Eval(ctx *Context) (any, error) {
	t, err := m.Target.Eval(ctx)
	if err != nil || IsUnknown(t) {
		return t, err
	}
	if err := ctx.foldCost(t, m.Name); err != nil {
		return nil, err
	}
	return property(t, m.Name)
}

func property(t any, name string) (any, error) {
	obj, ok := t.(map[string]any)
	if !ok {
		return nil, &EvalError{Msg: fmt.Sprintf("cannot read property %q of %s", name, TypeName(t))}
	}
	v, ok := arm.Lookup(obj, name)
	if !ok {
		return nil, &EvalError{Msg: fmt.Sprintf("the object has no property %q", name)}
	}
	return v, nil
}

// Eval indexes an array by number or an object by name.
func (x *Index) Eval(ctx *Context) (any, error) {
	t, err := x.Target.Eval(ctx)
	if err != nil || IsUnknown(t) {
		return t, err
	}
	i, err := x.Index.Eval(ctx)
	if err != nil || IsUnknown(i) {
		return i, err
	}
	switch tv := t.(type) {
	case []any:
		n, ok := AsInt(i)
		if !ok {
			return nil, &EvalError{Msg: fmt.Sprintf("an array index must be an integer, not %s", TypeName(i))}
		}
		if n < 0 || n >= int64(len(tv)) {
			return nil, &EvalError{Msg: fmt.Sprintf("index %d is out of range for an array of length %d", n, len(tv))}
		}
		return tv[n], nil
	case map[string]any:
		s, ok := i.(string)
		if !ok {
			return nil, &EvalError{Msg: fmt.Sprintf("an object key must be a string, not %s", TypeName(i))}
		}
		if err := ctx.foldCost(tv, s); err != nil {
			return nil, err
		}
		return property(tv, s)
	default:
		return nil, &EvalError{Msg: fmt.Sprintf("cannot index %s", TypeName(t))}
	}
}

// Eval reads a property of an object, giving null when the object is null
// or (unless Chained) has no such property.
func (m *SafeMember) Eval(ctx *Context) (any, error) {
	t, err := m.Target.Eval(ctx)
	if err != nil || IsUnknown(t) || t == nil {
		return t, err
	}
	if err := ctx.foldCost(t, m.Name); err != nil {
		return nil, err
	}
	if !m.Chained {
		if obj, ok := t.(map[string]any); ok {
			v, _ := arm.Lookup(obj, m.Name)
			return v, nil
		}
	}
	return property(t, m.Name)
}

// Eval indexes an array or an object, giving null when the target is null
// or (unless Chained) the index is out of range or no property.
func (x *SafeIndex) Eval(ctx *Context) (any, error) {
	t, err := x.Target.Eval(ctx)
	if err != nil || IsUnknown(t) || t == nil {
		return t, err
	}
	i, err := x.Index.Eval(ctx)
	if err != nil || IsUnknown(i) {
		return i, err
	}
	if !x.Chained {
		switch tv := t.(type) {
		case []any:
			if n, ok := AsInt(i); ok && (n < 0 || n >= int64(len(tv))) {
				return nil, nil
			}
		case map[string]any:
			if s, ok := i.(string); ok {
				if err := ctx.foldCost(tv, s); err != nil {
					return nil, err
				}
				v, _ := arm.Lookup(tv, s)
				return v, nil
			}
		}
	}
	return (&Index{Target: Literal{t}, Index: Literal{i}}).Eval(ctx)
}

// Validate checks, without evaluating, that every function the expression
// calls exists in lib and gets an allowed number of arguments.
func Validate(n Node, lib Library) error {
	switch v := n.(type) {
	case *Call:
		f := lib.Lookup(v.Name)
		if f == nil {
			return &EvalError{Func: v.Name, Msg: "unknown function"}
		}
		if err := CheckArity(f, len(v.Args)); err != nil {
			return err
		}
		for _, a := range v.Args {
			if err := Validate(a, lib); err != nil {
				return err
			}
		}
	case *Member:
		return Validate(v.Target, lib)
	case *SafeMember:
		return Validate(v.Target, lib)
	case *Index:
		if err := Validate(v.Target, lib); err != nil {
			return err
		}
		return Validate(v.Index, lib)
	case *SafeIndex:
		if err := Validate(v.Target, lib); err != nil {
			return err
		}
		return Validate(v.Index, lib)
	}
	return nil
}

// Walk calls fn for n and every node below it, depth first.
func Walk(n Node, fn func(Node)) {
	fn(n)
	switch v := n.(type) {
	case *Call:
		for _, a := range v.Args {
			Walk(a, fn)
		}
	case *Member:
		Walk(v.Target, fn)
	case *SafeMember:
		Walk(v.Target, fn)
	case *Index:
		Walk(v.Target, fn)
		Walk(v.Index, fn)
	case *SafeIndex:
		Walk(v.Target, fn)
		Walk(v.Index, fn)
	}
}
