package azure

import (
	"context"
	"net/url"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armpolicy"
)

// readSubscription reads what the subscription-level rules and the policy
// engine need: the Defender plan for open-source relational databases,
// and the policy assignments and exemptions that apply to the
// subscription (from its management groups, itself, its resource groups
// and resources: the unfiltered subscription lists return all of them).
func (s *scanner) readSubscription(ctx context.Context, ss *subScan) {
	sub := ss.sub
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		body, err := s.rawGet(ctx, "/subscriptions/"+url.PathEscape(ss.id)+"/providers/Microsoft.Security/pricings/"+DefenderPlan+"?api-version="+pricingsAPI)
		switch {
		case err == nil:
			if _, ok := body["type"]; !ok {
				body["type"] = PricingType
			}
			ss.add(body)
		case isGone(err):
			// No plan object: the plan is off.
		default:
			ss.mu.Lock()
			ss.pricingErr = err
			ss.mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		client, err := armpolicy.NewAssignmentsClient(ss.id, s.cred, s.copts)
		if err != nil {
			ss.errorf("%v", err)
			return
		}
		objs, err := listAll(ctx, client.NewListPager(nil), func(r armpolicy.AssignmentsClientListResponse) []*armpolicy.Assignment { return r.Value })
		if err != nil {
			ss.mu.Lock()
			ss.assignmentsErr = err
			ss.mu.Unlock()
			return
		}
		for _, o := range objs {
			if _, ok := o["type"]; !ok {
				o["type"] = AssignmentType
			}
		}
		ss.add(objs...)
	}()
	go func() {
		defer wg.Done()
		objs, err := s.rawList(ctx, "/subscriptions/"+url.PathEscape(ss.id)+"/providers/Microsoft.Authorization/policyExemptions?api-version="+exemptionsAPI)
		if err != nil {
			ss.hidden(sub, ExemptionType, "the policy exemptions (results may miss an exemption)", err)
			return
		}
		for _, o := range objs {
			if _, ok := o["type"]; !ok {
				o["type"] = ExemptionType
			}
		}
		ss.add(objs...)
	}()
	wg.Wait()
}
