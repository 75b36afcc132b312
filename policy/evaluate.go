package policy

import (
	"fmt"
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

// Related finds the candidates of an existence check.
// *arm.Set satisfies it.
type Related interface {
	Children(parentID, childType string) []*arm.Resource
	Extensions(scopeID, fullType string) []*arm.Resource
	InResourceGroup(subscription, group, fullType string) []*arm.Resource
	InSubscription(subscription, fullType string) []*arm.Resource
}

// Env is what an evaluation needs besides the resource.
type Env struct {
	// Params are parameter values by name; defaults fill the rest.
	Params map[string]any
	// Related finds related resources for AuditIfNotExists and
	// DeployIfNotExists; nil means none exist.
	Related Related
	// Now is the evaluation time; zero means time.Now().
	Now time.Time
}

// Result is the verdict of one definition on one resource.
type Result struct {
	// Applicable is false when the rule does not apply to the resource.
	Applicable bool
	// Effect is the effect that applies, after parameter resolution, or ""
	// when the rule does not fire or is Disabled.
	Effect string
	State  State
	// Reason is Azure's reason text.
	Reason   string
	Evidence []Evidence
	Details  map[string]any
	Err      error
}

// Evidence is one comparison the verdict rests on.
type Evidence struct {
	ResourceID string // the resource whose value was read
	Path       string // JSON path in that resource, e.g. properties.network.publicNetworkAccess
	Field      string // the field or alias as written
	Operator   string
	Value      any
	Expected   any
	Missing    bool

	held string // "held", "failed" or "unknown": how the comparison came out
}

func (e Evidence) outcome() string { return e.held }

type evalCtx struct {
	def      *Definition
	params   map[string]any // lower-case names
	res      *arm.Resource  // the resource fields resolve against
	ifRes    *arm.Resource  // the resource the rule's "if" evaluated
	now      time.Time
	scopes   []countScope
	evidence []Evidence
	record   bool
}

type countScope struct {
	prefix string // lower-case field prefix up to and including [*]
	elem   any
	name   string // value count name
	isVal  bool
}

var (
	libOnce sync.Once
	lib     expr.Library
)

// library is the policy function library: the shared ARM core with the
// policy differences, plus parameters, field and current.
func library() expr.Library {
	libOnce.Do(func() {
		lib = expr.Policy().Clone()
		lib.Add(
			&expr.Func{Name: "parameters", MinArgs: 1, MaxArgs: 1, Call: func(c *expr.Context, a []any) (any, error) {
				name, _ := a[0].(string)
				ctx := c.Host.(*evalCtx)
				v, ok := ctx.params[strings.ToLower(name)]
				if !ok {
					return nil, expr.Errorf("parameters", "the definition has no parameter %q", name)
				}
				return v, nil
			}},
			&expr.Func{Name: "field", MinArgs: 1, MaxArgs: 1, Call: func(c *expr.Context, a []any) (any, error) {
				name, _ := a[0].(string)
				ctx := c.Host.(*evalCtx)
				v, ok, _ := ctx.field(name)
				if !ok {
					if strings.Contains(name, "[*]") {
						return []any{}, nil
					}
					return "", nil
				}
				return v, nil
			}},
			&expr.Func{Name: "current", MinArgs: 0, MaxArgs: 1, Call: func(c *expr.Context, a []any) (any, error) {
				ctx := c.Host.(*evalCtx)
				name := ""
				if len(a) == 1 {
					name, _ = a[0].(string)
				}
				for i := len(ctx.scopes) - 1; i >= 0; i-- {
					s := ctx.scopes[i]
					if name == "" || (s.isVal && strings.EqualFold(s.name, name)) {
						return s.elem, nil
					}
					if !s.isVal && strings.HasPrefix(strings.ToLower(name), s.prefix) {
						v, _, _ := ctx.field(name)
						return v, nil
					}
				}
				return nil, expr.Errorf("current", "no count iteration named %q is in scope", name)
			}},
			&expr.Func{Name: "resourceGroup", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, a []any) (any, error) {
				ctx := c.Host.(*evalCtx)
				id, _ := arm.ParseID(ctx.ifRes.ID)
				return map[string]any{"name": id.ResourceGroup, "id": "/subscriptions/" + id.Subscription + "/resourceGroups/" + id.ResourceGroup, "location": ctx.ifRes.Location()}, nil
			}},
			&expr.Func{Name: "subscription", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, a []any) (any, error) {
				ctx := c.Host.(*evalCtx)
				id, _ := arm.ParseID(ctx.ifRes.ID)
				return map[string]any{"subscriptionId": id.Subscription, "id": "/subscriptions/" + id.Subscription}, nil
			}},
			&expr.Func{Name: "requestContext", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, a []any) (any, error) {
				return map[string]any{"apiVersion": ""}, nil
			}},
			&expr.Func{Name: "policy", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, a []any) (any, error) {
				ctx := c.Host.(*evalCtx)
				return map[string]any{"definitionId": ctx.def.ID, "assignmentId": "", "setDefinitionId": "", "definitionReferenceId": ""}, nil
			}},
		)
	})
	return lib
}

func (c *evalCtx) exprContext() *expr.Context {
	now := c.now
	return &expr.Context{Funcs: library(), Host: c, Now: func() time.Time { return now }}
}

// Evaluate evaluates the definition on r.
func (d *Definition) Evaluate(r *arm.Resource, env *Env) *Result {
	if env == nil {
		env = &Env{}
	}
	params, err := d.resolveParams(env.Params)
	if err != nil {
		return &Result{State: Error, Reason: err.Error(), Err: err}
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := &evalCtx{def: d, params: params, res: r, ifRes: r, now: now}
	effV, err := d.effect.Eval(c.exprContext())
	if err != nil {
		return &Result{State: Error, Reason: "the effect could not be evaluated: " + err.Error(), Err: err}
	}
	effect, _ := effV.(string)
	le := strings.ToLower(effect)
	if le == "disabled" {
		return &Result{State: NotApplicable, Reason: "The policy's effect is Disabled."}
	}
	if !knownEffect(le) {
		return &Result{State: Error, Reason: fmt.Sprintf("unknown effect %q", effect), Err: fmt.Errorf("unknown effect %q", effect)}
	}
	typeMatches := d.appliesToType(r)
	c.record = true
	t, err := d.cond.eval(c)
	if err != nil {
		// A template function error fails the evaluation, which Azure treats
		// as a deny: the resource is reported NonCompliant.
		return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err,
			Reason: "The policy rule could not be evaluated (" + err.Error() + "); Azure treats a failed evaluation as a deny."}
	}
	ifEvidence := c.evidence
	switch le {
	case "auditifnotexists", "deployifnotexists":
		switch t {
		case triFalse:
			return &Result{State: NotApplicable, Reason: "The policy rule's conditions do not match the resource."}
		case triUnknown:
			return &Result{Applicable: true, Effect: effect, State: Unknown, Evidence: unknownEvidence(ifEvidence),
				Reason: "The rule's conditions depend on values not known before deployment."}
		}
		return d.existence(c, r, env, effect)
	case "manual":
		if !typeMatches {
			return &Result{State: NotApplicable}
		}
		state := Unknown
		if d.details != nil && d.details.defaultState != "" {
			state = State(d.details.defaultState)
		}
		return &Result{Applicable: true, Effect: effect, State: state, Reason: "The state of a Manual policy is attested, not evaluated."}
	case "denyaction":
		return &Result{State: NotApplicable, Reason: "DenyAction blocks requests; it is not a compliance check."}
	}
	if !typeMatches {
		return &Result{State: NotApplicable, Reason: "The policy does not apply to resources of this type."}
	}
	switch t {
	case triTrue:
		res := &Result{Applicable: true, Effect: effect, State: NonCompliant, Evidence: firedEvidence(ifEvidence)}
		res.Reason = reasonFor(res.Evidence)
		if le == "modify" || le == "append" {
			res.Details = map[string]any{"operations": d.details.raw["operations"]}
			if le == "append" {
				res.Details = map[string]any{"operations": d.details.raw}
			}
		}
		return res
	case triUnknown:
		return &Result{Applicable: true, State: Unknown, Evidence: unknownEvidence(ifEvidence),
			Reason: "The rule's conditions depend on values not known before deployment."}
	}
	return &Result{Applicable: true, State: Compliant, Reason: "The resource does not match the policy rule's conditions."}
}

// appliesToType reports whether r's type is one the rule's type conditions
// name (all types when it names none).
func (d *Definition) appliesToType(r *arm.Resource) bool {
	if len(d.targets) == 0 {
		return true
	}
	for _, t := range d.targets {
		if strings.EqualFold(t, r.Type) {
			return true
		}
	}
	return false
}

var extensionNamespaces = []string{"microsoft.insights/", "microsoft.security/", "microsoft.authorization/", "microsoft.resources/"}

func (d *Definition) existence(c *evalCtx, r *arm.Resource, env *Env, effect string) *Result {
	det := d.details
	if det == nil || det.typ == "" {
		err := fmt.Errorf("%s needs details.type", effect)
		return &Result{State: Error, Reason: err.Error(), Err: err}
	}
	var candidates []*arm.Resource
	lt := strings.ToLower(det.typ)
	if env.Related != nil {
		switch {
		case strings.HasPrefix(lt, strings.ToLower(r.Type)+"/"):
			candidates = env.Related.Children(r.ID, det.typ)
		case hasAnyPrefix(lt, extensionNamespaces):
			candidates = env.Related.Extensions(r.ID, det.typ)
		case strings.EqualFold(det.existenceScope, "subscription"):
			id, _ := arm.ParseID(r.ID)
			candidates = env.Related.InSubscription(id.Subscription, det.typ)
		default:
			id, _ := arm.ParseID(r.ID)
			group := id.ResourceGroup
			if det.resourceGroupName != nil {
				v, err := det.resourceGroupName.Eval(c.exprContext())
				if err == nil {
					group, _ = v.(string)
				}
			}
			candidates = env.Related.InResourceGroup(id.Subscription, group, det.typ)
		}
	}
	if det.name != nil {
		v, err := det.name.Eval(c.exprContext())
		if err != nil {
			return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err, Reason: "details.name could not be evaluated: " + err.Error()}
		}
		name, _ := v.(string)
		if i := strings.LastIndexByte(name, '/'); i >= 0 && name[i+1:] != "?" {
			name = name[i+1:]
		}
		if !strings.HasSuffix(name, "?") {
			var kept []*arm.Resource
			for _, cand := range candidates {
				if strings.EqualFold(cand.Name, name) {
					kept = append(kept, cand)
				}
			}
			candidates = kept
		}
	}
	ids := make([]string, 0, len(candidates))
	for _, cand := range candidates {
		ids = append(ids, cand.ID)
	}
	detailMap := map[string]any{"type": det.typ, "related": ids}
	if len(candidates) == 0 {
		return &Result{Applicable: true, Effect: effect, State: NonCompliant, Details: detailMap,
			Reason:   "No related resources match the effect details in the policy definition.",
			Evidence: []Evidence{{ResourceID: r.ID, Field: det.typ, Operator: "exists", Expected: true, Missing: true}}}
	}
	if det.existence == nil {
		return &Result{Applicable: true, Effect: effect, State: Compliant, Details: detailMap,
			Reason: "A related resource of the type the policy requires exists."}
	}
	var failed []Evidence
	unknown := false
	for _, cand := range candidates {
		cc := &evalCtx{def: d, params: c.params, res: cand, ifRes: r, now: c.now, record: true}
		t, err := det.existence.eval(cc)
		if err != nil {
			return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err, Details: detailMap,
				Reason: "The existence condition could not be evaluated (" + err.Error() + ")."}
		}
		switch t {
		case triTrue:
			return &Result{Applicable: true, Effect: effect, State: Compliant, Details: detailMap,
				Reason: "A related resource satisfies the existence condition.", Evidence: firedEvidence(cc.evidence)}
		case triUnknown:
			unknown = true
			failed = append(failed, unknownEvidence(cc.evidence)...)
		default:
			failed = append(failed, unfiredEvidence(cc.evidence)...)
		}
	}
	if unknown {
		return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap, Evidence: failed,
			Reason: "The related resources' values are not known before deployment."}
	}
	return &Result{Applicable: true, Effect: effect, State: NonCompliant, Details: detailMap, Evidence: failed,
		Reason: "No related resources match the effect details in the policy definition. " + reasonForExistence(failed)}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func firedEvidence(ev []Evidence) []Evidence   { return filterEvidence(ev, "held") }
func unfiredEvidence(ev []Evidence) []Evidence { return filterEvidence(ev, "failed") }
func unknownEvidence(ev []Evidence) []Evidence { return filterEvidence(ev, "unknown") }

// filterEvidence keeps the comparisons that explain a verdict: leaves on
// fields other than type, of the wanted outcome.
func filterEvidence(ev []Evidence, want string) []Evidence {
	var out []Evidence
	for _, e := range ev {
		if strings.EqualFold(e.Field, "type") || e.Field == "" {
			continue
		}
		outcome := e.outcome()
		if outcome == want {
			e.held = ""
			out = append(out, e)
		}
	}
	return out
}
