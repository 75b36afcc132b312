package azure

import (
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/check"
	"github.com/pgbaseline/pgbaseline/policy/builtin"
	"github.com/pgbaseline/pgbaseline/report"
)

// MCSBInitiative is the Microsoft cloud security benchmark initiative's
// policy set definition name.
const MCSBInitiative = "1f3afdf9-d0c9-4c3d-847f-89da613e70a8"

// Rule ids of the subscription rules. The live source reports one finding
// per subscription under each (catalog kind "source", inputs [azure]).
const (
	AssignmentRuleID = "PGB-AM2-02"
	DefenderRuleID   = "PGB-LT1-02"
)

// SubscriptionCheck is a subscription rule of the live source: unlike a
// catalog check (check.Func), it sees the whole subscription's resources.
type SubscriptionCheck func(r *arm.Resource, set *arm.Set, p check.Params) check.Outcome

// PolicyAssignmentCheck (AM-2) judges a subscription
// (Microsoft.Resources/subscriptions): Compliant when an assignment that
// applies to the whole subscription (at its scope or a management group's)
// assigns the MCSB initiative (or another initiative named in the
// "initiatives" parameter) or one of the PostgreSQL built-in definitions
// of the baseline; NonCompliant otherwise.
func PolicyAssignmentCheck(r *arm.Resource, set *arm.Set, p check.Params) check.Outcome {
	initiatives := []string{MCSBInitiative}
	if list, ok := p["initiatives"].([]any); ok {
		initiatives = initiatives[:0]
		for _, v := range list {
			if s, ok := v.(string); ok {
				initiatives = append(initiatives, s)
			}
		}
	}
	sub := strings.ToLower(r.ID)
	var considered []string
	for _, a := range set.OfType(AssignmentType) {
		scope := strings.ToLower(a.GetString("properties.scope"))
		if scope == "" {
			scope = strings.ToLower(arm.ScopeID(a.ID))
		}
		wholeSub := scope == sub || strings.HasPrefix(scope, "/providers/microsoft.management/managementgroups/")
		if !wholeSub {
			continue
		}
		for _, ns := range notScopes(a) {
			if strings.EqualFold(strings.TrimSuffix(ns, "/"), r.ID) {
				wholeSub = false
			}
		}
		if !wholeSub {
			continue
		}
		def := a.GetString("properties.policyDefinitionId")
		guid := def[strings.LastIndexByte(def, '/')+1:]
		lower := strings.ToLower(def)
		considered = append(considered, a.Name)
		switch {
		case strings.Contains(lower, "/policysetdefinitions/") && containsFold(initiatives, guid):
			return check.Outcome{Status: report.Compliant, Related: a, Path: "properties.policyDefinitionId",
				Evidence: map[string]any{"assignment": a.ID, "policyDefinitionId": def},
				Message:  fmt.Sprintf("Policy assignment %s assigns the initiative %s to the subscription.", a.Name, guid)}
		case strings.Contains(lower, "/policydefinitions/") && builtin.ByName(guid) != nil:
			return check.Outcome{Status: report.Compliant, Related: a, Path: "properties.policyDefinitionId",
				Evidence: map[string]any{"assignment": a.ID, "policyDefinitionId": def},
				Message:  fmt.Sprintf("Policy assignment %s assigns the PostgreSQL built-in definition %s to the subscription.", a.Name, guid)}
		}
	}
	return check.Outcome{Status: report.NonCompliant, Evidence: map[string]any{"assignmentsConsidered": len(considered)},
		Message: fmt.Sprintf("No policy assignment on the subscription or its management groups assigns the Microsoft cloud security benchmark (%s) or a PostgreSQL flexible server built-in definition (%d assignment(s) considered).", MCSBInitiative, len(considered))}
}

func notScopes(a *arm.Resource) []string {
	v, _ := a.Get("properties.notScopes")
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// DefenderPlanCheck (LT-1) judges a subscription: Compliant when its
// Defender for Cloud plan OpenSourceRelationalDatabases has pricingTier
// Standard, NonCompliant when Free or when the subscription has no such
// plan object.
func DefenderPlanCheck(r *arm.Resource, set *arm.Set, _ check.Params) check.Outcome {
	id := arm.ExtensionID(r.ID, PricingType, DefenderPlan)
	plan := set.ByID(id)
	if plan == nil {
		return check.Outcome{Status: report.NonCompliant, Evidence: map[string]any{"pricing": id, "pricingTier": nil},
			Message: "The subscription has no Defender for Cloud plan " + DefenderPlan + ": Microsoft Defender for open-source relational databases is off."}
	}
	tier := plan.GetString("properties.pricingTier")
	ev := map[string]any{"pricingTier": tier}
	if strings.EqualFold(tier, "Standard") {
		return check.Outcome{Status: report.Compliant, Related: plan, Path: "properties.pricingTier", Evidence: ev,
			Message: "Microsoft Defender for open-source relational databases is on (pricingTier Standard)."}
	}
	return check.Outcome{Status: report.NonCompliant, Related: plan, Path: "properties.pricingTier", Evidence: ev,
		Message: fmt.Sprintf("Microsoft Defender for open-source relational databases is off (pricingTier %s).", tier)}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
