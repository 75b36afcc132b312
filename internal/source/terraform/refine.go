package terraform

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
)

// Refinements: what is certain about a value that is not known before
// apply. They come from Terraform's own value refinements (cty: a template
// "https://${x}" is a string starting with "https://"; length(x) is not
// negative) and from what azurerm certainly computes: only facts that hold
// for every deployment are recorded.

// refinement is what is certain about an unknown attribute.
type refinement struct {
	notNull bool
	prefix  string // a string starting with prefix (implies not null)
}

const armIDPrefix = "/subscriptions/"

// computedRefinements are the attributes that azurerm computes for a
// managed resource and that are certainly set: key and secret ids are Key
// Vault URLs, resource ids are ARM ids, identities have their ids.
var computedRefinements = map[string]map[string]refinement{
	"azurerm_key_vault_key": {
		"id": {prefix: "https://"}, "versionless_id": {prefix: "https://"},
		"resource_id": {prefix: armIDPrefix}, "resource_versionless_id": {prefix: armIDPrefix},
	},
	"azurerm_key_vault_secret": {
		"id": {prefix: "https://"}, "versionless_id": {prefix: "https://"},
		"resource_id": {prefix: armIDPrefix}, "resource_versionless_id": {prefix: armIDPrefix},
	},
	"azurerm_user_assigned_identity":  {"principal_id": {notNull: true}, "client_id": {notNull: true}, "tenant_id": {notNull: true}},
	"azurerm_log_analytics_workspace": {"workspace_id": {notNull: true}},
}

// dataRefinements are the same for data sources: a data source that reads
// nothing fails the plan, so what it reads is certainly set.
var dataRefinements = map[string]map[string]refinement{
	"azurerm_key_vault_key":    {"id": {prefix: "https://"}, "versionless_id": {prefix: "https://"}, "resource_id": {prefix: armIDPrefix}},
	"azurerm_key_vault_secret": {"id": {prefix: "https://"}, "versionless_id": {prefix: "https://"}, "resource_id": {prefix: armIDPrefix}},
	"azurerm_client_config":    {"tenant_id": {notNull: true}, "subscription_id": {notNull: true}, "client_id": {notNull: true}},
}

// dataARMTypes are data sources whose id is an ARM resource id.
var dataARMTypes = map[string]bool{
	"azurerm_resource_group": true, "azurerm_key_vault": true, "azurerm_subnet": true, "azurerm_virtual_network": true,
	"azurerm_postgresql_flexible_server": true, "azurerm_log_analytics_workspace": true, "azurerm_user_assigned_identity": true,
	"azurerm_private_dns_zone": true, "azurerm_storage_account": true, "azurerm_network_security_group": true,
	"azurerm_eventhub_namespace": true, "azurerm_eventhub_namespace_authorization_rule": true,
}

// refinedUnknown returns an unknown attribute value with what is certain
// about it, carrying reason. managed tells a resource from a data source.
func refinedUnknown(typ, attr string, managed bool, reason string) cty.Value {
	table := computedRefinements
	if !managed {
		table = dataRefinements
	}
	rf, ok := table[typ][attr]
	if !ok && attr == "id" {
		// Every resource and data source has an id once applied or read.
		rf, ok = refinement{notNull: true}, true
		if !managed && dataARMTypes[typ] {
			rf.prefix = armIDPrefix
		}
	}
	if !ok {
		return unknown(reason)
	}
	return refinedString(rf, reason)
}

// refinedString makes an unknown string with a refinement.
func refinedString(rf refinement, reason string) cty.Value {
	b := cty.UnknownVal(cty.String).Refine().NotNull()
	if rf.prefix != "" {
		b = b.StringPrefix(rf.prefix)
	}
	return b.NewValue().Mark(unknownMark{reason})
}

// armUnknown converts an unknown (unmarked) value to arm.Unknown with the
// refinements cty knows of it.
func armUnknown(v cty.Value, marks cty.ValueMarks) arm.Unknown {
	u := arm.Unknown{Reason: reasonOf(marks)}
	if v.IsKnown() {
		return u
	}
	rng := v.Range()
	u.NotNull = rng.DefinitelyNotNull()
	ty := v.Type()
	switch {
	case ty == cty.String:
		// A prefix of a string is certain up to its last whole character;
		// cty keeps only such prefixes.
		if p := rng.StringPrefix(); p != "" && strings.TrimSpace(p) != "" {
			u.Prefix = p
			u.NonEmpty = true
		}
	case ty.IsCollectionType():
		if rng.LengthLowerBound() > 0 {
			u.NonEmpty = true
		}
	}
	if u.NonEmpty {
		u.NotNull = true
	}
	return u
}
