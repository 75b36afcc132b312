package policy

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
)

// State is a compliance state, spelled as Azure spells it.
type State string

// The compliance states.
const (
	Compliant     State = "Compliant"
	NonCompliant  State = "NonCompliant"
	NotApplicable State = "NotApplicable"
	Unknown       State = "Unknown"
	Exempt        State = "Exempt"
	Error         State = "Error"
)

// Related finds the candidates of an existence check (AuditIfNotExists,
// DeployIfNotExists). *arm.Set satisfies it.
type Related interface {
	Children(parentID, childType string) []*arm.Resource
	Extensions(scopeID, fullType string) []*arm.Resource
	InResourceGroup(subscription, group, fullType string) []*arm.Resource
	InSubscription(subscription, fullType string) []*arm.Resource
}

// Unseen is implemented by a Related that knows of resources the inputs
// may create but that their readers could not see (*arm.Set does): an
// existence check that finds no match where such resources could be is
// Unknown, not NonCompliant.
type Unseen interface {
	UnresolvedFor(scopeID, fullType string) *arm.Unresolved
}

// Env is what an evaluation needs besides the resource.
type Env struct {
	// Params are parameter values by name (plain values); defaults fill
	// the rest. Names match case-insensitively.
	Params map[string]any
	// Related finds related resources for AuditIfNotExists and
	// DeployIfNotExists; nil means none exist.
	Related Related
	// Aliases is the alias table; nil means the built-in table.
	Aliases *Aliases
	// Now is the evaluation time (utcNow, exemption expiry); zero means
	// time.Now().
	Now time.Time
	// APIVersion selects per-API-version alias paths; "" uses the
	// resource's apiVersion when it has one, else the default paths.
	APIVersion string
	// NoDetails leaves out the summary of AuditIfNotExists and
	// DeployIfNotExists checks (Result.Details: the related type, the
	// candidates' ids, ...), which a caller that does not show it need
	// not pay for on every resource.
	NoDetails bool
	// Evidence, when it has room, is where an evaluation records the
	// comparisons of its if condition (Evidence[:0] is reused), so that a
	// caller that evaluates many resources in turn and reads each
	// Result's Evidence before the next evaluation does not allocate it
	// anew each time. The Result's Evidence may then share Evidence's
	// array: it is valid only until the next evaluation with this Env.
	// nil allocates per evaluation.
	Evidence []Evidence
	// ParamsChecked says that Params passed the definition's CheckParams
	// (which checks more than an evaluation does) and are not changed
	// since, so that an evaluation need not check them again: for a
	// caller evaluating one definition with the same parameters on many
	// resources.
	ParamsChecked bool
}

// Result is the verdict of one definition on one resource.
type Result struct {
	// Applicable is false when the rule does not apply to the resource.
	Applicable bool
	// Effect is the effect that applies, as written after parameter
	// resolution (e.g. "AuditIfNotExists"), or "" when the rule does not
	// fire or is Disabled.
	Effect string
	State  State
	// Reason is Azure's reason text.
	Reason string
	// Evidence lists the comparisons the verdict rests on.
	Evidence []Evidence
	// Details summarises the effect: for AuditIfNotExists and
	// DeployIfNotExists the related type, name and the ids considered; for
	// Modify and Append the operations that would apply; warnings.
	Details map[string]any
	// Err is set when the evaluation failed (a template function error,
	// which Azure treats as a deny, or an invalid parameter value).
	Err error
}

// Evidence is one comparison the verdict rests on.
type Evidence struct {
	ResourceID string // the resource whose value was read
	// Resource is that resource, when the evaluation had it.
	Resource *arm.Resource
	Path     string // JSON path in that resource, e.g. properties.network.publicNetworkAccess ([0] for array elements)
	Field    string // the field or alias as written in the rule
	Operator string
	Value    any // observed value (nil if missing)
	Expected any
	Missing  bool

	outcome tri  // how the comparison came out
	neg     bool // under an odd number of nots
	op      opCode
}

// tri is a three-valued truth: a condition over an Unknown value is
// unknown, and Kleene logic lets a known decisive operand decide.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// evalOpts carry what an assignment adds to an evaluation.
type evalOpts struct {
	effectOverride  string
	assignmentID    string
	setDefinitionID string
	referenceID     string
}

// scope is one iteration of a count's where.
type scope struct {
	isValue bool
	name    string // value count name
	lower   string // field count: lower-case counted alias
	nsteps  int    // field count: steps of the counted path
	elem    any
	res     *arm.Resource
}

type evalCtx struct {
	def     *Definition
	env     *Env
	opts    *evalOpts
	params  map[string]any
	res     *arm.Resource // the resource fields resolve against
	ifRes   *arm.Resource // the resource the rule's "if" evaluates
	aliases *Aliases
	api     string
	ectx    expr.Context
	scopes  []scope
	record  bool
	neg     bool
	ev      []Evidence
	invalid string // the first invalid alias met
	idx     []int
	// fieldPath is the path of the first field() a value condition's
	// expression read, for its evidence.
	fieldPath string
	// nowFn is c.now as a func value, made once per pooled context.
	nowFn func() time.Time
}

var ctxPool = sync.Pool{New: func() any { return &evalCtx{} }}

func (d *Definition) newCtx(r *arm.Resource, env *Env, opts *evalOpts) *evalCtx {
	c := ctxPool.Get().(*evalCtx)
	*c = evalCtx{scopes: c.scopes[:0], idx: c.idx[:0], nowFn: c.nowFn}
	c.def, c.env, c.opts, c.params = d, env, opts, env.Params
	c.res, c.ifRes = r, r
	if cap(env.Evidence) > 0 {
		c.ev = env.Evidence[:0]
	}
	c.aliases = env.Aliases
	c.api = env.APIVersion
	if c.api == "" {
		if v, ok := r.Object["apiVersion"].(string); ok {
			c.api = v
		}
	}
	if c.nowFn == nil {
		// Made once per pooled context (not per evaluation): it reads
		// the context's env when called.
		c.nowFn = c.now
	}
	c.ectx = expr.Context{Funcs: library(), Host: c, Now: c.nowFn}
	return c
}

// now is the clock of utcNow(): the env's Now, or the time of the call.
func (c *evalCtx) now() time.Time {
	if c.env == nil || c.env.Now.IsZero() {
		return time.Now()
	}
	return c.env.Now
}

func (c *evalCtx) release() {
	c.ev = nil
	c.def, c.env, c.opts, c.params, c.res, c.ifRes, c.aliases = nil, nil, nil, nil, nil, nil, nil
	c.ectx = expr.Context{}
	ctxPool.Put(c)
}

// param returns a parameter's value: the given value, else the default.
func (c *evalCtx) param(name string) (any, bool) {
	if c.params != nil {
		if v, ok := c.params[name]; ok {
			return v, true
		}
		for k, v := range c.params {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
	}
	if p := c.def.Parameter(name); p != nil && p.HasDefault {
		return p.DefaultValue, true
	}
	return nil, false
}

func (o *operand) eval(c *evalCtx) (any, error) {
	switch o.kind {
	case oLiteral:
		return o.lit, nil
	case oParam:
		v, ok := c.param(o.name)
		if !ok {
			return nil, expr.Errorf("parameters", "the definition has no parameter %q (or it has no value)", o.name)
		}
		return expr.Normalize(v), nil
	case oField:
		if o.field != nil {
			return c.fieldFunc(o.field), nil
		}
	case oTemplate:
		v, err := c.evalTemplate(o.tmpl)
		if err == nil && hasUnknown(v) {
			// An operand with an unknown part is unknown as a whole.
			return arm.Unknown{Reason: "a value in the rule is not known before deployment"}, nil
		}
		return v, err
	}
	v, err := o.node.Eval(&c.ectx)
	return expr.Normalize(v), err
}

// evalTemplate builds the value of an oTemplate operand.
func (c *evalCtx) evalTemplate(t any) (any, error) {
	switch x := t.(type) {
	case tmplExpr:
		v, err := x.node.Eval(&c.ectx)
		return expr.Normalize(v), err
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, err := c.evalTemplate(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			v, err := c.evalTemplate(e)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return t, nil
}

func hasUnknown(v any) bool {
	switch x := v.(type) {
	case arm.Unknown:
		return true
	case []any:
		for _, e := range x {
			if hasUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// Evaluate evaluates the definition on r.
func (d *Definition) Evaluate(r *arm.Resource, env *Env) *Result {
	return d.evaluate(r, env, nil)
}

func (d *Definition) evaluate(r *arm.Resource, env *Env, opts *evalOpts) *Result {
	if env == nil {
		env = &Env{}
	}
	if !env.ParamsChecked {
		if err := d.checkParams(env.Params); err != nil {
			return &Result{State: Error, Reason: err.Error(), Err: err}
		}
	}
	c := d.newCtx(r, env, opts)
	defer c.release()
	effect, le, err := d.effectFor(c)
	if err != nil {
		return &Result{State: Error, Reason: "The effect could not be evaluated: " + err.Error(), Err: err}
	}
	switch le {
	case "disabled":
		return &Result{State: NotApplicable, Reason: "The policy's effect is Disabled."}
	case "mutate", "addtonetworkgroup":
		return &Result{State: NotApplicable, Reason: effect + " is not a compliance check of the resource."}
	}
	if !d.modeApplies(r) {
		return &Result{State: NotApplicable, Reason: "Mode Indexed evaluates only resource types that support tags and location."}
	}
	c.record = true
	t, err := d.cond.eval(c)
	if c.invalid != "" {
		w := fmt.Sprintf("The alias %q is not valid for this resource type; the policy does not apply.", c.invalid)
		return &Result{State: NotApplicable, Reason: w, Details: map[string]any{"warnings": []string{w}}}
	}
	if err != nil {
		// A template function error fails the evaluation, which Azure
		// treats as a deny: the resource is reported NonCompliant.
		return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err,
			Reason: "The policy rule could not be evaluated (" + err.Error() + "); Azure treats a failed evaluation as a deny."}
	}
	ifEv := c.ev
	switch le {
	case "denyaction":
		return d.denyAction(c, effect, t)
	case "auditifnotexists", "deployifnotexists":
		switch t {
		case triFalse:
			return &Result{State: NotApplicable, Reason: "The resource does not match the policy rule's if condition."}
		case triUnknown:
			return &Result{Applicable: true, Effect: effect, State: Unknown, Evidence: pick(ifEv, triUnknown),
				Reason: "The rule's conditions depend on values not known before deployment."}
		}
		return d.existence(c, effect)
	}
	if t == triFalse {
		if !d.applicable(c) {
			return &Result{State: NotApplicable, Reason: "The policy does not apply to this resource (its type, name or kind conditions do not match)."}
		}
		if le == "manual" {
			return &Result{State: NotApplicable, Reason: "The resource does not match the policy rule's if condition."}
		}
		return &Result{Applicable: true, State: Compliant, Evidence: contributing(ifEv, false),
			Reason: "The resource does not match the policy rule's conditions."}
	}
	if t == triUnknown {
		return &Result{Applicable: true, Effect: effect, State: Unknown, Evidence: pick(ifEv, triUnknown),
			Reason: "The rule's conditions depend on values not known before deployment."}
	}
	res := &Result{Applicable: true, Effect: effect, State: NonCompliant, Evidence: contributing(ifEv, true)}
	res.Reason = reasonFromEvidence(res.Evidence, true)
	switch le {
	case "manual":
		res.State = Unknown
		if d.details != nil && d.details.defaultState != "" {
			res.State = State(d.details.defaultState)
		}
		res.Reason = "The state of a Manual policy is attested, not evaluated (defaultState " + string(res.State) + ")."
	case "modify":
		res.Details = map[string]any{"operations": d.operationsSummary(c, d.details.operations)}
		if d.details.conflictEffect != "" {
			res.Details["conflictEffect"] = d.details.conflictEffect
		}
	case "append":
		res.Details = map[string]any{"operations": d.operationsSummary(c, d.details.appends)}
	}
	return res
}

// denyAction is the verdict of a DenyAction definition
// (effect-deny-action.md): it blocks the actions it names on matching
// resources, and "during evaluation of existing resources, resources that
// match a denyAction policy definition are marked as compliant". A resource
// it does not match is Compliant too when the definition applies to its
// type, else NotApplicable.
func (d *Definition) denyAction(c *evalCtx, effect string, t tri) *Result {
	if t == triFalse && !d.applicable(c) {
		return &Result{State: NotApplicable, Reason: "The policy does not apply to this resource (its type, name or kind conditions do not match)."}
	}
	det := map[string]any{"actionNames": []any{}, "cascadeBehaviors": map[string]any{"resourceGroup": "deny"}}
	if d.details != nil {
		if d.details.actionNames != nil {
			det["actionNames"] = d.details.actionNames
		}
		if cb := d.details.cascadeBehaviors; cb != nil {
			merged := map[string]any{"resourceGroup": "deny"}
			for k, v := range cb {
				merged[k] = v
			}
			det["cascadeBehaviors"] = merged
		}
	}
	switch t {
	case triTrue:
		return &Result{Applicable: true, Effect: effect, State: Compliant, Details: det,
			Reason: "DenyAction blocks the named actions on this resource; Azure marks resources that match a denyAction definition as compliant."}
	case triUnknown:
		return &Result{Applicable: true, State: Compliant, Details: det,
			Reason: "Whether DenyAction blocks actions on this resource is not known before deployment; it is compliant either way."}
	}
	return &Result{Applicable: true, State: Compliant, Reason: "The resource does not match the policy rule's conditions."}
}

// effectFor resolves the effect: an assignment's override, else the
// definition's (literal or parameter); lower is the effect in lower case.
func (d *Definition) effectFor(c *evalCtx) (effect, lower string, err error) {
	if c.opts != nil && c.opts.effectOverride != "" {
		return c.opts.effectOverride, lowerEffect(c.opts.effectOverride), nil
	}
	v, err := d.effect.eval(c)
	if err != nil {
		return "", "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", "", fmt.Errorf("the effect must be a string, not %s", expr.TypeName(v))
	}
	le, known := knownLower(s)
	if !known {
		return "", "", fmt.Errorf("unknown effect %q", s)
	}
	return s, le, nil
}

// modeApplies: mode Indexed (and a null mode) evaluates only resource
// types that support tags and location (definition-structure-basics.md,
// mode): every top-level type, and the child types that do (a child
// resource written with a location, or a type known to be tracked, such
// as Microsoft.Sql/servers/databases); not proxy child types
// (configurations, firewall rules), extension resources, resource groups
// or subscriptions.
func (d *Definition) modeApplies(r *arm.Resource) bool {
	if !strings.EqualFold(d.Mode, "indexed") {
		return true
	}
	// (The type is lower-cased only for the table, in a stack buffer:
	// this runs for every evaluation.)
	if strings.EqualFold(r.Type, "microsoft.resources/subscriptions") || strings.EqualFold(r.Type, "microsoft.resources/subscriptions/resourcegroups") ||
		strings.EqualFold(r.Type, "microsoft.resources/resourcegroups") {
		return false
	}
	// An extension resource's id holds a second /providers/ segment.
	if i := strings.Index(r.ID, "/providers/"); i >= 0 && strings.Contains(r.ID[i+11:], "/providers/") {
		return false
	}
	if strings.Count(r.Type, "/") > 1 {
		if _, hasLocation := lookupKey(r.Object, "location"); hasLocation {
			return true
		}
		var buf [128]byte
		return trackedChildTypes[string(appendLower(buf[:0], r.Type))]
	}
	return true
}

// appendLower appends strings.ToLower(s) to b, without allocating when s
// is ASCII.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// lowerEffect is strings.ToLower(effect), without allocating for the
// known effects (an evaluation's effect is written in mixed case).
func lowerEffect(effect string) string {
	if le, ok := knownLower(effect); ok {
		return le
	}
	return strings.ToLower(effect)
}

// knownLower returns a known effect in lower case (as effects spells
// it); ok is false for an unknown effect.
func knownLower(effect string) (string, bool) {
	for _, e := range effects {
		if strings.EqualFold(effect, e) {
			return e, true
		}
	}
	return "", false
}

// trackedChildTypes are child resource types that support tags and
// location (ARM tracked resources), which mode Indexed evaluates.
var trackedChildTypes = map[string]bool{
	"microsoft.sql/servers/databases":                       true,
	"microsoft.sql/servers/elasticpools":                    true,
	"microsoft.sql/managedinstances/databases":              true,
	"microsoft.web/sites/slots":                             true,
	"microsoft.compute/virtualmachines/extensions":          true,
	"microsoft.hybridcompute/machines/extensions":           true,
	"microsoft.automation/automationaccounts/runbooks":      true,
	"microsoft.synapse/workspaces/sqlpools":                 true,
	"microsoft.synapse/workspaces/bigdatapools":             true,
	"microsoft.machinelearningservices/workspaces/computes": true,
}

// applicable decides applicability for effects other than
// AuditIfNotExists/DeployIfNotExists: only type, name and kind conditions
// count; the others are taken as true (false when negated). A rule without
// a type condition applies to every resource.
func (d *Definition) applicable(c *evalCtx) bool {
	if !d.hasTypeCond {
		return true
	}
	c.record = false
	t := applicability(d.cond, c, false)
	return t != triFalse
}

func applicability(n node, c *evalCtx, neg bool) tri {
	switch v := n.(type) {
	case allOf:
		out := triTrue
		for _, x := range v {
			switch applicability(x, c, neg) {
			case triFalse:
				return triFalse
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case anyOf:
		out := triFalse
		for _, x := range v {
			switch applicability(x, c, neg) {
			case triTrue:
				return triTrue
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case notNode:
		switch applicability(v.n, c, !neg) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triUnknown
	case *leaf:
		if v.side == sideField && v.field != nil {
			switch v.field.kind {
			case fType, fName, fKind:
				t, err := v.eval(c)
				if err != nil {
					return triUnknown
				}
				return t
			}
		}
	}
	return triOf(!neg)
}

func (n allOf) eval(c *evalCtx) (tri, error) {
	out := triTrue
	for _, x := range n {
		t, err := x.eval(c)
		if err != nil {
			return triFalse, err
		}
		if t == triFalse {
			return triFalse, nil
		}
		if t == triUnknown {
			out = triUnknown
		}
	}
	return out, nil
}

func (n anyOf) eval(c *evalCtx) (tri, error) {
	out := triFalse
	for _, x := range n {
		t, err := x.eval(c)
		if err != nil {
			return triFalse, err
		}
		if t == triTrue {
			return triTrue, nil
		}
		if t == triUnknown {
			out = triUnknown
		}
	}
	return out, nil
}

func (n notNode) eval(c *evalCtx) (tri, error) {
	c.neg = !c.neg
	t, err := n.n.eval(c)
	c.neg = !c.neg
	switch {
	case err != nil:
		return triFalse, err
	case t == triUnknown:
		return triUnknown, nil
	}
	return triOf(t == triFalse), nil
}

func isUnknown(v any) bool { _, ok := v.(arm.Unknown); return ok }

func (l *leaf) eval(c *evalCtx) (tri, error) {
	rhs, err := l.rhs.eval(c)
	if err != nil {
		return triFalse, err
	}
	if isUnknown(rhs) {
		c.note(l, l.fieldName(), "", nil, true, rhs, triUnknown)
		return triUnknown, nil
	}
	switch l.side {
	case sideCount:
		return l.evalCount(c, rhs)
	case sideValue:
		c.fieldPath = ""
		v, err := l.value.eval(c)
		if err != nil {
			return triFalse, err
		}
		// The evidence points at the property the expression read, so
		// that results locate it in the input.
		path := c.fieldPath
		if isUnknown(v) {
			// Refinements hold for a field's value itself, not for what a
			// function computes from it.
			if l.value.kind != oField && !trustsRefinements(l.value.node) {
				v = stripped(v)
			}
			t := refined(l.op, v, rhs, l.pat)
			c.note(l, "", path, v, true, rhs, t)
			return t, nil
		}
		ok, err := compare(l.op, v, true, rhs, l.pat)
		if err != nil {
			return triFalse, err
		}
		t := triOf(ok)
		c.note(l, "", path, v, true, rhs, t)
		return t, nil
	}
	ref := l.field
	if l.fieldExpr != nil {
		v, err := l.fieldExpr.Eval(&c.ectx)
		if err != nil {
			return triFalse, err
		}
		if isUnknown(v) {
			return triUnknown, nil
		}
		s, ok := v.(string)
		if !ok {
			return triFalse, fmt.Errorf("%s: the field expression must give a string, not %s", l.path, expr.TypeName(v))
		}
		ref = c.def.fieldRef(s)
		if ref.kind == fLocation {
			rhs = normLocationValue(rhs)
		}
	} else if ref.kind == fLocation && l.rhs.kind != oLiteral {
		rhs = normLocationValue(rhs)
	}
	return c.fieldCondition(l, ref, rhs)
}

func (l *leaf) fieldName() string {
	switch {
	case l.field != nil:
		return l.field.raw
	case l.count != nil && l.count.field != nil:
		return l.count.field.raw
	}
	return ""
}

// target is where a field reference reads: a special value, or a path
// from a root value.
type target struct {
	res      *arm.Resource
	special  bool
	v        any
	present  bool
	path     string // evidence path of a special value
	root     any
	steps    []step
	bound    bool // bound to a count's current element
	prefix   string
	fullPath *jpath
}

func (t *target) wildRest() bool {
	for _, s := range t.steps {
		if s.all {
			return true
		}
	}
	return false
}

// boundBy reports whether a field count's scope binds the reference: the
// reference names the counted alias or a property below it.
func boundBy(ref *fieldRef, s *scope) bool {
	if s.isValue || (ref.kind != fAlias && ref.kind != fRawPath) || !strings.HasPrefix(ref.lower, s.lower) {
		return false
	}
	if len(ref.lower) == len(s.lower) {
		return true
	}
	ch := ref.lower[len(s.lower)]
	return ch == '.' || ch == '['
}

// aliasPath resolves a field reference to its JSON path for a resource of
// type typ. An alias belongs to the types a loaded catalog lists it under
// (whatever its name's prefix); without catalog data, to the type its name
// starts with, with the built-in table's path or the documented fallback.
// other is true when the alias is valid but belongs to other types, so it
// reads nothing here; a nil path with other false is an invalid alias.
func (c *evalCtx) aliasPath(ref *fieldRef, typ string) (p *jpath, other bool) {
	if ref.kind == fRawPath {
		return ref.raw2, false
	}
	if ref.kind != fAlias {
		return nil, false
	}
	if c.aliases != nil && c.aliases != builtinAliases {
		lt := strings.ToLower(typ)
		al, known := c.aliases.forType(ref.lower, lt)
		switch {
		case al != nil:
			return al.pathFor(c.api), false
		case known:
			return nil, true
		case c.aliases.covers(ref.aliasType):
			return nil, false // the catalog covers the type it names, without it
		}
	}
	if !asciiEqualFold(ref.aliasType, typ) {
		return nil, true
	}
	if ref.builtin != nil {
		return ref.builtin.pathFor(c.api), false
	}
	return ref.fallback, false
}

// aliasOf reports whether a field reference is an alias of type typ.
func (c *evalCtx) aliasOf(ref *fieldRef, typ string) bool {
	p, other := c.aliasPath(ref, typ)
	return ref.kind == fAlias && p != nil && !other
}

// resFor picks the resource a field reads inside an existence condition
// (effect-audit-if-not-exists.md, existenceCondition: evaluated against
// each related resource; "[field()] ... check equivalence with values in
// the if condition"): a field condition reads the related resource; the
// field() function reads the evaluated resource, except for an alias of the
// related resource's type, which only the related resource has (as the
// built-in LogRetentionDays DINE relies on).
func (c *evalCtx) resFor(ref *fieldRef, fn bool) *arm.Resource {
	if c.res == c.ifRes || !fn {
		return c.res
	}
	if ref.kind == fAlias && c.aliasOf(ref, c.res.Type) && !c.aliasOf(ref, c.ifRes.Type) {
		return c.res
	}
	return c.ifRes
}

func (c *evalCtx) resolve(ref *fieldRef) target { return c.resolveFor(ref, false) }

// resolveFor resolves a field reference; fn tells that the field() function
// reads it (see resFor).
func (c *evalCtx) resolveFor(ref *fieldRef, fn bool) target {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		s := &c.scopes[i]
		if !boundBy(ref, s) {
			continue
		}
		p, _ := c.aliasPath(ref, s.res.Type)
		if p == nil || len(p.steps) < s.nsteps {
			break
		}
		return target{res: s.res, root: s.elem, steps: p.steps[s.nsteps:], bound: true, fullPath: p}
	}
	r := c.resFor(ref, fn)
	switch ref.kind {
	case fName:
		return target{res: r, special: true, v: r.Name, present: r.Name != "", path: "name"}
	case fFullName:
		return target{res: r, special: true, v: fullName(r), present: r.Name != "", path: "name"}
	case fType:
		return target{res: r, special: true, v: r.Type, present: r.Type != "", path: "type"}
	case fID:
		return target{res: r, special: true, v: r.ID, present: r.ID != "", path: "id"}
	case fKind:
		v, ok := lookupKey(r.Object, "kind")
		return target{res: r, special: true, v: v, present: ok, path: "kind"}
	case fLocation:
		v, ok := lookupKey(r.Object, "location")
		if s, isStr := v.(string); isStr {
			v = normLocation(s)
		}
		return target{res: r, special: true, v: v, present: ok, path: "location"}
	case fIdentityType:
		v, ok, _ := getSteps(r.Object, identityTypeSteps)
		return target{res: r, special: true, v: v, present: ok, path: "identity.type"}
	case fIdentityUserAssigned:
		v, ok, _ := getSteps(r.Object, userAssignedSteps)
		return target{res: r, special: true, v: v, present: ok, path: "identity.userAssignedIdentities"}
	case fTags:
		v, ok := lookupKey(r.Object, "tags")
		return target{res: r, special: true, v: v, present: ok, path: "tags"}
	case fTag:
		var v any
		ok := false
		if tags, found := lookupKey(r.Object, "tags"); found {
			if m, isMap := tags.(map[string]any); isMap {
				v, ok = lookupKey(m, ref.tag)
			} else if isUnknown(tags) {
				v, ok = tags, true
			}
		}
		return target{res: r, special: true, v: v, present: ok, path: "tags." + ref.tag}
	case fInvalid:
		if c.invalid == "" {
			c.invalid = ref.raw
		}
		return target{res: r, special: true}
	}
	p, other := c.aliasPath(ref, r.Type)
	if other {
		// An alias of another resource type reads nothing here.
		return target{res: r, special: true}
	}
	if p == nil {
		if c.invalid == "" {
			c.invalid = ref.raw
		}
		return target{res: r, special: true}
	}
	return target{res: r, root: r.Object, steps: p.steps, fullPath: p}
}

var (
	identityTypeSteps = []step{{key: "identity"}, {key: "type"}}
	userAssignedSteps = []step{{key: "identity"}, {key: "userAssignedIdentities"}}
)

// fieldFunc is field(): the value, "" when missing, and for a [*] alias the
// array of selected values ([] when missing).
func (c *evalCtx) fieldFunc(ref *fieldRef) any {
	t := c.resolveFor(ref, true)
	if c.record && c.fieldPath == "" && t.fullPath != nil && !t.bound {
		c.fieldPath = t.fullPath.raw
	}
	if t.special {
		if !t.present {
			return ""
		}
		return t.v
	}
	if ref.wild || t.wildRest() {
		if t.bound && !t.wildRest() {
			v, found, _ := getSteps(t.root, t.steps)
			if !found {
				return []any{}
			}
			return []any{v}
		}
		return c.collect(t)
	}
	v, found, _ := getSteps(t.root, t.steps)
	if !found {
		return ""
	}
	return expr.Normalize(v)
}

// collect returns the selected values of a [*] path.
// An unknown element, or an unknown array, makes the whole selection an
// arm.Unknown (without refinements).
func (c *evalCtx) collect(t target) any {
	out := []any{}
	var unk *arm.Unknown
	_, arrUnknown := selection(t.root, t.steps, c.idx[:0], func(v any, found bool, _ []int) bool {
		if u, ok := v.(arm.Unknown); ok {
			unk = &arm.Unknown{Reason: u.Reason}
			return false
		}
		if found {
			out = append(out, expr.Normalize(v))
		}
		return true
	})
	switch {
	case unk != nil:
		return *unk
	case arrUnknown:
		return arm.Unknown{Reason: "an array is not known before deployment"}
	}
	return out
}

func (c *evalCtx) fieldCondition(l *leaf, ref *fieldRef, rhs any) (tri, error) {
	t := c.resolve(ref)
	if t.special {
		if isUnknown(t.v) {
			out := refined(l.op, t.v, rhs, l.pat)
			c.noteT(l, ref, t, t.path, t.v, true, rhs, out)
			return out, nil
		}
		ok, err := compare(l.op, expr.Normalize(t.v), t.present, rhs, l.pat)
		if err != nil {
			return triFalse, err
		}
		out := triOf(ok)
		c.noteT(l, ref, t, t.path, t.v, t.present, rhs, out)
		return out, nil
	}
	if !t.wildRest() {
		v, found, unk := getSteps(t.root, t.steps)
		if unk {
			out := refined(l.op, v, rhs, l.pat)
			c.noteT(l, ref, t, "", v, true, rhs, out)
			return out, nil
		}
		ok, err := compare(l.op, expr.Normalize(v), found, rhs, l.pat)
		if err != nil {
			return triFalse, err
		}
		out := triOf(ok)
		c.noteT(l, ref, t, "", v, found, rhs, out)
		return out, nil
	}
	// A [*] alias outside a count: an implicit allOf over the selected
	// values, true on an empty array, false on a missing one.
	var cmpErr error
	failed, elemUnknown := false, false
	var failV any
	var failFound bool
	var failPath string
	steps, prefix, record := t.steps, t.prefix, c.record
	arrayFound, unknown := selection(t.root, t.steps, c.idx[:0], func(v any, found bool, idx []int) bool {
		var ok bool
		if isUnknown(v) {
			switch refined(l.op, v, rhs, l.pat) {
			case triTrue:
				return true
			case triUnknown:
				elemUnknown = true
				return true
			}
		} else if ok, cmpErr = compare(l.op, expr.Normalize(v), found, rhs, l.pat); cmpErr != nil {
			return false
		}
		if !ok {
			failed, failV, failFound = true, v, found
			if record {
				failPath = renderPath(steps, idx, prefix)
			}
			return false
		}
		return true
	})
	if cmpErr != nil {
		return triFalse, cmpErr
	}
	switch {
	case !arrayFound:
		c.noteT(l, ref, t, "", nil, false, rhs, triFalse)
		return triFalse, nil
	case failed:
		c.noteT(l, ref, t, failPath, failV, failFound, rhs, triFalse)
		return triFalse, nil
	case unknown || elemUnknown:
		c.noteT(l, ref, t, "", nil, true, rhs, triUnknown)
		return triUnknown, nil
	}
	if c.record {
		c.noteT(l, ref, t, "", c.collect(t), true, rhs, triTrue)
	}
	return triTrue, nil
}

func (c *evalCtx) noteT(l *leaf, ref *fieldRef, t target, path string, v any, present bool, rhs any, out tri) {
	if !c.record {
		return
	}
	if path == "" && t.fullPath != nil && !t.bound {
		path = t.fullPath.raw
	}
	id := ""
	if t.res != nil {
		id = t.res.ID
	}
	if c.ev == nil {
		c.ev = make([]Evidence, 0, 4) // most verdicts rest on a few comparisons
	}
	c.ev = append(c.ev, Evidence{ResourceID: id, Resource: t.res, Path: path, Field: ref.raw, Operator: l.op.String(), Value: v,
		Expected: rhs, Missing: !present, outcome: out, neg: c.neg, op: l.op})
}

func (c *evalCtx) note(l *leaf, field, path string, v any, present bool, rhs any, out tri) {
	if !c.record {
		return
	}
	c.ev = append(c.ev, Evidence{ResourceID: c.res.ID, Resource: c.res, Path: path, Field: field, Operator: l.op.String(), Value: v,
		Expected: rhs, Missing: !present, outcome: out, neg: c.neg, op: l.op})
}

func (l *leaf) evalCount(c *evalCtx, rhs any) (tri, error) {
	n, u, err := l.count.eval(c)
	if err != nil {
		return triFalse, err
	}
	// Kleene: with u undecided elements the count is in [n, n+u]; the
	// condition is known when every possible count gives the same answer.
	first, err := compare(l.op, int64(n), true, rhs, nil)
	if err != nil {
		return triFalse, err
	}
	out := triOf(first)
	if u > 0 {
		for _, k := range countProbes(n, n+u, rhs) {
			if ok, _ := compare(l.op, k, true, rhs, nil); ok != first {
				out = triUnknown
				break
			}
		}
	}
	path := ""
	if l.count.field != nil {
		if p, _ := c.aliasPath(l.count.field, c.res.Type); p != nil {
			path = p.raw
		}
	}
	c.note(l, l.fieldName(), path, int64(n), true, rhs, out)
	return out, nil
}

// countProbes returns the counts in [lo, hi] at which a count condition
// against rhs can change its answer: the ends, and each number of rhs (or
// of its elements) with its neighbours. Every operator on a count is
// constant between these points, so checking them checks the range.
func countProbes(lo, hi int, rhs any) []int64 {
	out := []int64{int64(lo), int64(hi)}
	add := func(v any) {
		f, ok := number(v)
		if !ok || f != f {
			return
		}
		for _, g := range []float64{math.Floor(f) - 1, math.Floor(f), math.Ceil(f), math.Ceil(f) + 1} {
			if g >= float64(lo) && g <= float64(hi) {
				out = append(out, int64(g))
			}
		}
	}
	if list, ok := rhs.([]any); ok {
		for _, e := range list {
			add(e)
		}
	} else {
		add(rhs)
	}
	return out
}

// unknownFilled reports whether the first array a [*] path iterates is
// an unknown known to be non-empty.
func unknownFilled(root any, steps []step) bool {
	for i, s := range steps {
		if s.all {
			v, _, unk := getSteps(root, steps[:i])
			u, ok := v.(arm.Unknown)
			return unk && ok && u.Filled()
		}
	}
	return false
}

// unknownCount is the number of undecided elements an unknown array
// counts for: any count from none up.
const unknownCount = 1 << 20

// eval counts the elements (that satisfy where): n known, u undecided.
func (cs *countSpec) eval(c *evalCtx) (n, u int, err error) {
	record := c.record
	c.record = false
	defer func() { c.record = record }()
	if cs.field != nil {
		t := c.resolve(cs.field)
		if t.special {
			return 0, 0, nil
		}
		sc := scope{lower: cs.field.lower, res: t.res}
		if t.fullPath != nil {
			sc.nsteps = len(t.fullPath.steps)
		}
		_, unknown := selection(t.root, t.steps, c.idx[:0], func(v any, found bool, _ []int) bool {
			if cs.where == nil {
				n++
				return true
			}
			// An unknown element is still evaluated: its refinements may
			// decide the where.
			sc.elem = v
			if !found {
				sc.elem = nil
			}
			c.scopes = append(c.scopes, sc)
			t, e := cs.where.eval(c)
			c.scopes = c.scopes[:len(c.scopes)-1]
			if e != nil {
				err = e
				return false
			}
			switch t {
			case triTrue:
				n++
			case triUnknown:
				u++
			}
			return true
		})
		if unknown {
			// An array that is itself unknown may hold any number of
			// elements (at least one when it is known to be non-empty
			// and nothing is filtered).
			u = unknownCount
			if cs.where == nil && n == 0 && unknownFilled(t.root, t.steps) {
				n = 1
			}
		}
		return n, u, err
	}
	v, err := cs.value.eval(c)
	if err != nil {
		return 0, 0, err
	}
	if isUnknown(v) {
		if u, ok := v.(arm.Unknown); ok && cs.where == nil && u.Filled() && (cs.value.kind == oField || trustsRefinements(cs.value.node)) {
			return 1, unknownCount, nil
		}
		return 0, unknownCount, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return 0, 0, fmt.Errorf("a value count needs an array, not %s", expr.TypeName(v))
	}
	if len(arr) > maxValueCountIter {
		return 0, 0, fmt.Errorf("a value count iterates over at most %d elements, got %d", maxValueCountIter, len(arr))
	}
	if cs.where == nil {
		return len(arr), 0, nil
	}
	for _, e := range arr {
		c.scopes = append(c.scopes, scope{isValue: true, name: cs.name, elem: expr.Normalize(e), res: c.res})
		t, err := cs.where.eval(c)
		c.scopes = c.scopes[:len(c.scopes)-1]
		if err != nil {
			return 0, 0, err
		}
		switch t {
		case triTrue:
			n++
		case triUnknown:
			u++
		}
	}
	return n, u, nil
}

// contributing keeps the comparisons that explain a verdict: for a rule
// that held, the leaves whose effective truth (after nots) is true; for
// one that did not, those whose effective truth is false. type conditions
// are left out.
func contributing(ev []Evidence, held bool) []Evidence {
	out := ev[:0]
	for _, e := range ev {
		if e.outcome == triUnknown || e.Field == "type" || strings.EqualFold(e.Field, "type") {
			continue
		}
		eff := (e.outcome == triTrue) != e.neg
		if eff == held {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func pick(ev []Evidence, want tri) []Evidence {
	out := ev[:0]
	for _, e := range ev {
		if e.outcome == want {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// reasonFromEvidence gives Azure's reason text for the first contributing
// comparison. held tells whether the evidence explains a condition that
// held (an if that matched: compliance needs the opposite) or one that
// failed (an existence condition: compliance needs it to hold).
func reasonFromEvidence(ev []Evidence, held bool) string {
	if len(ev) == 0 {
		if held {
			return "The resource matches the policy rule's conditions."
		}
		return ""
	}
	e := ev[0]
	// The comparison as it stood: op (or its negation under a not).
	wantOp := e.op
	flip := held != e.neg // compliance needs the comparison to come out the other way
	if e.op == opExists {
		want, _ := boolish(e.Expected)
		if flip {
			want = !want
		}
		return requirementText(opExists, want)
	}
	if flip {
		wantOp = wantOp.negate()
	}
	return requirementText(wantOp, e.Expected)
}

func (d *Definition) operationsSummary(c *evalCtx, ops []operation) []any {
	out := make([]any, 0, len(ops))
	for _, o := range ops {
		m := map[string]any{"operation": o.op, "field": o.field}
		if o.value.kind != oLiteral || o.value.lit != nil {
			if v, err := o.value.eval(c); err == nil {
				m["value"] = v
			} else {
				m["error"] = err.Error()
			}
		}
		if o.cond != nil {
			v, err := o.cond.eval(c)
			if err == nil {
				if b, ok := v.(bool); ok && !b {
					continue // the operation's condition is false: it does not apply
				}
			}
		}
		out = append(out, m)
	}
	return out
}
