package policy

import (
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// extensionNamespaces are providers whose resources extend another
// resource (/providers/<ns>/<type>/<name> under the resource's id).
var extensionNamespaces = []string{"microsoft.insights/", "microsoft.security/", "microsoft.authorization/",
	"microsoft.resources/links", "microsoft.guestconfiguration/", "microsoft.policyinsights/", "microsoft.alertsmanagement/"}

// subscriptionTypes are resource types that live at subscription scope
// (/subscriptions/{id}/providers/...): an existence check finds them in the
// evaluated resource's subscription, whatever its existenceScope, as they
// are neither in a resource group nor extensions of the evaluated resource.
var subscriptionTypes = map[string]bool{
	"microsoft.security/pricings":                      true,
	"microsoft.security/securitycontacts":              true,
	"microsoft.security/autoprovisioningsettings":      true,
	"microsoft.security/workspacesettings":             true,
	"microsoft.security/settings":                      true,
	"microsoft.resources/subscriptions/resourcegroups": true,
	"microsoft.insights/logprofiles":                   true,
}

func subscriptionScoped(typ string) bool { return subscriptionTypes[strings.ToLower(typ)] }

const noRelated = "No related resources match the effect details in the policy definition."

// existence runs the AuditIfNotExists/DeployIfNotExists check: find the
// related resources, keep those named, and look for one that satisfies
// the existence condition.
func (d *Definition) existence(c *evalCtx, effect string) *Result {
	det := d.details
	r := c.ifRes
	if det == nil || det.typ == "" {
		err := fmt.Errorf("%s needs details.type", effect)
		return &Result{State: Error, Reason: err.Error(), Err: err}
	}
	var detailMap map[string]any
	if !c.env.NoDetails {
		detailMap = map[string]any{"type": det.typ}
	}
	name := ""
	if det.name != nil {
		v, err := det.name.eval(c)
		if err != nil {
			return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err, Details: detailMap,
				Reason: "details.name could not be evaluated (" + err.Error() + "); Azure treats a failed evaluation as a deny."}
		}
		if isUnknown(v) {
			return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap,
				Reason: "The name of the related resource the policy requires is not known before deployment."}
		}
		name, _ = v.(string)
		if detailMap != nil {
			detailMap["name"] = name
		}
	}
	if det.existenceScope != "" {
		if detailMap != nil {
			detailMap["existenceScope"] = det.existenceScope
		}
	}
	var candidates []*arm.Resource
	// place and scopeID say where the check looks, for resources the
	// inputs may create unseen.
	place, scopeID := RelatedResourceGroup, ""
	if rel := c.env.Related; rel != nil {
		switch {
		case len(det.typ) > len(r.Type) && det.typ[len(r.Type)] == '/' && asciiHasPrefixFold(det.typ, r.Type):
			place, scopeID = RelatedChildren, r.ID
			candidates = rel.Children(r.ID, det.typ)
		case strings.EqualFold(det.existenceScope, "subscription") || subscriptionScoped(det.typ):
			id, _ := arm.ParseID(r.ID)
			place, scopeID = RelatedSubscription, "/subscriptions/"+id.Subscription
			candidates = rel.InSubscription(id.Subscription, det.typ)
		case det.extension:
			place, scopeID = RelatedExtensions, r.ID
			candidates = rel.Extensions(r.ID, det.typ)
		default:
			id, _ := arm.ParseID(r.ID)
			group := id.ResourceGroup
			if det.resourceGroupName != nil {
				v, err := det.resourceGroupName.eval(c)
				if err != nil {
					return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err, Details: detailMap,
						Reason: "details.resourceGroupName could not be evaluated (" + err.Error() + ")."}
				}
				if isUnknown(v) {
					return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap,
						Reason: "The resource group the related resources are looked for in is not known before deployment."}
				}
				group, _ = v.(string)
				if detailMap != nil {
					detailMap["resourceGroupName"] = group
				}
			}
			scopeID = "/subscriptions/" + id.Subscription + "/resourceGroups/" + group
			candidates = rel.InResourceGroup(id.Subscription, group, det.typ)
		}
	}
	if det.name != nil {
		candidates = filterByName(candidates, name)
	}
	if detailMap != nil {
		ids := make([]string, 0, len(candidates))
		var maybe []string
		for _, cand := range candidates {
			ids = append(ids, cand.ID)
			if cand.MaybeAbsent != "" {
				maybe = append(maybe, cand.ID)
			}
		}
		detailMap["related"] = ids
		if maybe != nil {
			detailMap["maybeAbsent"] = maybe
		}
	}
	// A candidate that may not exist (MaybeAbsent), or a default the model
	// implies (Synthesized) that the inputs may replace unseen, cannot make
	// the check Compliant: if it is the only one that satisfies the
	// condition, the state is Unknown.
	var doubts map[*arm.Resource]string // allocated only when a candidate is in doubt
	var replaced string                 // why a default may be replaced unseen, once asked
	asked := false
	for _, cand := range candidates {
		doubt := cand.MaybeAbsent
		if doubt == "" && cand.Synthesized != "" {
			if !asked {
				asked = true
				if u := unseenFor(c.env.Related, place, scopeID, det.typ); u != nil {
					replaced = "it is the default, and the inputs may set it where they were not read (" + strings.TrimSuffix(u.Reason, ".") + ")"
				}
			}
			doubt = replaced
		}
		if doubt != "" {
			if doubts == nil {
				doubts = map[*arm.Resource]string{}
			}
			doubts[cand] = doubt
		}
	}
	var maybeMatch *arm.Resource
	if det.existence == nil {
		for _, cand := range candidates {
			if doubts[cand] == "" {
				if detailMap != nil {
					detailMap["satisfiedBy"] = cand.ID
				}
				return &Result{Applicable: true, Effect: effect, State: Compliant, Details: detailMap,
					Reason: "A related resource of the type the policy requires exists."}
			}
			if maybeMatch == nil {
				maybeMatch = cand
			}
		}
		if maybeMatch != nil {
			return maybeAbsentResult(effect, detailMap, maybeMatch, doubts[maybeMatch], nil)
		}
		return d.noMatch(c, effect, detailMap, place, scopeID, nil, false)
	}
	var failed, maybeEv []Evidence
	unknown := false
	saved := c.ev
	// One candidate's evidence is copied into failed before the next is
	// evaluated, so the candidates share one array until one's evidence
	// is kept (maybeEv).
	var candEv []Evidence
	for _, cand := range candidates {
		c.res = cand
		c.ev = candEv[:0]
		c.record = true
		c.neg = false
		t, err := det.existence.eval(c)
		c.res = r
		if c.invalid != "" {
			w := fmt.Sprintf("The alias %q is not valid for the related resource type; the policy does not apply.", c.invalid)
			return &Result{State: NotApplicable, Reason: w, Details: map[string]any{"warnings": []string{w}}}
		}
		if err != nil {
			return &Result{Applicable: true, Effect: effect, State: NonCompliant, Err: err, Details: detailMap,
				Reason: "The existence condition could not be evaluated (" + err.Error() + "); Azure treats a failed evaluation as a deny."}
		}
		switch {
		case t == triTrue && doubts[cand] == "":
			if detailMap != nil {
				detailMap["satisfiedBy"] = cand.ID
			}
			got := c.ev
			c.ev = saved
			return &Result{Applicable: true, Effect: effect, State: Compliant, Details: detailMap,
				Reason: "A related resource satisfies the existence condition.", Evidence: contributing(got, true)}
		case t == triTrue:
			if maybeMatch == nil {
				maybeMatch = cand
				maybeEv = contributing(c.ev, true)
				c.ev = nil // kept
			}
		case t == triUnknown:
			unknown = true
			failed = append(failed, pick(c.ev, triUnknown)...)
		default:
			failed = append(failed, contributing(c.ev, false)...)
		}
		candEv = c.ev
	}
	c.ev = saved
	if maybeMatch != nil {
		return maybeAbsentResult(effect, detailMap, maybeMatch, doubts[maybeMatch], maybeEv)
	}
	if unknown {
		return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap, Evidence: failed,
			Reason: "The related resources' values are not known before deployment."}
	}
	return d.noMatch(c, effect, detailMap, place, scopeID, failed, len(candidates) > 0)
}

// maybeAbsentResult is the Unknown of an existence check that only a
// resource that may not exist satisfies.
func maybeAbsentResult(effect string, detailMap map[string]any, cand *arm.Resource, doubt string, ev []Evidence) *Result {
	if cand.MaybeAbsent == "" {
		return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap, Evidence: ev,
			Reason: fmt.Sprintf("Only the related resource %s satisfies the policy, and %s.", cand.ID, doubt)}
	}
	return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap, Evidence: ev,
		Reason: fmt.Sprintf("Only the related resource %s satisfies the policy, and it may not exist: %s.", cand.ID, strings.TrimSuffix(doubt, "."))}
}

// noMatch is the verdict of an existence check that no related resource
// among the inputs satisfies: NonCompliant, unless the inputs may create
// resources unseen (arm.Unresolved) where the check looks, which makes it
// Unknown.
func (d *Definition) noMatch(c *evalCtx, effect string, detailMap map[string]any, place RelatedScope, scopeID string, failed []Evidence, hadCandidates bool) *Result {
	r := c.ifRes
	if u := unseenFor(c.env.Related, place, scopeID, d.details.typ); u != nil {
		if detailMap != nil {
			detailMap["unresolved"] = u.Reason
		}
		return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap, Evidence: failed,
			Reason: fmt.Sprintf("No related resource among the inputs matches the effect details, but the inputs may create %s resources that were not read: %s.",
				d.details.typ, strings.TrimSuffix(u.Reason, "."))}
	}
	if !hadCandidates {
		return &Result{Applicable: true, Effect: effect, State: NonCompliant, Details: detailMap, Reason: noRelated,
			Evidence: []Evidence{{ResourceID: r.ID, Resource: r, Field: d.details.typ, Operator: "exists", Expected: true, Missing: true}}}
	}
	reason := noRelated
	if extra := reasonFromEvidence(failed, false); extra != "" {
		reason += " " + extra
	}
	return &Result{Applicable: true, Effect: effect, State: NonCompliant, Details: detailMap, Evidence: failed, Reason: reason}
}

// unseenWithin is implemented by a Related (*arm.Set) that can tell
// whether resources the inputs may create unseen could lie anywhere in a
// resource group or subscription, including under a resource in it.
type unseenWithin interface {
	UnresolvedWithin(scopeID, fullType string) *arm.Unresolved
}

// unseenFor returns the arm.Unresolved that could hold a related resource
// of typ where the check looks (place, at scopeID), or nil.
func unseenFor(rel Related, place RelatedScope, scopeID, typ string) *arm.Unresolved {
	us, ok := rel.(Unseen)
	if !ok {
		return nil
	}
	if place == RelatedResourceGroup || place == RelatedSubscription {
		if w, ok := rel.(unseenWithin); ok {
			return w.UnresolvedWithin(scopeID, typ)
		}
	}
	return us.UnresolvedFor(scopeID, typ)
}

func filterByName(cands []*arm.Resource, name string) []*arm.Resource {
	want := name
	nested := false
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		if name[i+1:] == "?" {
			return cands // parent/?: every nested resource
		}
		want, nested = name[i+1:], true
	}
	kept := cands[:0:0]
	for _, cand := range cands {
		if strings.EqualFold(cand.Name, want) && (!nested || strings.EqualFold(fullName(cand), name) || !strings.Contains(cand.Name, "/")) {
			kept = append(kept, cand)
		}
	}
	return kept
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// RelatedScope says where an AuditIfNotExists or DeployIfNotExists check
// looks for related resources (see Definition.Related).
type RelatedScope int

// The places a check looks in, as Env.Related is asked.
const (
	RelatedNone          RelatedScope = iota // the definition looks for no related resources
	RelatedChildren                          // children of the resource
	RelatedExtensions                        // extension resources of the resource
	RelatedResourceGroup                     // a resource group (the resource's, or details.resourceGroupName)
	RelatedSubscription                      // the resource's subscription
)

// Related reports which related resources the definition's existence
// check would look for when it evaluates a resource of type target: their
// type, and where it looks. It lets a caller that holds only part of the
// resources (one server at a time, say) tell whether a check could need
// the others.
func (d *Definition) Related(target string) (typ string, scope RelatedScope) {
	det := d.details
	if det == nil || det.typ == "" || det.operations != nil || det.appends != nil {
		return "", RelatedNone
	}
	switch {
	case len(det.typ) > len(target) && det.typ[len(target)] == '/' && asciiHasPrefixFold(det.typ, target):
		return det.typ, RelatedChildren
	case strings.EqualFold(det.existenceScope, "subscription") || subscriptionScoped(det.typ):
		return det.typ, RelatedSubscription
	case det.extension:
		return det.typ, RelatedExtensions
	}
	return det.typ, RelatedResourceGroup
}
