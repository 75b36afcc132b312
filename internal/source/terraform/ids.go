package terraform

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
)

// PlaceholderSubscription is the subscription id of the placeholder ARM ids
// that Terraform resources get: the subscription is not known from code.
const PlaceholderSubscription = "00000000-0000-0000-0000-000000000000"

// UnknownResourceGroup names the resource group of a placeholder id when
// the configuration's resource_group_name is not known before apply.
const UnknownResourceGroup = "unknown-resource-group"

// topLevel maps the azurerm resource types that live directly in a
// resource group to their ARM types.
var topLevel = map[string]string{
	"azurerm_postgresql_flexible_server": flexserver.ServerType,
	"azurerm_postgresql_server":          flexserver.SingleServerType,
	"azurerm_private_endpoint":           "Microsoft.Network/privateEndpoints",
	"azurerm_virtual_network":            "Microsoft.Network/virtualNetworks",
	"azurerm_network_security_group":     nsgType,
	"azurerm_key_vault":                  "Microsoft.KeyVault/vaults",
	"azurerm_user_assigned_identity":     "Microsoft.ManagedIdentity/userAssignedIdentities",
	"azurerm_log_analytics_workspace":    "Microsoft.OperationalInsights/workspaces",
	"azurerm_storage_account":            "Microsoft.Storage/storageAccounts",
	"azurerm_private_dns_zone":           "Microsoft.Network/privateDnsZones",
	"azurerm_eventhub_namespace":         "Microsoft.EventHub/namespaces",
	"azurerm_public_ip":                  "Microsoft.Network/publicIPAddresses",
}

const (
	nsgType        = "Microsoft.Network/networkSecurityGroups"
	nsgRuleType    = nsgType + "/securityRules"
	subnetType     = "Microsoft.Network/virtualNetworks/subnets"
	peType         = "Microsoft.Network/privateEndpoints"
	keyType        = "Microsoft.KeyVault/vaults/keys"
	vaultType      = "Microsoft.KeyVault/vaults"
	singleConfType = flexserver.SingleServerType + "/configurations"
	singleFwType   = flexserver.SingleServerType + "/firewallRules"
)

func rgID(b *blockValue) string {
	rg, ok := b.str("resource_group_name")
	if !ok || rg == "" {
		rg = UnknownResourceGroup
	}
	return "/subscriptions/" + PlaceholderSubscription + "/resourceGroups/" + rg
}

// nameOf returns the resource's name attribute, or a name made from its
// address when the name is not known before apply.
func nameOf(inst *instance, attr string) string {
	if n, ok := inst.str(attr); ok && n != "" {
		return n
	}
	return "unknown-" + sanitize(inst.address)
}

func sanitize(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s), "-")
}

// parentOf returns a known parent id from an attribute, or a placeholder
// parent of type parentType named after the instance.
func parentOf(inst *instance, attr, parentType string) (string, bool) {
	if id, ok := inst.str(attr); ok && id != "" {
		return id, true
	}
	return "/subscriptions/" + PlaceholderSubscription + "/resourceGroups/" + UnknownResourceGroup +
		"/providers/" + parentType + "/unknown-parent-of-" + sanitize(inst.address), false
}

// placeholderID returns the ARM id a resource instance gets: built from its
// name and resource group, or from its parent's id, so that references
// between resources resolve to the ids the ARM resources carry.
func placeholderID(inst *instance) string {
	if t, ok := topLevel[inst.typ]; ok {
		return rgID(inst.blockValue) + "/providers/" + t + "/" + nameOf(inst, "name")
	}
	switch inst.typ {
	case "azurerm_resource_group":
		return "/subscriptions/" + PlaceholderSubscription + "/resourceGroups/" + nameOf(inst, "name")
	case "azurerm_subnet":
		vnet, ok := inst.str("virtual_network_name")
		if !ok {
			vnet = "unknown-vnet"
		}
		return rgID(inst.blockValue) + "/providers/Microsoft.Network/virtualNetworks/" + vnet + "/subnets/" + nameOf(inst, "name")
	case "azurerm_network_security_rule":
		nsg, ok := inst.str("network_security_group_name")
		if !ok {
			nsg = "unknown-nsg"
		}
		return rgID(inst.blockValue) + "/providers/" + nsgType + "/" + nsg + "/securityRules/" + nameOf(inst, "name")
	case "azurerm_postgresql_flexible_server_configuration":
		p, _ := parentOf(inst, "server_id", flexserver.ServerType)
		return arm.ChildID(p, flexserver.ConfigurationType, nameOf(inst, "name"))
	case "azurerm_postgresql_flexible_server_firewall_rule":
		p, _ := parentOf(inst, "server_id", flexserver.ServerType)
		return arm.ChildID(p, flexserver.FirewallRuleType, nameOf(inst, "name"))
	case "azurerm_postgresql_flexible_server_database":
		p, _ := parentOf(inst, "server_id", flexserver.ServerType)
		return arm.ChildID(p, flexserver.DatabaseType, nameOf(inst, "name"))
	case "azurerm_postgresql_flexible_server_active_directory_administrator":
		return rgID(inst.blockValue) + "/providers/" + flexserver.ServerType + "/" + nameOf(inst, "server_name") +
			"/administrators/" + nameOf(inst, "object_id")
	case "azurerm_postgresql_configuration":
		return rgID(inst.blockValue) + "/providers/" + flexserver.SingleServerType + "/" + nameOf(inst, "server_name") + "/configurations/" + nameOf(inst, "name")
	case "azurerm_postgresql_firewall_rule":
		return rgID(inst.blockValue) + "/providers/" + flexserver.SingleServerType + "/" + nameOf(inst, "server_name") + "/firewallRules/" + nameOf(inst, "name")
	case "azurerm_monitor_diagnostic_setting":
		if t, ok := inst.str("target_resource_id"); ok && t != "" {
			return arm.ExtensionID(t, flexserver.DiagnosticSettingsType, nameOf(inst, "name"))
		}
	case "azurerm_key_vault_key":
		if v, ok := inst.str("key_vault_id"); ok && v != "" {
			return arm.ChildID(v, keyType, nameOf(inst, "name"))
		}
	case "azurerm_subnet_network_security_group_association":
		if s, ok := inst.str("subnet_id"); ok {
			return s
		}
	case "azapi_resource":
		return azapiID(inst)
	}
	return ""
}

func azapiID(inst *instance) string {
	full, ok := inst.str("type")
	if !ok {
		return ""
	}
	typ := strings.SplitN(full, "@", 2)[0]
	parent, ok := inst.str("parent_id")
	if !ok || parent == "" {
		return ""
	}
	name := nameOf(inst, "name")
	if strings.Count(typ, "/") == 1 {
		return strings.TrimRight(parent, "/") + "/providers/" + typ + "/" + name
	}
	return arm.ChildID(parent, typ, name)
}

// vaultURI returns the https://NAME.vault.azure.net/ URI of a key vault id.
func vaultURI(vaultID string) (string, bool) {
	p, ok := arm.ParseID(vaultID)
	if !ok || !strings.EqualFold(p.FullType(), vaultType) || len(p.Names) == 0 || p.Names[0] == "" {
		return "", false
	}
	return "https://" + p.Names[0] + ".vault.azure.net/", true
}

// computedAttrs returns the attributes Azure computes that pgbaseline can
// still tell before apply (ids, URIs, host names), and marks as unknown
// the ones it cannot.
func computedAttrs(inst *instance) map[string]cty.Value {
	out := map[string]cty.Value{}
	if inst.id != "" {
		out["id"] = cty.StringVal(inst.id)
	}
	switch inst.typ {
	case "azurerm_key_vault":
		if n, ok := inst.str("name"); ok {
			out["vault_uri"] = cty.StringVal("https://" + n + ".vault.azure.net/")
		}
	case "azurerm_key_vault_key":
		// The key's Terraform id is its versioned URL: the version is made
		// when the key is created.
		out["id"] = refinedString(refinement{prefix: "https://"}, fmt.Sprintf("%s.id holds the key version, created at apply", inst.address))
		if inst.id != "" {
			out["resource_id"] = cty.StringVal(inst.id)
			out["resource_versionless_id"] = cty.StringVal(inst.id)
		}
		if v, ok := inst.str("key_vault_id"); ok {
			if uri, ok := vaultURI(v); ok {
				if n, ok := inst.str("name"); ok {
					out["versionless_id"] = cty.StringVal(uri + "keys/" + n)
				}
			}
		}
	case "azurerm_postgresql_flexible_server":
		if n, ok := inst.str("name"); ok {
			out["fqdn"] = cty.StringVal(n + ".postgres.database.azure.com")
		}
	case "azurerm_postgresql_server":
		if n, ok := inst.str("name"); ok {
			out["fqdn"] = cty.StringVal(n + ".postgres.database.azure.com")
		}
	case "random_password", "random_string", "random_id", "random_uuid", "random_pet", "random_integer":
		r := unknown(fmt.Sprintf("%s is generated at apply", inst.address))
		for _, a := range []string{"result", "id", "hex", "b64_std", "b64_url", "dec", "bcrypt_hash"} {
			out[a] = r
		}
	}
	return out
}
