package policy

import (
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
)

var library = sync.OnceValue(func() expr.Library {
	// expr.Policy is the shared core with the policy engine's differences
	// (utcNow in the round-trip format with the injectable clock of
	// expr.Context.Now, addDays, case-insensitive contains/replace);
	// ipRangeContains is part of the core.
	lib := expr.Policy().Clone()
	lib.Add(
		&expr.Func{Name: "parameters", MinArgs: 1, MaxArgs: 1, Call: fnParameters},
		&expr.Func{Name: "field", MinArgs: 1, MaxArgs: 1, Call: fnField},
		&expr.Func{Name: "current", MinArgs: 0, MaxArgs: 1, Call: fnCurrent},
		&expr.Func{Name: "resourceGroup", MinArgs: 0, MaxArgs: 0, Call: fnResourceGroup},
		&expr.Func{Name: "subscription", MinArgs: 0, MaxArgs: 0, Call: fnSubscription},
		&expr.Func{Name: "requestContext", MinArgs: 0, MaxArgs: 0, Call: fnRequestContext},
		&expr.Func{Name: "policy", MinArgs: 0, MaxArgs: 0, Call: fnPolicy},
		&expr.Func{Name: "addDays", MinArgs: 2, MaxArgs: 2, Call: fnAddDays},
	)
	refinedFuncs(lib)
	return lib
})

// Library returns the policy rule function library: the ARM template core
// (expr.Policy) plus parameters, field, current, resourceGroup,
// subscription, requestContext and policy. The functions Azure disallows in
// rules are rejected by ParseDefinition, not removed from the library.
func Library() expr.Library { return library() }

func host(c *expr.Context) (*evalCtx, error) {
	ctx, ok := c.Host.(*evalCtx)
	if !ok {
		return nil, expr.Errorf("policy", "policy functions need a policy evaluation")
	}
	return ctx, nil
}

func fnParameters(c *expr.Context, a []any) (any, error) {
	name, ok := a[0].(string)
	if !ok {
		return nil, expr.Errorf("parameters", "the parameter name must be a string")
	}
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	v, ok := ctx.param(name)
	if !ok {
		return nil, expr.Errorf("parameters", "the definition has no parameter %q (or it has no value)", name)
	}
	return v, nil
}

func fnField(c *expr.Context, a []any) (any, error) {
	name, ok := a[0].(string)
	if !ok {
		return nil, expr.Errorf("field", "the field name must be a string")
	}
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	return ctx.fieldFunc(ctx.def.fieldRef(name)), nil
}

func fnCurrent(c *expr.Context, a []any) (any, error) {
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	if len(ctx.scopes) == 0 {
		return nil, expr.Errorf("current", "current() is only valid inside a count's where condition")
	}
	if len(a) == 0 {
		return ctx.scopes[len(ctx.scopes)-1].elem, nil
	}
	name, _ := a[0].(string)
	for i := len(ctx.scopes) - 1; i >= 0; i-- {
		s := &ctx.scopes[i]
		if s.isValue {
			if strings.EqualFold(s.name, name) {
				return s.elem, nil
			}
			continue
		}
		ref := ctx.def.fieldRef(name)
		if boundBy(ref, s) {
			t := ctx.resolve(ref)
			if t.wildRest() {
				return ctx.collect(t), nil
			}
			v, found, _ := getSteps(t.root, t.steps)
			if !found {
				return nil, nil
			}
			return v, nil
		}
	}
	return nil, expr.Errorf("current", "no count over %q is in scope", name)
}

// fnResourceGroup is resourceGroup(): the evaluated resource's resource
// group. When the group itself is among the resources (Env.Related holds
// it, as *arm.Set does), its id, name, type, location, managedBy, tags and
// properties are returned as given; otherwise the id and name come from the
// resource's id and the location and tags, which only the group knows, are
// unknown rather than guessed.
func fnResourceGroup(c *expr.Context, a []any) (any, error) {
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	id, _ := arm.ParseID(ctx.ifRes.ID)
	rgID := "/subscriptions/" + id.Subscription + "/resourceGroups/" + id.ResourceGroup
	out := map[string]any{"id": rgID, "name": id.ResourceGroup, "type": "Microsoft.Resources/resourceGroups",
		"properties": map[string]any{"provisioningState": "Succeeded"}}
	if byID, ok := ctx.env.Related.(interface{ ByID(string) *arm.Resource }); ok && id.ResourceGroup != "" {
		if rg := byID.ByID(rgID); rg != nil {
			for _, k := range []string{"id", "name", "type", "location", "managedBy", "tags", "properties"} {
				if v, ok := lookupKey(rg.Object, k); ok {
					out[k] = expr.Normalize(v)
				}
			}
			return out, nil
		}
	}
	why := arm.Unknown{Reason: "the resource group " + id.ResourceGroup + " is not among the inputs"}
	out["location"], out["tags"] = why, why
	return out, nil
}

func fnSubscription(c *expr.Context, a []any) (any, error) {
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	id, _ := arm.ParseID(ctx.ifRes.ID)
	return map[string]any{"subscriptionId": id.Subscription, "id": "/subscriptions/" + id.Subscription,
		"displayName": id.Subscription, "tenantId": ""}, nil
}

func fnRequestContext(c *expr.Context, a []any) (any, error) {
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"apiVersion": ctx.requestAPIVersion(), "identity": map[string]any{}}, nil
}

func fnPolicy(c *expr.Context, a []any) (any, error) {
	ctx, err := host(c)
	if err != nil {
		return nil, err
	}
	p := map[string]any{"definitionId": ctx.def.ID, "assignmentId": "", "setDefinitionId": "", "definitionReferenceId": ""}
	if ctx.opts != nil {
		p["assignmentId"] = ctx.opts.assignmentID
		p["setDefinitionId"] = ctx.opts.setDefinitionID
		p["definitionReferenceId"] = ctx.opts.referenceID
	}
	return p, nil
}

// dateOutput is the format of the dates policy functions compute (addDays):
// .NET's round-trip format with the fraction's trailing zeros dropped, so a
// whole second is written without a fraction (2026-02-02T00:00:00Z), as
// Azure prints them.
const dateOutput = "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ"

func fnAddDays(c *expr.Context, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, expr.Errorf("addDays", "the date must be a string, not %s", expr.TypeName(a[0]))
	}
	days, ok := expr.AsInt(a[1])
	if !ok {
		return nil, expr.Errorf("addDays", "the number of days must be an integer, not %s", expr.TypeName(a[1]))
	}
	t, err := expr.ParseTime(s)
	if err != nil {
		return nil, expr.Errorf("addDays", "%v", err)
	}
	if days > 3650000 || days < -3650000 {
		return nil, expr.Errorf("addDays", "overflow adding %d days to %s", days, s)
	}
	return expr.FormatTime(t.UTC().AddDate(0, 0, int(days)), dateOutput)
}
