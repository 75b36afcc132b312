package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers/v5"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
)

// subscriptions returns the subscriptions in scope: those named, or every
// one the credential can list.
func (s *scanner) subscriptions(ctx context.Context) ([]*subScan, error) {
	newSub := func(id string) *subScan {
		return &subScan{id: id, in: &source.Input{Kind: source.KindAzure, Location: "/subscriptions/" + id}}
	}
	var out []*subScan
	if len(s.opt.Subscriptions) > 0 {
		seen := map[string]bool{}
		var wg sync.WaitGroup
		for _, id := range s.opt.Subscriptions {
			id = strings.TrimPrefix(strings.TrimSpace(id), "/subscriptions/")
			if id == "" || seen[strings.ToLower(id)] {
				continue
			}
			seen[strings.ToLower(id)] = true
			ss := newSub(id)
			out = append(out, ss)
			wg.Add(1)
			go func() {
				defer wg.Done()
				body, err := s.rawGet(ctx, "/subscriptions/"+url.PathEscape(id)+"?api-version="+subscriptionsAPI)
				if code, _ := statusOf(err); code == http.StatusForbidden || code == http.StatusUnauthorized {
					// Denied: Error results for everything it hides.
					ss.sub = map[string]any{"id": "/subscriptions/" + id, "type": SubscriptionType, "name": id, "subscriptionId": id}
					ss.denied = err
					return
				}
				if err != nil {
					ss.errorf("could not read the subscription: %s", describe(err))
					return
				}
				ss.sub = subscriptionObject(body)
			}()
		}
		wg.Wait()
		return out, ctx.Err()
	}
	list, err := s.rawList(ctx, "/subscriptions?api-version="+subscriptionsAPI)
	if err != nil {
		return nil, fmt.Errorf("azure: could not list the subscriptions the credential can see: %s", describe(err))
	}
	for _, body := range list {
		obj := subscriptionObject(body)
		if s.opt.Tenant != "" {
			if t, _ := obj["tenantId"].(string); t != "" && !strings.EqualFold(t, s.opt.Tenant) {
				continue
			}
		}
		ss := newSub(obj["name"].(string))
		ss.sub = obj
		out = append(out, ss)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("azure: the credential can see no subscription")
	}
	return out, nil
}

// subscriptionObject puts the subscriptions API's object in the ARM shape:
// id, type, name, subscriptionId, tenantId, and the rest under properties.
func subscriptionObject(body map[string]any) map[string]any {
	id, _ := body["subscriptionId"].(string)
	if id == "" {
		id = strings.TrimPrefix(idOf(body), "/subscriptions/")
	}
	obj := map[string]any{"id": "/subscriptions/" + id, "type": SubscriptionType, "name": id, "subscriptionId": id}
	props := map[string]any{}
	for k, v := range body {
		switch strings.ToLower(k) {
		case "id", "subscriptionid":
		case "tenantid":
			obj["tenantId"] = v
		default:
			props[k] = v
		}
	}
	obj["properties"] = props
	return obj
}

var resourceGroupName = regexp.MustCompile(`^[-\w._()]+$`)

// discover finds the servers of every readable subscription: one Resource
// Graph query across them, or ARM list calls when Resource Graph is
// unavailable.
func (s *scanner) discover(ctx context.Context, subs []*subScan) {
	byID := map[string]*subScan{}
	var ids []string
	for _, ss := range subs {
		if ss.sub != nil && ss.denied == nil {
			byID[strings.ToLower(ss.id)] = ss
			ids = append(ids, ss.id)
		}
	}
	if len(ids) == 0 {
		return
	}
	rows, err := s.resourceGraph(ctx, ids)
	if err == nil {
		for _, row := range rows {
			obj, err := serverObject(row)
			if err != nil {
				continue
			}
			parsed, _ := arm.ParseID(idOf(obj))
			if ss := byID[strings.ToLower(parsed.Subscription)]; ss != nil {
				ss.servers = append(ss.servers, obj)
			}
		}
		for _, ss := range byID {
			ss.listed = true
		}
		return
	}
	if ctx.Err() != nil {
		return
	}
	s.note("Azure Resource Graph is unavailable (%s); servers were listed with Resource Manager calls instead", describe(err))
	var wg sync.WaitGroup
	for _, ss := range byID {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.listServers(ctx, ss)
		}()
	}
	wg.Wait()
}

// resourceGraph runs the server query across ids, in batches of 1,000
// subscriptions (Resource Graph's limit), following $skipToken pages.
func (s *scanner) resourceGraph(ctx context.Context, ids []string) ([]map[string]any, error) {
	client, err := armresourcegraph.NewClient(s.cred, s.copts)
	if err != nil {
		return nil, err
	}
	q := "resources | where type =~ '" + strings.ToLower(flexserver.ServerType) + "'"
	if groups := s.groups(); len(groups) > 0 {
		q += " | where resourceGroup in~ ('" + strings.Join(groups, "', '") + "')"
	}
	q += " | project id, name, type, location, tags, sku, identity, properties, zones, systemData | order by id asc"
	var out []map[string]any
	for start := 0; start < len(ids); start += resourceGraphMaxSubs {
		end := min(start+resourceGraphMaxSubs, len(ids))
		var skip *string
		for pages := 0; pages < 100000; pages++ {
			req := armresourcegraph.QueryRequest{
				Query:         to.Ptr(q),
				Subscriptions: to.SliceOfPtrs(ids[start:end]...),
				Options: &armresourcegraph.QueryRequestOptions{ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray),
					Top: to.Ptr[int32](1000), SkipToken: skip},
			}
			resp, err := client.Resources(ctx, req, nil)
			if err != nil {
				return nil, err
			}
			rows, _ := resp.Data.([]any)
			for _, r := range rows {
				if m, ok := r.(map[string]any); ok {
					out = append(out, m)
				}
			}
			if resp.SkipToken == nil || *resp.SkipToken == "" {
				break
			}
			skip = resp.SkipToken
		}
	}
	return out, nil
}

func (s *scanner) groups() []string {
	var out []string
	for _, g := range s.opt.ResourceGroups {
		if g = strings.TrimSpace(g); resourceGroupName.MatchString(g) {
			out = append(out, g)
		}
	}
	return out
}

// listServers lists a subscription's servers with Resource Manager.
func (s *scanner) listServers(ctx context.Context, ss *subScan) {
	client, err := armpostgresqlflexibleservers.NewServersClient(ss.id, s.cred, s.copts)
	if err != nil {
		ss.errorf("%v", err)
		return
	}
	addAll := func(list []*armpostgresqlflexibleservers.Server) {
		for _, srv := range list {
			if obj, err := serverObject(srv); err == nil {
				ss.servers = append(ss.servers, obj)
			}
		}
	}
	groups := s.groups()
	if len(groups) == 0 {
		p := client.NewListBySubscriptionPager(nil)
		for p.More() {
			page, err := p.NextPage(ctx)
			if err != nil {
				ss.hidden(ss.sub, flexserver.ServerType, "the flexible servers of the subscription", err)
				return
			}
			addAll(page.Value)
		}
		ss.listed = true
		return
	}
	for _, g := range groups {
		p := client.NewListByResourceGroupPager(g, nil)
		for p.More() {
			page, err := p.NextPage(ctx)
			if isGone(err) {
				s.note("subscription %s has no resource group %s", ss.id, g)
				break
			}
			if err != nil {
				ss.hidden(ss.sub, flexserver.ServerType, "the flexible servers of resource group "+g, err)
				return
			}
			addAll(page.Value)
		}
	}
	ss.listed = true
}

// serverObject converts a server (SDK model or Resource Graph row) into
// the ARM JSON shape through the SDK model, so that both paths give the
// same object.
func serverObject(v any) (map[string]any, error) {
	srv, ok := v.(*armpostgresqlflexibleservers.Server)
	if !ok {
		data, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		srv = &armpostgresqlflexibleservers.Server{}
		if err := json.Unmarshal(data, srv); err != nil {
			return nil, err
		}
	}
	obj, err := toMap(srv)
	if err != nil {
		return nil, err
	}
	obj["type"] = flexserver.ServerType // Resource Graph lowercases types
	return obj, nil
}
