// Package scan runs an assessment: it takes the sources' inputs, completes
// the resource model, evaluates every rule of the baseline catalog on every
// resource of a type the rule targets, and assembles the report.
//
// Every scan is one pipeline (pipeline.go): producers yield verdicts in the
// report's order (the rules on the model, the sources' findings and the
// database checks merged in order, or a fleet's servers one group at a
// time), the one finish step (finish.go) completes each verdict with the
// configuration, refusals, attestations, suppressions and remediation, and
// a consumer collects the results (Run) or streams them as JSON (RunJSON),
// with one tally for the summary, the control rollups and the exit code.
// The Engine compiles each rule once and is safe for concurrent use by
// several scans. Package assess is the one way in for the CLI and serve.
package scan

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/check"
	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/policy"
	"github.com/pgbaseline/pgbaseline/policy/builtin"
	"github.com/pgbaseline/pgbaseline/report"
)

// Engine evaluates the catalog's rules.
type Engine struct {
	Catalog *baseline.Catalog
	Config  *config.Config
	rules   []*compiledRule
	extra   []*policy.Evaluation // users' definitions and assignments
	// policies are users' assignments and exemptions (UsePolicies).
	policies *policy.Collection
	// compliant caches the Compliant message of each definition.
	compliant sync.Map // *policy.Definition -> string
	// byRule holds the settings of every catalog rule, by id, and
	// extraSettings those of users' evaluations.
	byRule        map[string]*ruleSettings
	extraSettings map[*policy.Evaluation]*ruleSettings
}

type compiledRule struct {
	rule     *baseline.Rule
	def      *policy.Definition
	params   map[string]any
	targets  []string
	check    check.Func
	settings *ruleSettings
	// mitigation holds when the rule's intent is met another way.
	mitigation *policy.Definition
	// defID and remediation are computed once and shared by the rule's
	// results (which nothing modifies).
	defID       string
	remediation *report.Remediation
	// paramsChecked: params passed the definition's CheckParams.
	paramsChecked bool
	// fixedMessage is the message of every result of a platform,
	// unsupported or manual rule, made once.
	fixedMessage string
}

// NewEngine compiles the catalog's enabled rules. cfg may be nil.
func NewEngine(cat *baseline.Catalog, cfg *config.Config) (*Engine, error) {
	e := &Engine{Catalog: cat, Config: cfg, byRule: make(map[string]*ruleSettings, len(cat.Rules))}
	for _, r := range cat.Rules {
		s := newRuleSettings(r, cfg)
		e.byRule[r.ID] = s
		if !s.enabled || r.Kind == baseline.KindDataplane || r.Kind == baseline.KindSource {
			continue
		}
		rc := cfg.Rule(r.ID)
		cr := &compiledRule{rule: r, targets: r.Targets, settings: s}
		cr.params = map[string]any{}
		for k, v := range r.Parameters {
			cr.params[k] = v
		}
		for k, v := range rc.Parameters {
			cr.params[k] = v
		}
		switch r.Kind {
		case baseline.KindBuiltin:
			cr.def = builtin.ByName(r.Policy)
			if cr.def == nil {
				return nil, fmt.Errorf("rule %s: built-in policy %s is not embedded", r.ID, r.Policy)
			}
		case baseline.KindCustom:
			def, err := policy.ParseDefinition(r.Definition)
			if err != nil {
				return nil, fmt.Errorf("rule %s: custom definition: %w", r.ID, err)
			}
			cr.def = def
		case baseline.KindGo:
			cr.check = check.Registry[r.ID]
			if cr.check == nil {
				return nil, fmt.Errorf("rule %s: no Go check is registered under this id", r.ID)
			}
		case baseline.KindPlatform:
			cr.fixedMessage = firstNonEmpty(r.Message, "Provided by the platform. "+r.Rationale)
		case baseline.KindUnsupported:
			cr.fixedMessage = firstNonEmpty(r.Message, "Not supported by the service. "+r.Rationale)
		case baseline.KindManual:
			cr.fixedMessage = firstNonEmpty(r.Message, "No input can show this; attest it in the config file. "+r.Rationale)
		default:
			return nil, fmt.Errorf("rule %s: unknown kind %q", r.ID, r.Kind)
		}
		if m := r.Mitigation; m != nil {
			def, err := policy.FromObject(map[string]any{"if": m.Condition, "then": map[string]any{"effect": "audit"}})
			if err != nil {
				return nil, fmt.Errorf("rule %s: mitigation condition: %w", r.ID, err)
			}
			cr.mitigation = def
		}
		if cr.def != nil {
			if missing := cr.def.MissingParameters(cr.params); len(missing) > 0 {
				return nil, fmt.Errorf("rule %s: policy %s needs values for parameters %s (set them under rules.%s.parameters in the config file)",
					r.ID, cr.def.Name, strings.Join(missing, ", "), r.ID)
			}
			if len(cr.targets) == 0 {
				cr.targets = cr.def.TargetTypes()
			}
		}
		if cr.def != nil {
			cr.defID = definitionID(cr.def)
			// Checked once here; when they fail, every evaluation
			// says why, as before.
			cr.paramsChecked = cr.def.CheckParams(cr.params) == nil
		}
		if r.Remediation != (baseline.Remediation{}) {
			cr.remediation = new(r.Remediation)
		}
		e.rules = append(e.rules, cr)
	}
	return e, nil
}

// Evaluate runs every rule on the set and returns the finished results in
// the report's order (by resource, control and rule).
func (e *Engine) Evaluate(set *arm.Set, now time.Time) []report.Result {
	items := e.reportOrder(set, nil)
	rep, _, _ := e.complete(context.Background(), &report.Report{}, e.itemsProducer(items, nil, e.newEvalEnv(set, now)), newFinishing(nil, now), nil, "")
	return rep.Results
}

// scratch is a producer's reusable space for evaluating rules, owned by
// one worker: the policy's environment (env with the rule's parameters),
// the evidence array it records into and, when the results are streamed
// (reuse), the previous result's evidence map, which the consumer has
// encoded and dropped before the next result is made.
type scratch struct {
	env      policy.Env
	evidence map[string]any
	reuse    bool
}

// evalRule evaluates one rule on r, with sc as scratch space (nil: none).
func (e *Engine) evalRule(cr *compiledRule, r *arm.Resource, set *arm.Set, env *policy.Env, sc *scratch, now time.Time, ap *assignedPolicies) report.Result {
	res := e.newResult(cr, r)
	switch {
	case cr.def != nil:
		if !e.evalAssigned(ap, cr, r, set, env, &res) {
			if sc == nil {
				sc = &scratch{}
			}
			local := &sc.env
			buf := local.Evidence
			if buf == nil {
				buf = make([]policy.Evidence, 0, 16)
			}
			*local = *env
			local.Params, local.Evidence, local.ParamsChecked = cr.params, buf, cr.paramsChecked
			pr := cr.def.Evaluate(r, local)
			// The scratch keeps only the evidence array, which pr's
			// evidence may share: applyPolicyResult reads it now.
			*local = policy.Env{Evidence: buf}
			var evMap map[string]any
			if sc.reuse {
				if sc.evidence == nil {
					sc.evidence = make(map[string]any, 8)
				}
				evMap = sc.evidence
				clear(evMap)
			}
			e.applyPolicyResult(&res, cr.def, r, set, pr, evMap)
		}
		if cr.rule.Kind == baseline.KindBuiltin && res.Status != report.NotApplicable && res.Status != report.Exempt {
			if ex := ap.opaqueExemption(r, now); ex != nil {
				res.Evidence = mergeEvidence(res.Evidence, map[string]any{"policyExemption": ex.ID, "evaluatedStatus": string(res.Status)})
				res.Status = report.Exempt
				res.Message = "Exempt (" + ex.Category + ") by " + firstNonEmpty(ex.DisplayName, ex.Name, ex.ID) + "."
			}
		}
		if res.Status == report.NonCompliant && cr.mitigation != nil &&
			cr.mitigation.Evaluate(r, &policy.Env{Now: now}).State == policy.NonCompliant {
			res.Status = report.Exempt
			res.Message = "Mitigated: " + cr.rule.Mitigation.Reason
		}
	case cr.check != nil:
		// A check sees set only through check.Scope: r's ancestors,
		// children and extensions, and resources by id, which a fleet
		// scan's layer holds.
		o := cr.check(r, set, check.Params(cr.params))
		res.Status, res.Message, res.Evidence = o.Status, o.Message, o.Evidence
		at := r
		if o.Related != nil {
			at = o.Related
		}
		res.Location = location(at, o.Path)
	case cr.rule.Kind == baseline.KindPlatform:
		res.Status = report.Compliant
		res.Message = cr.fixedMessage
	case cr.rule.Kind == baseline.KindUnsupported:
		res.Status = report.NotApplicable
		res.Message = cr.fixedMessage
	case cr.rule.Kind == baseline.KindManual:
		res.Status = report.Unknown
		res.Effect = "Manual"
		res.Message = cr.fixedMessage
	}
	if res.Location == nil {
		res.Location = location(r, "")
	}
	return res
}

func (e *Engine) newResult(cr *compiledRule, r *arm.Resource) report.Result {
	rule := cr.rule
	res := report.Result{
		RuleID:       rule.ID,
		ControlID:    rule.Control,
		Feature:      rule.Feature,
		Title:        rule.Title,
		Severity:     rule.Severity,
		ResourceID:   resourceID(r),
		ResourceType: r.Type,
		ResourceName: r.Name,
	}
	if cr.def != nil {
		res.PolicyDefinitionID = cr.defID
	}
	res.Remediation = cr.remediation
	return res
}

// resourceID is the id a result names: the Terraform address for code that
// has one, the ARM id otherwise.
func resourceID(r *arm.Resource) string {
	if r.Address != "" {
		return r.Address
	}
	return r.ID
}

func definitionID(d *policy.Definition) string {
	if d.ID != "" {
		return d.ID
	}
	return "/providers/Microsoft.Authorization/policyDefinitions/" + d.Name
}

// applyPolicyResult turns a policy verdict into the result's status,
// message, evidence and location.
//
// ev, when not nil, is an empty map to hold the evidence (a streamed
// scan's, reused from result to result); nil makes one when there is
// evidence.
func (e *Engine) applyPolicyResult(res *report.Result, def *policy.Definition, r *arm.Resource, set *arm.Set, pr *policy.Result, ev map[string]any) {
	res.Status = report.Status(pr.State)
	res.Effect = pr.Effect
	if ev == nil && len(pr.Evidence) > 0 { // every evidence item has a key
		ev = make(map[string]any, len(pr.Evidence))
	}
	at, path, pathMissing := r, "", false
	// The first three comparisons, which a failure's message tells.
	var factEv [3]policy.Evidence
	var factHolder [3]*arm.Resource
	facts := 0
	for _, e := range pr.Evidence {
		key := e.Path
		if key == "" {
			key = e.Field
		}
		holder := r
		if e.ResourceID != "" && e.Resource != r && !strings.EqualFold(e.ResourceID, r.ID) {
			rel := e.Resource
			if rel == nil {
				rel = set.ByID(e.ResourceID)
			}
			if rel != nil {
				holder = rel
				name := relatedName(rel)
				key = name + ": " + key
				if rel.Synthesized != "" {
					ev[name+": source"] = rel.Synthesized
				}
			}
		}
		if e.Missing {
			ev[key] = nil
		} else {
			ev[key] = e.Value
		}
		// Point at the first value the input wrote; a missing one only
		// when nothing compared was written.
		if e.Path != "" && (path == "" || (pathMissing && !e.Missing)) {
			at, path, pathMissing = holder, e.Path, e.Missing
		}
		if facts < len(factEv) && res.Status == report.NonCompliant { // only a failure's message tells them
			factEv[facts], factHolder[facts] = e, holder
			facts++
		}
	}
	if len(ev) > 0 {
		res.Evidence = ev
	}
	res.Location = location(at, path)
	switch res.Status {
	case report.Compliant:
		res.Message = e.compliantMessage(def)
	case report.NonCompliant:
		res.Message = strings.TrimSpace(pr.Reason)
		if facts > 0 {
			// describeEvidence of each, joined with "; ", then ". " and
			// the reason, made in one buffer.
			var buf [512]byte
			b := buf[:0]
			for i := range facts {
				if i > 0 {
					b = append(b, "; "...)
				}
				b = appendEvidenceFact(b, &factEv[i], factHolder[i], r)
			}
			b = append(b, ". "...)
			res.Message = string(append(b, res.Message...))
		}
	case report.NotApplicable:
		res.Message = "The policy's conditions do not apply to this resource."
		if pr.Reason != "" {
			res.Message = pr.Reason
		}
	default:
		res.Message = pr.Reason
		if pr.Err != nil {
			res.Message = strings.TrimSpace(res.Message + " " + pr.Err.Error())
		}
	}
	if res.Message == "" {
		res.Message = string(res.Status)
	}
}

// compliantMessage returns a definition's Compliant message, made once per
// engine (a fleet's compliant results would otherwise build it anew).
func (e *Engine) compliantMessage(def *policy.Definition) string {
	if m, ok := e.compliant.Load(def); ok {
		return m.(string)
	}
	name := def.DisplayName
	if name == "" {
		name = def.Name
	}
	m, _ := e.compliant.LoadOrStore(def, "Compliant with '"+name+"'.")
	return m.(string)
}

func relatedName(r *arm.Resource) string {
	t := r.Type
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		t = t[i+1:]
	}
	return t + "/" + r.Name
}

// appendEvidenceFact appends describeEvidence(*e, holder, r) to b.
func appendEvidenceFact(b []byte, e *policy.Evidence, holder, r *arm.Resource) []byte {
	what := e.Path
	if what == "" {
		what = e.Field
	}
	if holder != r {
		t := holder.Type
		if i := strings.LastIndexByte(t, '/'); i >= 0 {
			t = t[i+1:]
		}
		b = append(append(append(append(b, t...), '/'), holder.Name...), ' ')
	}
	b = append(b, what...)
	if e.Missing {
		return append(b, " is not set"...)
	}
	b = append(b, " is "...)
	switch x := e.Value.(type) {
	case string:
		return strconv.AppendQuote(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case nil:
		return append(b, "null"...)
	}
	return append(b, render(e.Value)...)
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64) // as fmt.Sprint prints it
	case nil:
		return "null"
	case arm.Unknown:
		return "unknown (" + x.Reason + ")"
	default:
		return fmt.Sprint(x)
	}
}

// location points at the line of path in r's file, or at r itself; nil
// for resources not read from a file.
func location(r *arm.Resource, path string) *report.Location {
	if r == nil || r.Origin.File == "" {
		return nil
	}
	line := r.Origin.Line
	if path != "" {
		line = r.Line(path)
	}
	return &report.Location{File: r.Origin.File, StartLine: line, EndLine: line}
}

func (e *Engine) userPolicyResult(ev *policy.Evaluation, r *arm.Resource, set *arm.Set, pr *policy.Result) report.Result {
	def := ev.Definition
	res := report.Result{
		RuleID:             firstNonEmpty(ev.ReferenceID, def.Name),
		Title:              firstNonEmpty(def.DisplayName, def.Name),
		Severity:           report.Medium,
		PolicyDefinitionID: definitionID(def),
		ResourceID:         resourceID(r),
		ResourceType:       r.Type,
		ResourceName:       r.Name,
		ControlID:          ev.ControlID(),
	}
	if res.ControlID == "" {
		res.ControlID = "custom"
	}
	if c := e.Catalog.Control(res.ControlID); c != nil && len(c.Features) > 0 {
		res.ControlID = c.ID
		res.Feature = c.Features[0].Name
	}
	e.applyPolicyResult(&res, def, r, set, pr, nil)
	return res
}

func mergeEvidence(a, b map[string]any) map[string]any {
	if a == nil {
		a = map[string]any{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
