package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits bound what the evaluations that share one Budget may do. A
// hostile template can double a value with every variable
// (v2 = concat(v1, v1), ...) and reach terabytes from a few kilobytes of
// text; the limits turn that into an error instead of exhausting memory.
// Azure has no equivalent limit on evaluation, only on the size of the
// expanded template (4 MB compressed), which a template that gets this
// far has not been measured against.
type Limits struct {
	// Steps bounds the evaluation work: one step per function call and
	// lambda invocation, and one per array element or object member that
	// a function compares, serialises or merges.
	Steps int64
	// Elements bounds the array elements and object members that
	// functions return, summed over every call.
	Elements int64
	// Bytes bounds the string bytes that functions return, summed over
	// every call.
	Bytes int64
}

// DefaultLimits are generous for real templates, and keep a hostile one
// to a few seconds and a few hundred megabytes. Azure's own limit on a
// deployment, 4 MB of expanded template, is about a million JSON values
// at most; the Azure Verified Modules flexible server template expands
// with under 500 steps and values, and an 800-server fleet of copy loops
// with under 50,000.
var DefaultLimits = Limits{Steps: 10_000_000, Elements: 2_000_000, Bytes: 64 << 20}

// Budget is what is left of Limits across the evaluations that share it
// through Context.Budget. Once it is exceeded, every further function
// call fails with the same *BudgetError, so that the evaluation unwinds
// at once. A nil *Budget has no limits.
type Budget struct {
	limits                 Limits
	steps, elements, bytes int64
	err                    *BudgetError
}

// NewBudget returns a budget of l; a zero field of l takes the default.
func NewBudget(l Limits) *Budget {
	if l.Steps <= 0 {
		l.Steps = DefaultLimits.Steps
	}
	if l.Elements <= 0 {
		l.Elements = DefaultLimits.Elements
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultLimits.Bytes
	}
	return &Budget{limits: l}
}

// Limits returns the budget's limits.
func (b *Budget) Limits() Limits { return b.limits }

// Used returns what the evaluations have used so far.
func (b *Budget) Used() Limits { return Limits{Steps: b.steps, Elements: b.elements, Bytes: b.bytes} }

// Err returns the error that exceeded the budget, or nil.
func (b *Budget) Err() error {
	if b == nil || b.err == nil {
		return nil
	}
	return b.err
}

// BudgetError says which limit an evaluation exceeded, and where.
type BudgetError struct {
	Func  string // the function that exceeded it, "" when not in a function
	What  string // "steps", "elements" or "bytes"
	Limit int64
	// Need, when set, is the size that one value would have had, and
	// Used what was built before it.
	Need, Used int64
}

func (e *BudgetError) Error() string {
	var what string
	switch e.What {
	case "steps":
		what = "more than " + FormatCount(e.Limit) + " evaluation steps"
	case "elements":
		what = "more than " + FormatCount(e.Limit) + " array elements and object members"
	default:
		what = "more than " + FormatSize(e.Limit) + " of strings"
	}
	msg := "expansion budget exceeded: the expressions would build " + what + " in all"
	if e.What == "steps" {
		msg = "expansion budget exceeded: the expressions take " + what
	}
	if e.Func != "" {
		if e.Need > 0 {
			need, used := FormatSize(e.Need), FormatSize(e.Used)
			if e.What == "elements" {
				need, used = FormatCount(e.Need)+" elements", FormatCount(e.Used)
			}
			msg += fmt.Sprintf(" (%s would make a value of %s, after %s built)", e.Func, need, used)
		} else {
			msg += " (in " + e.Func + ")"
		}
	}
	return msg
}

// FormatCount writes n with thousands separators: 10,000,000.
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// FormatSize writes a byte count: 64 MiB, 1.5 GiB, 812 bytes.
func FormatSize(n int64) string {
	const k = 1 << 10
	unit := func(d float64, name string) string {
		s := strconv.FormatFloat(float64(n)/d, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0") + " " + name
	}
	switch {
	case n >= k*k*k:
		return unit(k*k*k, "GiB")
	case n >= k*k:
		return unit(k*k, "MiB")
	case n >= k:
		return unit(k, "KiB")
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func (b *Budget) fail(fn, what string, limit, need int64) error {
	if b.err == nil {
		used := b.bytes
		if what == "elements" {
			used = b.elements
		}
		b.err = &BudgetError{Func: fn, What: what, Limit: limit, Need: need, Used: used}
	}
	return b.err
}

// Step takes n steps of work.
func (b *Budget) Step(fn string, n int64) error {
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	if b.steps += n; b.steps > b.limits.Steps {
		return b.fail(fn, "steps", b.limits.Steps, 0)
	}
	return nil
}

// Alloc records values built: array elements and object members, and
// string bytes.
func (b *Budget) Alloc(fn string, elements, bytes int64) error {
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	if b.elements += elements; b.elements > b.limits.Elements {
		return b.fail(fn, "elements", b.limits.Elements, 0)
	}
	if b.bytes += bytes; b.bytes > b.limits.Bytes {
		return b.fail(fn, "bytes", b.limits.Bytes, 0)
	}
	return nil
}

// Room reports an error, without taking anything, when a value of this
// many elements and bytes would not fit in what is left. Functions whose
// result can be much larger than their arguments (concat, replace,
// format, join) call it before they build the value.
func (b *Budget) Room(fn string, elements, bytes int64) error {
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	if elements < 0 || b.elements+elements > b.limits.Elements {
		return b.fail(fn, "elements", b.limits.Elements, elements)
	}
	if bytes < 0 || b.bytes+bytes > b.limits.Bytes {
		return b.fail(fn, "bytes", b.limits.Bytes, bytes)
	}
	return nil
}

// charge records the value a function returned, by its own size (the
// values inside it were charged when they were built).
func (b *Budget) charge(fn string, v any) error {
	if b == nil {
		return nil
	}
	switch t := v.(type) {
	case string:
		return b.Alloc(fn, 0, int64(len(t)))
	case []any:
		return b.Alloc(fn, int64(len(t)), 0)
	case map[string]any:
		return b.Alloc(fn, int64(len(t)), 0)
	}
	return b.err.orNil()
}

func (e *BudgetError) orNil() error {
	if e == nil {
		return nil
	}
	return e
}

// walk takes one step per value in v, arrays and objects followed,
// before a function traverses v as a whole (compares, serialises or
// merges it). A value can share its parts (v2 = createObject('a', v1,
// 'b', v1)), so its tree can be exponentially larger than what was
// built: walk stops as soon as the budget is spent.
func (b *Budget) walk(fn string, v any) error {
	if b == nil {
		return nil
	}
	if err := b.Step(fn, 1); err != nil {
		return err
	}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if err := b.walk(fn, e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range t {
			if err := b.walk(fn, e); err != nil {
				return err
			}
		}
	case string:
		// Comparing or copying a string is work in proportion to it.
		return b.Step(fn, int64(len(t))/64)
	}
	return nil
}

// Context helpers: nil-safe on a Context without a budget.

// foldCost takes the steps of finding name in t case-insensitively: one
// per member when no member is spelled exactly so.
func (c *Context) foldCost(t any, name string) error {
	obj, ok := t.(map[string]any)
	if !ok || c == nil || c.Budget == nil {
		return nil
	}
	if _, exact := obj[name]; exact {
		return nil
	}
	return c.Budget.Step("", int64(len(obj)))
}

func (c *Context) walk(fn string, vs ...any) error {
	if c == nil || c.Budget == nil {
		return nil
	}
	for _, v := range vs {
		if err := c.Budget.walk(fn, v); err != nil {
			return err
		}
	}
	return nil
}

func (c *Context) room(fn string, elements, bytes int64) error {
	if c == nil {
		return nil
	}
	return c.Budget.Room(fn, elements, bytes)
}

func (c *Context) step(fn string, n int64) error {
	if c == nil {
		return nil
	}
	return c.Budget.Step(fn, n)
}

// measure takes one step per value in v and returns about how many bytes
// v takes as JSON. It stops, with an error, once the size is over what
// is left of the budget's bytes.
func (b *Budget) measure(fn string, v any) (int64, error) {
	var size int64
	var walk func(v any) error
	walk = func(v any) error {
		if err := b.Step(fn, 1); err != nil {
			return err
		}
		switch t := v.(type) {
		case string:
			size += int64(len(t)) + 2
		case []any:
			size += 2
			for _, e := range t {
				if err := walk(e); err != nil {
					return err
				}
				size++
			}
		case map[string]any:
			size += 2
			for k, e := range t {
				size += int64(len(k)) + 4
				if err := walk(e); err != nil {
					return err
				}
			}
		default:
			size += 8
		}
		if size > b.limits.Bytes-b.bytes {
			return b.Room(fn, 0, size)
		}
		return nil
	}
	err := walk(v)
	return size, err
}

// toString is ToString within the budget: an array or an object is
// measured before it is written as JSON.
func (c *Context) toString(fn string, v any) (string, error) {
	switch v.(type) {
	case []any, map[string]any:
		if c != nil && c.Budget != nil {
			if _, err := c.Budget.measure(fn, v); err != nil {
				return "", err
			}
		}
	}
	return ToString(v), nil
}

// equal is Equal within the budget: one step per value compared.
func (c *Context) equal(fn string, a, b any) (bool, error) {
	if c == nil || c.Budget == nil {
		return Equal(a, b), nil
	}
	r := equalWithin(c.Budget, fn, a, b)
	return r, c.Budget.Err()
}

// containsEqual reports whether list holds a value equal to x, within
// the budget.
func (c *Context) containsEqual(fn string, list []any, x any) (bool, error) {
	for _, y := range list {
		eq, err := c.equal(fn, x, y)
		if err != nil || eq {
			return eq, err
		}
	}
	return false, nil
}

// decodeRoom checks, before json() decodes s, that the values it could
// make fit: at most one per ',', ':', '[' and '{', and one more.
func (c *Context) decodeRoom(fn string, s string) error {
	if c == nil || c.Budget == nil {
		return nil
	}
	n := int64(1)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ':', '[', '{':
			n++
		}
	}
	if err := c.Budget.Room(fn, n, int64(len(s))); err != nil {
		return err
	}
	return c.Budget.Alloc(fn, n, int64(len(s)))
}

// clipValue shortens a value quoted in an error message.
func clipValue(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
