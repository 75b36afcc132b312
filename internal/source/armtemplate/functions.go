package armtemplate

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
)

var (
	libOnce sync.Once
	lib     expr.Library
)

// Functions returns the function library of deployment templates: the
// core library plus the deployment functions (parameters, variables,
// resourceId, resourceGroup, copyIndex, reference, list*, ...). The
// functions read their state from an expansion, so the library is of use
// only to this package and to tools that list function names. It must
// not be modified.
func Functions() expr.Library { return baseLibrary() }

func baseLibrary() expr.Library {
	libOnce.Do(func() {
		lib = expr.Core().Clone()
		lib.Add(deploymentFuncs...)
	})
	return lib
}

// host returns the scope of an evaluation.
func host(c *expr.Context) *scope {
	s, _ := c.Host.(*scope)
	return s
}

// tenantID is the tenant of the offline deployment context.
const tenantID = "00000000-0000-0000-0000-000000000000"

func unknown(reason string) arm.Unknown { return arm.Unknown{Reason: reason} }

var deploymentFuncs = []*expr.Func{
	{Name: "parameters", MinArgs: 1, MaxArgs: 1, Shares: true, Call: func(c *expr.Context, args []any) (any, error) {
		name, ok := args[0].(string)
		if !ok {
			return nil, expr.Errorf("parameters", "the parameter name must be a string, not %s", expr.TypeName(args[0]))
		}
		s := host(c)
		if s.fn != nil {
			for k, v := range s.fn {
				if strings.EqualFold(k, name) {
					return v, nil
				}
			}
			return nil, expr.Errorf("parameters", "the function has no parameter %q", name)
		}
		v, err := s.d.vals.param(name)
		if err == nil && s.used != nil {
			s.used[strings.ToLower(name)] = true
		}
		return v, err
	}},
	{Name: "variables", MinArgs: 1, MaxArgs: 1, Shares: true, Call: func(c *expr.Context, args []any) (any, error) {
		name, ok := args[0].(string)
		if !ok {
			return nil, expr.Errorf("variables", "the variable name must be a string, not %s", expr.TypeName(args[0]))
		}
		s := host(c)
		if s.fn != nil {
			return nil, expr.Errorf("variables", "a user-defined function cannot read variables")
		}
		vr, err := s.d.vals.variable(name)
		if err != nil {
			return nil, err
		}
		if s.used != nil {
			for k := range vr.uses {
				s.used[k] = true
			}
		}
		return vr.value, nil
	}},
	{Name: "copyIndex", MinArgs: 0, MaxArgs: 2, Call: copyIndex},
	{Name: "resourceId", MinArgs: 2, MaxArgs: -1, Call: func(c *expr.Context, args []any) (any, error) {
		d := host(c).d.ctx
		pre, typ, names, err := splitIDArgs("resourceId", args, 0, 2)
		if err != nil {
			return nil, err
		}
		switch len(pre) {
		case 0:
			return buildID(d.scopePrefix(), typ, names), nil
		case 1:
			return buildID(rgPrefix(d.sub, pre[0]), typ, names), nil
		default:
			return buildID(rgPrefix(pre[0], pre[1]), typ, names), nil
		}
	}},
	{Name: "subscriptionResourceId", MinArgs: 2, MaxArgs: -1, Call: func(c *expr.Context, args []any) (any, error) {
		d := host(c).d.ctx
		pre, typ, names, err := splitIDArgs("subscriptionResourceId", args, 0, 1)
		if err != nil {
			return nil, err
		}
		sub := d.sub
		if len(pre) == 1 {
			sub = pre[0]
		}
		return buildID("/subscriptions/"+sub, typ, names), nil
	}},
	{Name: "tenantResourceId", MinArgs: 2, MaxArgs: -1, Call: func(c *expr.Context, args []any) (any, error) {
		_, typ, names, err := splitIDArgs("tenantResourceId", args, 0, 0)
		if err != nil {
			return nil, err
		}
		return buildID("", typ, names), nil
	}},
	{Name: "managementGroupResourceId", MinArgs: 2, MaxArgs: -1, Call: func(c *expr.Context, args []any) (any, error) {
		d := host(c).d.ctx
		pre, typ, names, err := splitIDArgs("managementGroupResourceId", args, 0, 1)
		if err != nil {
			return nil, err
		}
		mg := d.mg
		if len(pre) == 1 {
			mg = pre[0]
		}
		return buildID(mgPrefix(mg), typ, names), nil
	}},
	{Name: "extensionResourceId", MinArgs: 3, MaxArgs: -1, Call: func(c *expr.Context, args []any) (any, error) {
		base, ok := args[0].(string)
		if !ok {
			return nil, expr.Errorf("extensionResourceId", "the first argument must be a resource id, not %s", expr.TypeName(args[0]))
		}
		_, typ, names, err := splitIDArgs("extensionResourceId", args, 1, 0)
		if err != nil {
			return nil, err
		}
		return buildID(strings.TrimRight(base, "/"), typ, names), nil
	}},
	{Name: "resourceGroup", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		d := host(c).d.ctx
		if d.kind != atResourceGroup {
			return nil, expr.Errorf("resourceGroup", "there is no resource group in a %s deployment", d.kind)
		}
		return map[string]any{
			"id":         rgPrefix(d.sub, d.rg),
			"name":       d.rg,
			"type":       "Microsoft.Resources/resourceGroups",
			"location":   d.loc,
			"tags":       map[string]any{},
			"properties": map[string]any{"provisioningState": "Succeeded"},
		}, nil
	}},
	{Name: "subscription", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		d := host(c).d.ctx
		if d.kind == atManagementGroup || d.kind == atTenant {
			return nil, expr.Errorf("subscription", "there is no subscription in a %s deployment", d.kind)
		}
		return map[string]any{
			"id":             "/subscriptions/" + d.sub,
			"subscriptionId": d.sub,
			"tenantId":       tenantID,
			"displayName":    "subscription",
		}, nil
	}},
	{Name: "deployment", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		return host(c).d.ctx.deploymentObject(), nil
	}},
	{Name: "environment", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		return azureCloud(), nil
	}},
	{Name: "managementGroup", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		d := host(c).d.ctx
		if d.kind != atManagementGroup {
			return nil, expr.Errorf("managementGroup", "there is no management group in a %s deployment", d.kind)
		}
		return map[string]any{
			"id":         mgPrefix(d.mg),
			"name":       d.mg,
			"type":       "Microsoft.Management/managementGroups",
			"properties": map[string]any{"tenantId": tenantID, "displayName": d.mg},
		}, nil
	}},
	{Name: "tenant", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		return map[string]any{"id": "/tenants/" + tenantID, "tenantId": tenantID, "countryCode": "US", "displayName": "tenant"}, nil
	}},
	{Name: "deployer", MinArgs: 0, MaxArgs: 0, Call: func(c *expr.Context, args []any) (any, error) {
		return map[string]any{"objectId": unknown("the deployer is known only at deployment"), "tenantId": tenantID}, nil
	}},
	{Name: "reference", MinArgs: 1, MaxArgs: 3, HandlesUnknown: true, Call: func(c *expr.Context, args []any) (any, error) {
		return unknown("reference() reads the deployed resource; it is known only after deployment"), nil
	}},
	{Name: "resourceInfo", MinArgs: 1, MaxArgs: 1, Call: func(c *expr.Context, args []any) (any, error) {
		name, ok := args[0].(string)
		if !ok {
			return nil, expr.Errorf("resourceInfo", "the argument must be a symbolic resource name")
		}
		return host(c).d.symbolInfo(name)
	}},
	{Name: "listKeys", MinArgs: 2, MaxArgs: 3, HandlesUnknown: true, Call: listFunc},
	{Name: "list*", MinArgs: 1, MaxArgs: 3, HandlesUnknown: true, Call: listFunc},
	{Name: "pickZones", MinArgs: 3, MaxArgs: 5, Call: pickZones},
	{Name: "fail", MinArgs: 1, MaxArgs: 1, HandlesUnknown: true, Call: func(c *expr.Context, args []any) (any, error) {
		// fail() stops the deployment with the template's message. It is
		// an error only where it is evaluated: a branch of if() that is
		// not taken never reaches it.
		msg, ok := args[0].(string)
		if !ok {
			msg = "(a message not known before deployment)"
			if !expr.IsUnknown(args[0]) {
				// Not printed: it could be a secure object.
				msg = "(a message that is " + expr.TypeName(args[0]) + ", not a string)"
			}
		}
		return nil, &failError{msg}
	}},
	{Name: "providers", MinArgs: 1, MaxArgs: 2, Call: func(c *expr.Context, args []any) (any, error) {
		return unknown("providers() reads the resource provider registry; it is not known offline"), nil
	}},
}

// failError is the error of fail(): the deployment fails with the
// template author's message.
type failError struct{ msg string }

func (e *failError) Error() string {
	return "the deployment fails with the template's message: " + e.msg
}

func listFunc(c *expr.Context, args []any) (any, error) {
	return unknown("list operations (listKeys, listSecrets, ...) read secrets of deployed resources; they are known only at deployment"), nil
}

func (k scopeKind) String() string {
	switch k {
	case atSubscription:
		return "subscription-level"
	case atManagementGroup:
		return "management-group-level"
	case atTenant:
		return "tenant-level"
	}
	return "resource-group-level"
}

// copyIndex implements copyIndex(), copyIndex(offset), copyIndex('loop')
// and copyIndex('loop', offset).
func copyIndex(c *expr.Context, args []any) (any, error) {
	s := host(c)
	name, offset := "", int64(0)
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if i != 0 {
				return nil, expr.Errorf("copyIndex", "the offset must be an integer, not a string")
			}
			name = v
		default:
			n, ok := expr.AsInt(a)
			if !ok || (i == 0 && len(args) == 2) {
				return nil, expr.Errorf("copyIndex", "takes an optional loop name and an optional integer offset")
			}
			offset = n
		}
	}
	if name == "" {
		if s.resLoop == "" {
			return nil, expr.Errorf("copyIndex", "copyIndex() without a loop name is used outside a resource copy loop")
		}
		name = s.resLoop
	}
	for i := len(s.loops) - 1; i >= 0; i-- {
		if strings.EqualFold(s.loops[i].name, name) {
			return s.loops[i].index + offset, nil
		}
	}
	return nil, expr.Errorf("copyIndex", "no copy loop named %q is in scope", name)
}

// pickZones returns zones 1-3 of a zonal region: numberOfZones of them
// (default 1) starting after offset (default 0). Offline every region is
// taken to have three zones.
func pickZones(c *expr.Context, args []any) (any, error) {
	for i := 0; i < 3; i++ {
		if _, ok := args[i].(string); !ok {
			return nil, expr.Errorf("pickZones", "the %s argument must be a string, not %s", []string{"first", "second", "third"}[i], expr.TypeName(args[i]))
		}
	}
	n, off := int64(1), int64(0)
	if len(args) > 3 {
		v, ok := expr.AsInt(args[3])
		if !ok || v < 0 {
			return nil, expr.Errorf("pickZones", "the number of zones must be a non-negative integer")
		}
		n = v
	}
	if len(args) > 4 {
		v, ok := expr.AsInt(args[4])
		if !ok || v < 0 {
			return nil, expr.Errorf("pickZones", "the offset must be a non-negative integer")
		}
		off = v
	}
	n = min(n, 3)
	out := make([]any, 0, n)
	for i := int64(0); i < n; i++ {
		out = append(out, strconv.FormatInt((off+i)%3+1, 10))
	}
	return out, nil
}

// splitIDArgs splits the arguments of a resource id function, from start
// on, into up to maxPre scope arguments, the resource type (the first
// argument with a '/') and the resource names, whose count must fit the
// type.
func splitIDArgs(fn string, args []any, start, maxPre int) (pre []string, typ string, names []string, err error) {
	strs := make([]string, len(args)-start)
	for i, a := range args[start:] {
		s, ok := a.(string)
		if !ok {
			return nil, "", nil, expr.Errorf(fn, "the arguments must be strings, not %s (argument %d)", expr.TypeName(a), start+i+1)
		}
		strs[i] = s
	}
	t := -1
	for i, s := range strs {
		if strings.Contains(s, "/") {
			t = i
			break
		}
	}
	if t < 0 {
		return nil, "", nil, expr.Errorf(fn, "no argument is a resource type such as Microsoft.DBforPostgreSQL/flexibleServers")
	}
	if t > maxPre {
		return nil, "", nil, expr.Errorf(fn, "the resource type %q must come after at most %d scope arguments", strs[t], maxPre)
	}
	typ = strings.Trim(strs[t], "/")
	for _, n := range strs[t+1:] {
		names = append(names, strings.Split(strings.Trim(n, "/"), "/")...)
	}
	need := strings.Count(typ, "/")
	if len(names) != need {
		return nil, "", nil, expr.Errorf(fn, "the type %q needs %d resource name segments, got %d", typ, need, len(names))
	}
	return strs[:t], typ, names, nil
}

// buildID returns prefix/providers/{namespace}/{type}/{name}/... for a
// full type and its name segments.
func buildID(prefix, typ string, names []string) string {
	segs := strings.Split(typ, "/")
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString("/providers/")
	b.WriteString(segs[0])
	for i, t := range segs[1:] {
		b.WriteByte('/')
		b.WriteString(t)
		b.WriteByte('/')
		if i < len(names) {
			b.WriteString(names[i])
		}
	}
	return b.String()
}

func rgPrefix(sub, rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func mgPrefix(mg string) string { return "/providers/Microsoft.Management/managementGroups/" + mg }

// scopePrefix is the id of the scope the deployment deploys into.
func (d *deployment) scopePrefix() string {
	switch d.kind {
	case atSubscription:
		return "/subscriptions/" + d.sub
	case atManagementGroup:
		return mgPrefix(d.mg)
	case atTenant:
		return ""
	}
	return rgPrefix(d.sub, d.rg)
}

// deploymentObject is the value of deployment().
func (d *deployment) deploymentObject() map[string]any {
	tmpl := map[string]any{"contentVersion": "1.0.0.0"}
	for _, k := range []string{"$schema", "contentVersion", "metadata", "languageVersion"} {
		if v, ok := d.tmpl[k]; ok {
			tmpl[k] = v
		}
	}
	props := map[string]any{
		"template":          tmpl,
		"parameters":        map[string]any{},
		"mode":              "Incremental",
		"provisioningState": "Accepted",
	}
	if abs, err := filepath.Abs(d.file); err == nil && d.base == "" {
		props["templateLink"] = map[string]any{"uri": "file://" + filepath.ToSlash(abs)}
	}
	out := map[string]any{"name": d.name, "properties": props}
	if d.nameUnknown != nil {
		out["name"] = *d.nameUnknown
	}
	if d.kind != atResourceGroup {
		out["location"] = d.loc
	}
	return out
}

// azureCloud is the value of environment() in the public Azure cloud.
func azureCloud() map[string]any {
	return map[string]any{
		"name":                     "AzureCloud",
		"gallery":                  "https://gallery.azure.com/",
		"graph":                    "https://graph.windows.net/",
		"portal":                   "https://portal.azure.com",
		"graphAudience":            "https://graph.windows.net/",
		"activeDirectoryDataLake":  "https://datalake.azure.net/",
		"batch":                    "https://batch.core.windows.net/",
		"media":                    "https://rest.media.azure.net",
		"sqlManagement":            "https://management.core.windows.net:8443/",
		"vmImageAliasDoc":          "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
		"resourceManager":          "https://management.azure.com/",
		"microsoftGraphResourceId": "https://graph.microsoft.com/",
		"authentication": map[string]any{
			"loginEndpoint":    "https://login.microsoftonline.com/",
			"audiences":        []any{"https://management.core.windows.net/", "https://management.azure.com/"},
			"tenant":           "common",
			"identityProvider": "AAD",
		},
		"suffixes": map[string]any{
			"acrLoginServer":                      ".azurecr.io",
			"azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
			"azureDatalakeStoreFileSystem":        "azuredatalakestore.net",
			"azureFrontDoorEndpointSuffix":        "azurefd.net",
			"keyvaultDns":                         ".vault.azure.net",
			"sqlServerHostname":                   ".database.windows.net",
			"storage":                             "core.windows.net",
		},
	}
}
