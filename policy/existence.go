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
	if rel := c.env.Related; rel != nil {
		switch {
		case len(det.typ) > len(r.Type) && det.typ[len(r.Type)] == '/' && asciiHasPrefixFold(det.typ, r.Type):
			candidates = rel.Children(r.ID, det.typ)
		case strings.EqualFold(det.existenceScope, "subscription"):
			id, _ := arm.ParseID(r.ID)
			candidates = rel.InSubscription(id.Subscription, det.typ)
		case det.extension:
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
				group, _ = v.(string)
				if detailMap != nil {
					detailMap["resourceGroupName"] = group
				}
			}
			candidates = rel.InResourceGroup(id.Subscription, group, det.typ)
		}
	}
	if det.name != nil {
		candidates = filterByName(candidates, name)
	}
	if detailMap != nil {
		ids := make([]string, 0, len(candidates))
		for _, cand := range candidates {
			ids = append(ids, cand.ID)
		}
		detailMap["related"] = ids
	}
	if len(candidates) == 0 {
		field := det.typ
		return &Result{Applicable: true, Effect: effect, State: NonCompliant, Details: detailMap, Reason: noRelated,
			Evidence: []Evidence{{ResourceID: r.ID, Resource: r, Field: field, Operator: "exists", Expected: true, Missing: true}}}
	}
	if det.existence == nil {
		if detailMap != nil {
			detailMap["satisfiedBy"] = candidates[0].ID
		}
		return &Result{Applicable: true, Effect: effect, State: Compliant, Details: detailMap,
			Reason: "A related resource of the type the policy requires exists."}
	}
	var failed []Evidence
	unknown := false
	saved := c.ev
	for _, cand := range candidates {
		c.res = cand
		c.ev = nil
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
		switch t {
		case triTrue:
			if detailMap != nil {
				detailMap["satisfiedBy"] = cand.ID
			}
			got := c.ev
			c.ev = saved
			return &Result{Applicable: true, Effect: effect, State: Compliant, Details: detailMap,
				Reason: "A related resource satisfies the existence condition.", Evidence: contributing(got, true)}
		case triUnknown:
			unknown = true
			failed = append(failed, pick(c.ev, triUnknown)...)
		default:
			failed = append(failed, contributing(c.ev, false)...)
		}
	}
	c.ev = saved
	if unknown {
		return &Result{Applicable: true, Effect: effect, State: Unknown, Details: detailMap, Evidence: failed,
			Reason: "The related resources' values are not known before deployment."}
	}
	reason := noRelated
	if extra := reasonFromEvidence(failed, false); extra != "" {
		reason += " " + extra
	}
	return &Result{Applicable: true, Effect: effect, State: NonCompliant, Details: detailMap, Evidence: failed, Reason: reason}
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
	case strings.EqualFold(det.existenceScope, "subscription"):
		return det.typ, RelatedSubscription
	case det.extension:
		return det.typ, RelatedExtensions
	}
	return det.typ, RelatedResourceGroup
}
