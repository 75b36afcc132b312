package scan

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/policy"
	"github.com/pgbaseline/pgbaseline/policy/builtin"
	"github.com/pgbaseline/pgbaseline/report"
)

// Policy object types that decide how the built-in rules are evaluated
// when they appear among the scanned resources (live Azure reads them, and
// an export may hold them).
var policyTypes = []string{
	"Microsoft.Authorization/policyDefinitions",
	"Microsoft.Authorization/policySetDefinitions",
	"Microsoft.Authorization/policyAssignments",
	"Microsoft.Authorization/policyExemptions",
}

// UsePolicies adds users' policy definitions, initiatives, assignments and
// exemptions (read with policy.LoadFiles). Assignments of a built-in
// definition that a catalog rule evaluates, directly or through an
// initiative, decide that rule's parameters and effect, and their
// exemptions make its results Exempt, as Azure Policy and Defender for
// Cloud do. Everything else the collection holds is evaluated as well and
// reported under its own definition. The error lists what could not be
// resolved (an assignment of a definition that is not loaded or built in,
// say); the rest is used.
func (e *Engine) UsePolicies(c *policy.Collection) error {
	evals, err := c.Evaluations(builtin.ByName)
	e.policies = c
	for _, ev := range evals {
		if ev.Assignment != nil && e.isCatalogDefinition(ev.Definition) {
			continue // folded into the catalog rule: see evalAssigned
		}
		e.extra = append(e.extra, ev)
		if e.extraSettings == nil {
			e.extraSettings = map[*policy.Evaluation]*ruleSettings{}
		}
		e.extraSettings[ev] = e.settings(firstNonEmpty(ev.ReferenceID, ev.Definition.Name))
	}
	return err
}

func (e *Engine) isCatalogDefinition(d *policy.Definition) bool {
	for _, cr := range e.rules {
		if cr.def == d {
			return true
		}
	}
	return false
}

// assignedPolicies is what the assignments in force say about the catalog's
// built-in rules in one scan.
type assignedPolicies struct {
	// byDef lists, for each catalog definition, the evaluations of the
	// assignments that assign it.
	byDef map[*policy.Definition][]*policy.Evaluation
	// opaque are assignments of initiatives that are not loaded (such as
	// the Microsoft cloud security benchmark initiative, when only its
	// assignment was read). Their members are unknown, but their
	// exemptions that name no member still exempt the resources they
	// cover from every built-in rule.
	opaque []*policy.Assignment
	coll   *policy.Collection
}

// assignedEvaluations gathers the assignments in force for a scan: the
// users' files (UsePolicies) and the policy objects among the resources.
// It returns nil when there are none.
func (e *Engine) assignedEvaluations(set *arm.Set) *assignedPolicies {
	coll := &policy.Collection{}
	if p := e.policies; p != nil {
		coll.Definitions = append(coll.Definitions, p.Definitions...)
		coll.Initiatives = append(coll.Initiatives, p.Initiatives...)
		coll.Assignments = append(coll.Assignments, p.Assignments...)
		coll.Exemptions = append(coll.Exemptions, p.Exemptions...)
	}
	for _, t := range policyTypes {
		for _, r := range set.OfType(t) {
			_ = coll.AddObject(r.Object, r.ID) // an unreadable object decides nothing
		}
	}
	if len(coll.Assignments) == 0 {
		return nil
	}
	ap := &assignedPolicies{byDef: map[*policy.Definition][]*policy.Evaluation{}, coll: coll}
	// Errors concern assignments that cannot be resolved; those that can
	// are still returned. Evaluations without an assignment are the users'
	// own definitions, which UsePolicies handles.
	evals, _ := coll.Evaluations(builtin.ByName)
	for _, ev := range evals {
		if ev.Assignment != nil && e.isCatalogDefinition(ev.Definition) {
			ap.byDef[ev.Definition] = append(ap.byDef[ev.Definition], ev)
		}
	}
	for _, a := range coll.Assignments {
		if strings.Contains(strings.ToLower(a.PolicyDefinitionID), "/policysetdefinitions/") && !initiativeLoaded(coll, a.PolicyDefinitionID) {
			ap.opaque = append(ap.opaque, a)
		}
	}
	return ap
}

func initiativeLoaded(c *policy.Collection, id string) bool {
	last := id[strings.LastIndexByte(id, '/')+1:]
	for _, in := range c.Initiatives {
		if strings.EqualFold(in.ID, id) || strings.EqualFold(in.Name, last) {
			return true
		}
	}
	return false
}

// statusRank orders statuses from the one that wins when several
// assignments judge the same resource: the worst verdict.
var statusRank = map[report.Status]int{
	report.NonCompliant: 6, report.Error: 5, report.Unknown: 4,
	report.Compliant: 3, report.Exempt: 2, report.NotApplicable: 1,
}

// evalAssigned evaluates a built-in rule through the assignments that
// assign its definition and cover r, keeping the worst verdict. It returns
// false when none covers r; the catalog's own parameters then apply.
func (e *Engine) evalAssigned(ap *assignedPolicies, cr *compiledRule, r *arm.Resource, set *arm.Set, env *policy.Env, res *report.Result) bool {
	if ap == nil {
		return false
	}
	var best *policy.Result
	var bestEv *policy.Evaluation
	for _, ev := range ap.byDef[cr.def] {
		if !ev.Covers(r) {
			continue
		}
		pr := ev.Evaluate(r, env)
		if best == nil || statusRank[report.Status(pr.State)] > statusRank[report.Status(best.State)] {
			best, bestEv = pr, ev
		}
	}
	if best == nil {
		return false
	}
	e.applyPolicyResult(res, cr.def, r, set, best, nil)
	a := bestEv.Assignment
	res.Evidence = mergeEvidence(res.Evidence, map[string]any{"policyAssignment": a.ID})
	if bestEv.ReferenceID != "" {
		res.Evidence["policyDefinitionReferenceId"] = bestEv.ReferenceID
	}
	if ex, ok := best.Details["exemption"].(map[string]any); ok {
		res.Evidence["policyExemption"] = ex["id"]
	}
	label := firstNonEmpty(a.DisplayName, a.Name, a.ID)
	switch {
	case res.Status == report.NotApplicable && best.Effect == "" && strings.Contains(best.Reason, "Disabled"):
		res.Effect = "Disabled"
		res.Message = fmt.Sprintf("The assignment %q sets this policy's effect to Disabled.", label)
	case res.Status != report.Exempt:
		res.Message = strings.TrimSpace(res.Message + " (assignment " + label + ")")
	}
	return true
}

// opaqueExemption returns an exemption in force for r through an
// assignment of an initiative that is not loaded, or nil.
func (ap *assignedPolicies) opaqueExemption(r *arm.Resource, now time.Time) *policy.Exemption {
	if ap == nil {
		return nil
	}
	for _, a := range ap.opaque {
		if !(&policy.Evaluation{Assignment: a}).Covers(r) {
			continue
		}
		if ex := ap.coll.ExemptionFor(a.ID, "", r, now); ex != nil && len(ex.PolicyDefinitionReferenceIDs) == 0 {
			return ex
		}
	}
	return nil
}
