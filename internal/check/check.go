// Package check holds pgbaseline's control-plane rules that the Azure Policy
// language cannot express, written in Go. Each check is a small function of
// a resource and the resource set it belongs to; the baseline catalog holds
// its metadata (title, control, severity, remediation) under the same id.
package check

import (
	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/verdict"
)

// Outcome is a check's verdict on one resource: the vocabulary's Outcome,
// whose Related is the resource that decided the verdict when it is not the
// checked one (a network security group, say), nil otherwise.
type Outcome = verdict.Outcome[*arm.Resource]

// Params are a rule's parameter values.
type Params map[string]any

// Int returns parameter name as an int, or def.
func (p Params) Int(name string, def int) int {
	switch v := p[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return def
}

// Ints returns parameter name as a list of ints, or def.
func (p Params) Ints(name string, def []int) []int {
	list, ok := p[name].([]any)
	if !ok {
		return def
	}
	out := make([]int, 0, len(list))
	for _, v := range list {
		out = append(out, Params{"v": v}.Int("v", 0))
	}
	return out
}

// Scope is what a check may see of the resource model: resources by id
// (r's ancestors, and resources not under a flexible server's id, such as
// networks, private endpoints and policy objects), and the children and
// extension resources of a resource. It cannot enumerate resources by type,
// resource group or subscription: a fleet scan holds only one server's
// resources at a time (see package scan), and the type keeps every check
// to what that allows. *arm.Set and a layer (arm.NewLayer) implement it.
type Scope interface {
	ByID(id string) *arm.Resource
	Children(parentID, childType string) []*arm.Resource
	Extensions(scopeID, fullType string) []*arm.Resource
	// UnresolvedFor returns what the inputs may create unseen that could
	// be a resource of fullType related to scopeID (see arm.Unresolved).
	UnresolvedFor(scopeID, fullType string) *arm.Unresolved
}

// Func is a check: its verdict on r, looking only at what scope shows.
type Func func(r *arm.Resource, set Scope, p Params) Outcome

// Registry maps rule ids to their checks.
var Registry = map[string]Func{
	"PGB-NS1-02": SubnetNSG,
	"PGB-NS2-01": FirewallOpenToInternet,
}
