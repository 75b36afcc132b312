package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// mapper turns evaluated resource instances into ARM resources.
type mapper struct {
	idx     *jsonpos.Index
	azurerm int // provider major version (3 or 4)
	out     []*arm.Resource
	byID    map[string]*arm.Resource
	assocs  []*instance
	// byInst lists the ARM resources made from each instance.
	byInst map[*instance][]*arm.Resource
}

func newMapper(idx *jsonpos.Index, azurerm int) *mapper {
	if azurerm == 0 {
		azurerm = LatestAzurermMajor
	}
	return &mapper{idx: idx, azurerm: azurerm, byID: map[string]*arm.Resource{}, byInst: map[*instance][]*arm.Resource{}}
}

// start makes the ARM envelope of an instance: id, name, type, location and
// tags.
func (mp *mapper) start(inst *instance, b *blockValue, armType, id, name string) *objBuilder {
	o := newObj(mp.idx, b.line)
	o.set("id", id, b.line)
	if _, line, ok := b.get("name"); ok {
		o.set("name", name, line)
	} else {
		o.set("name", name, b.line)
	}
	o.set("type", armType, b.line)
	o.attr("location", b, "location", toAny)
	o.attr("tags", b, "tags", toAny)
	return o
}

func (mp *mapper) emit(inst *instance, o *objBuilder, line int) *arm.Resource {
	r := arm.New(o.m, arm.Origin{File: inst.file, Line: line}).WithPositions(mp.idx)
	r.Address = inst.address
	r.Suppressions = inst.decl.suppressions
	r.MaybeAbsent = inst.maybeAbsent
	mp.out = append(mp.out, r)
	if r.ID != "" {
		mp.byID[arm.Normalize(r.ID)] = r
	}
	mp.byInst[inst] = append(mp.byInst[inst], r)
	return r
}

// mapInstance maps one instance, when its type is one pgbaseline reads.
func (mp *mapper) mapInstance(inst *instance) {
	switch inst.typ {
	case "azurerm_postgresql_flexible_server":
		mp.flexServer(inst)
	case "azurerm_postgresql_flexible_server_configuration":
		o := mp.start(inst, inst.blockValue, flexserver.ConfigurationType, inst.id, nameOf(inst, "name"))
		p := o.sub(mp.idx, "properties", inst.line)
		p.attr("value", inst.blockValue, "value", stringOf)
		p.set("source", "user-override", inst.line)
		mp.emit(inst, o, inst.line)
	case "azurerm_postgresql_flexible_server_firewall_rule", "azurerm_postgresql_firewall_rule":
		t := flexserver.FirewallRuleType
		if inst.typ == "azurerm_postgresql_firewall_rule" {
			t = singleFwType
		}
		o := mp.start(inst, inst.blockValue, t, inst.id, nameOf(inst, "name"))
		p := o.sub(mp.idx, "properties", inst.line)
		p.attr("startIpAddress", inst.blockValue, "start_ip_address", toAny)
		p.attr("endIpAddress", inst.blockValue, "end_ip_address", toAny)
		mp.emit(inst, o, inst.line)
	case "azurerm_postgresql_flexible_server_database":
		o := mp.start(inst, inst.blockValue, flexserver.DatabaseType, inst.id, nameOf(inst, "name"))
		p := o.sub(mp.idx, "properties", inst.line)
		p.attr("charset", inst.blockValue, "charset", toAny)
		p.attr("collation", inst.blockValue, "collation", toAny)
		mp.emit(inst, o, inst.line)
	case "azurerm_postgresql_flexible_server_active_directory_administrator":
		o := mp.start(inst, inst.blockValue, flexserver.AdministratorType, inst.id, nameOf(inst, "object_id"))
		p := o.sub(mp.idx, "properties", inst.line)
		p.attr("principalType", inst.blockValue, "principal_type", toAny)
		p.attr("principalName", inst.blockValue, "principal_name", toAny)
		p.attr("objectId", inst.blockValue, "object_id", toAny)
		p.attr("tenantId", inst.blockValue, "tenant_id", toAny)
		mp.emit(inst, o, inst.line)
	case "azurerm_postgresql_configuration":
		o := mp.start(inst, inst.blockValue, singleConfType, inst.id, nameOf(inst, "name"))
		p := o.sub(mp.idx, "properties", inst.line)
		p.attr("value", inst.blockValue, "value", stringOf)
		mp.emit(inst, o, inst.line)
	case "azurerm_postgresql_server":
		mp.singleServer(inst)
	case "azurerm_private_endpoint":
		mp.privateEndpoint(inst)
	case "azurerm_subnet":
		mp.subnet(inst, inst.blockValue, inst.id)
	case "azurerm_virtual_network":
		mp.vnet(inst)
	case "azurerm_network_security_group":
		o := mp.start(inst, inst.blockValue, nsgType, inst.id, nameOf(inst, "name"))
		p := o.sub(mp.idx, "properties", inst.line)
		rules := []any{}
		for _, rb := range inst.blocks["security_rule"] {
			rules = append(rules, mp.securityRule(rb, "").m)
		}
		p.set("securityRules", rules, inst.line)
		mp.emit(inst, o, inst.line)
	case "azurerm_network_security_rule":
		rule := mp.securityRule(inst.blockValue, inst.id)
		rule.set("type", nsgRuleType, inst.line)
		mp.emit(inst, rule, inst.line)
	case "azurerm_subnet_network_security_group_association":
		mp.assocs = append(mp.assocs, inst)
	case "azurerm_monitor_diagnostic_setting":
		mp.diagnosticSetting(inst)
	case "azurerm_key_vault_key":
		mp.keyVaultKey(inst)
	case "azurerm_key_vault":
		o := mp.start(inst, inst.blockValue, vaultType, inst.id, nameOf(inst, "name"))
		p := o.sub(mp.idx, "properties", inst.line)
		enabledBool(p, "enablePurgeProtection", inst.blockValue, "purge_protection_enabled", false, inst.line)
		if !p.attr("softDeleteRetentionInDays", inst.blockValue, "soft_delete_retention_days", toAny) {
			p.set("softDeleteRetentionInDays", 90.0, inst.line)
		}
		p.attr("enableRbacAuthorization", inst.blockValue, "enable_rbac_authorization", toAny)
		p.attr("enableRbacAuthorization", inst.blockValue, "rbac_authorization_enabled", toAny)
		enabledDefault(p, "publicNetworkAccess", inst.blockValue, "public_network_access_enabled", true, inst.line)
		p.attr("tenantId", inst.blockValue, "tenant_id", toAny)
		mp.emit(inst, o, inst.line)
	case "azapi_resource":
		mp.azapi(inst)
	}
}

// finish applies what one resource says about another: a subnet's network
// security group association.
func (mp *mapper) finish() {
	for _, a := range mp.assocs {
		subnetID, ok := a.str("subnet_id")
		if !ok {
			continue
		}
		subnet := mp.byID[arm.Normalize(subnetID)]
		if subnet == nil {
			continue
		}
		props, _ := subnet.Object["properties"].(map[string]any)
		if props == nil {
			continue
		}
		pos := mp.idx.Lookup(props)
		v, line, _ := a.get("network_security_group_id")
		if subnet.Origin.File != a.file {
			line = subnet.Origin.Line
		}
		nsg := newObj(mp.idx, line)
		nsg.set("id", toAny(v), line)
		props["networkSecurityGroup"] = nsg.m
		if pos != nil {
			pos.Keys["networkSecurityGroup"] = line
		}
	}
}

func enabledBool(o *objBuilder, key string, b *blockValue, name string, def bool, line int) {
	if !o.attr(key, b, name, toAny) {
		o.set(key, def, line)
	}
}

var skuTiers = map[string]string{"B": "Burstable", "GP": "GeneralPurpose", "MO": "MemoryOptimized"}

func (mp *mapper) sku(o *objBuilder, b *blockValue) {
	v, line, ok := b.get("sku_name")
	if !ok {
		return
	}
	s := o.sub(mp.idx, "sku", line)
	u, _ := v.UnmarkDeep()
	if !u.IsKnown() || u.Type() != cty.String {
		s.set("name", toAny(v), line)
		return
	}
	name := u.AsString()
	if i := strings.IndexByte(name, '_'); i > 0 {
		if tier, ok := skuTiers[name[:i]]; ok {
			s.set("name", name[i+1:], line)
			s.set("tier", tier, line)
			return
		}
	}
	s.set("name", name, line)
}

func (mp *mapper) identity(o *objBuilder, b *blockValue) {
	ib := b.block("identity")
	if ib == nil {
		return
	}
	id := o.sub(mp.idx, "identity", ib.line)
	id.attr("type", ib, "type", toAny)
	if v, line, ok := ib.get("identity_ids"); ok {
		u, marks := v.UnmarkDeep()
		if !u.IsKnown() || !u.CanIterateElements() {
			id.set("userAssignedIdentities", arm.Unknown{Reason: reasonOf(marks)}, line)
			return
		}
		uai := newObj(mp.idx, line)
		for it := u.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if s, ok := toAny(e).(string); ok {
				uai.set(s, map[string]any{}, line)
			}
		}
		id.set("userAssignedIdentities", uai.m, line)
	}
}

func (mp *mapper) flexServer(inst *instance) {
	b := inst.blockValue
	o := mp.start(inst, b, flexserver.ServerType, inst.id, nameOf(inst, "name"))
	mp.sku(o, b)
	mp.identity(o, b)
	p := o.sub(mp.idx, "properties", b.line)
	p.attr("version", b, "version", stringOf)
	p.attr("administratorLogin", b, "administrator_login", toAny)
	p.attr("availabilityZone", b, "zone", stringOf)
	p.attr("createMode", b, "create_mode", toAny)
	p.attr("sourceServerResourceId", b, "source_server_id", toAny)
	p.attr("replicationRole", b, "replication_role", toAny)
	p.attr("pointInTimeUTC", b, "point_in_time_restore_time_in_utc", toAny)

	// Network: a server with a delegated subnet is VNet-integrated, and
	// VNet-integrated servers have no public access.
	n := p.sub(mp.idx, "network", b.line)
	dv, _, delegated := b.get("delegated_subnet_id")
	n.attr("delegatedSubnetResourceId", b, "delegated_subnet_id", toAny)
	n.attr("privateDnsZoneArmResourceId", b, "private_dns_zone_id", toAny)
	if u, _ := dv.UnmarkDeep(); delegated && !u.IsKnown() && !u.Range().DefinitelyNotNull() && !n.attr("publicNetworkAccess", b, "public_network_access_enabled", enabled) {
		// The default depends on whether the server gets a subnet, which
		// is not known: neither default can be claimed.
		n.set("publicNetworkAccess", arm.Unknown{Reason: "the default of public network access depends on delegated_subnet_id, which is not known before apply"}, b.line)
	} else {
		enabledDefault(n, "publicNetworkAccess", b, "public_network_access_enabled", !delegated, b.line)
	}

	// Authentication: password on, Microsoft Entra off unless the
	// authentication block says otherwise.
	ab := b.block("authentication")
	aline := b.line
	if ab != nil {
		aline = ab.line
	}
	a := p.sub(mp.idx, "authConfig", aline)
	enabledDefault(a, "activeDirectoryAuth", ab, "active_directory_auth_enabled", false, aline)
	enabledDefault(a, "passwordAuth", ab, "password_auth_enabled", true, aline)
	a.attr("tenantId", ab, "tenant_id", toAny)
	if ab != nil && ab.maybeAbsent != "" {
		// The block may not exist: a setting is known only where the
		// block's value is the default.
		for key, def := range map[string]string{"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled"} {
			if a.m[key] != def {
				a.set(key, arm.Unknown{Reason: ab.maybeAbsent}, a.pos.Keys[key])
			}
		}
	}

	// Encryption: a customer_managed_key block means keys in Key Vault.
	if cb := b.block("customer_managed_key"); cb != nil {
		e := p.sub(mp.idx, "dataEncryption", cb.line)
		if cb.maybeAbsent != "" {
			e.set("type", arm.Unknown{Reason: cb.maybeAbsent}, cb.line)
		} else {
			e.set("type", "AzureKeyVault", cb.line)
		}
		e.attr("primaryKeyURI", cb, "key_vault_key_id", toAny)
		e.attr("primaryUserAssignedIdentityId", cb, "primary_user_assigned_identity_id", toAny)
		e.attr("geoBackupKeyURI", cb, "geo_backup_key_vault_key_id", toAny)
		e.attr("geoBackupUserAssignedIdentityId", cb, "geo_backup_user_assigned_identity_id", toAny)
	} else {
		e := p.sub(mp.idx, "dataEncryption", b.line)
		e.set("type", "SystemManaged", b.line)
	}

	bk := p.sub(mp.idx, "backup", b.line)
	if !bk.attr("backupRetentionDays", b, "backup_retention_days", toAny) {
		bk.set("backupRetentionDays", 7.0, b.line)
	}
	enabledDefault(bk, "geoRedundantBackup", b, "geo_redundant_backup_enabled", false, b.line)

	if hb := b.block("high_availability"); hb != nil {
		h := p.sub(mp.idx, "highAvailability", hb.line)
		if !h.attr("mode", hb, "mode", toAny) {
			h.set("mode", "ZoneRedundant", hb.line)
		}
		if hb.maybeAbsent != "" {
			h.set("mode", arm.Unknown{Reason: hb.maybeAbsent}, hb.line)
		}
		h.attr("standbyAvailabilityZone", hb, "standby_availability_zone", stringOf)
	} else {
		h := p.sub(mp.idx, "highAvailability", b.line)
		h.set("mode", "Disabled", b.line)
	}

	st := p.sub(mp.idx, "storage", b.line)
	if v, line, ok := b.get("storage_mb"); ok {
		u, marks := v.UnmarkDeep()
		if u.IsKnown() && u.Type() == cty.Number {
			f, _ := u.AsBigFloat().Float64()
			st.set("storageSizeGB", f/1024, line)
		} else {
			st.set("storageSizeGB", arm.Unknown{Reason: reasonOf(marks)}, line)
		}
	}
	enabledDefault(st, "autoGrow", b, "auto_grow_enabled", false, b.line)
	st.attr("tier", b, "storage_tier", toAny)

	if mb := b.block("maintenance_window"); mb != nil {
		w := p.sub(mp.idx, "maintenanceWindow", mb.line)
		w.set("customWindow", "Enabled", mb.line)
		if mb.maybeAbsent != "" {
			w.set("customWindow", arm.Unknown{Reason: mb.maybeAbsent}, mb.line)
		}
		w.attr("dayOfWeek", mb, "day_of_week", toAny)
		w.attr("startHour", mb, "start_hour", toAny)
		w.attr("startMinute", mb, "start_minute", toAny)
	} else {
		w := p.sub(mp.idx, "maintenanceWindow", b.line)
		w.set("customWindow", "Disabled", b.line)
	}
	mp.emit(inst, o, b.line)
}

func (mp *mapper) singleServer(inst *instance) {
	b := inst.blockValue
	o := mp.start(inst, b, flexserver.SingleServerType, inst.id, nameOf(inst, "name"))
	if v, line, ok := b.get("sku_name"); ok {
		s := o.sub(mp.idx, "sku", line)
		s.set("name", toAny(v), line)
	}
	mp.identity(o, b)
	p := o.sub(mp.idx, "properties", b.line)
	p.attr("version", b, "version", stringOf)
	p.attr("administratorLogin", b, "administrator_login", toAny)
	enabledDefault(p, "sslEnforcement", b, "ssl_enforcement_enabled", true, b.line)
	if !p.attr("minimalTlsVersion", b, "ssl_minimal_tls_version_enforced", toAny) {
		p.set("minimalTlsVersion", "TLS1_2", b.line)
	}
	enabledDefault(p, "publicNetworkAccess", b, "public_network_access_enabled", true, b.line)
	enabledDefault(p, "infrastructureEncryption", b, "infrastructure_encryption_enabled", false, b.line)
	sp := p.sub(mp.idx, "storageProfile", b.line)
	sp.attr("storageMB", b, "storage_mb", toAny)
	if !sp.attr("backupRetentionDays", b, "backup_retention_days", toAny) {
		sp.set("backupRetentionDays", 7.0, b.line)
	}
	enabledDefault(sp, "geoRedundantBackup", b, "geo_redundant_backup_enabled", false, b.line)
	enabledDefault(sp, "storageAutogrow", b, "auto_grow_enabled", true, b.line)
	mp.emit(inst, o, b.line)
}

func (mp *mapper) privateEndpoint(inst *instance) {
	b := inst.blockValue
	name := nameOf(inst, "name")
	o := mp.start(inst, b, peType, inst.id, name)
	p := o.sub(mp.idx, "properties", b.line)
	if v, line, ok := b.get("subnet_id"); ok {
		s := p.sub(mp.idx, "subnet", line)
		s.set("id", toAny(v), line)
	}
	var conns, manual []any
	var target string
	var targetLine, pscLine int
	manualConn := false
	for _, psc := range b.blocks["private_service_connection"] {
		c := newObj(mp.idx, psc.line)
		c.attr("name", psc, "name", toAny)
		cp := c.sub(mp.idx, "properties", psc.line)
		cp.attr("privateLinkServiceId", psc, "private_connection_resource_id", toAny)
		cp.attr("groupIds", psc, "subresource_names", toAny)
		cp.attr("requestMessage", psc, "request_message", toAny)
		isManual := false
		if v, _, ok := psc.get("is_manual_connection"); ok {
			if u, _ := v.UnmarkDeep(); u.IsKnown() && u.Type() == cty.Bool && u.True() {
				isManual = true
			}
		}
		if isManual {
			manual = append(manual, c.m)
		} else {
			conns = append(conns, c.m)
		}
		if t, ok := psc.str("private_connection_resource_id"); ok && target == "" {
			target, manualConn, pscLine = t, isManual, psc.line
			_, targetLine, _ = psc.get("private_connection_resource_id")
		}
	}
	if conns != nil {
		p.set("privateLinkServiceConnections", conns, b.line)
	}
	if manual != nil {
		p.set("manualPrivateLinkServiceConnections", manual, b.line)
	}
	mp.emit(inst, o, b.line)

	// The connection as the target server sees it.
	tt := arm.TypeOfID(target)
	if target == "" || !(strings.EqualFold(tt, flexserver.ServerType) || strings.EqualFold(tt, flexserver.SingleServerType)) {
		return
	}
	c := newObj(mp.idx, pscLine)
	c.set("id", arm.ChildID(target, "privateEndpointConnections", name), pscLine)
	c.set("name", name, pscLine)
	c.set("type", tt+"/privateEndpointConnections", pscLine)
	cp := c.sub(mp.idx, "properties", pscLine)
	pe := cp.sub(mp.idx, "privateEndpoint", pscLine)
	pe.set("id", inst.id, b.line)
	state := cp.sub(mp.idx, "privateLinkServiceConnectionState", targetLine)
	if manualConn {
		state.set("status", "Pending", targetLine)
		state.set("description", "A manual connection waits for the server owner's approval.", targetLine)
	} else {
		state.set("status", "Approved", targetLine)
		state.set("description", "Auto-approved", targetLine)
	}
	state.set("actionsRequired", "None", targetLine)
	cp.set("provisioningState", "Succeeded", pscLine)
	mp.emit(inst, c, pscLine)
}

func (mp *mapper) subnet(inst *instance, b *blockValue, id string) {
	o := mp.start(inst, b, subnetType, id, nameOfBlock(inst, b))
	p := o.sub(mp.idx, "properties", b.line)
	if p.attr("addressPrefixes", b, "address_prefixes", toAny) {
		if list, ok := p.m["addressPrefixes"].([]any); ok && len(list) == 1 {
			p.set("addressPrefix", list[0], p.pos.Keys["addressPrefixes"])
		}
	}
	p.attr("addressPrefix", b, "address_prefix", toAny)
	var dels []any
	for _, d := range b.blocks["delegation"] {
		do := newObj(mp.idx, d.line)
		do.attr("name", d, "name", toAny)
		dp := do.sub(mp.idx, "properties", d.line)
		if sd := d.block("service_delegation"); sd != nil {
			dp.attr("serviceName", sd, "name", toAny)
			dp.attr("actions", sd, "actions", toAny)
		}
		dels = append(dels, do.m)
	}
	if dels != nil {
		p.set("delegations", dels, b.line)
	}
	if v, line, ok := b.get("security_group"); ok {
		nsg := p.sub(mp.idx, "networkSecurityGroup", line)
		nsg.set("id", toAny(v), line)
	}
	p.attr("privateEndpointNetworkPolicies", b, "private_endpoint_network_policies", toAny)
	mp.emit(inst, o, b.line)
}

func nameOfBlock(inst *instance, b *blockValue) string {
	if b == inst.blockValue {
		return nameOf(inst, "name")
	}
	if n, ok := b.str("name"); ok {
		return n
	}
	return "unknown"
}

func (mp *mapper) vnet(inst *instance) {
	b := inst.blockValue
	o := mp.start(inst, b, "Microsoft.Network/virtualNetworks", inst.id, nameOf(inst, "name"))
	p := o.sub(mp.idx, "properties", b.line)
	if v, line, ok := b.get("address_space"); ok {
		as := p.sub(mp.idx, "addressSpace", line)
		as.set("addressPrefixes", toAny(v), line)
	}
	mp.emit(inst, o, b.line)
	for _, sb := range b.blocks["subnet"] {
		mp.subnet(inst, sb, inst.id+"/subnets/"+nameOfBlock(inst, sb))
	}
}

// securityRule maps a security_rule block, or an azurerm_network_security_rule.
func (mp *mapper) securityRule(b *blockValue, id string) *objBuilder {
	o := newObj(mp.idx, b.line)
	if id != "" {
		o.set("id", id, b.line)
	}
	o.attr("name", b, "name", toAny)
	p := o.sub(mp.idx, "properties", b.line)
	for _, m := range [][2]string{
		{"priority", "priority"}, {"direction", "direction"}, {"access", "access"}, {"protocol", "protocol"},
		{"sourceAddressPrefix", "source_address_prefix"}, {"sourceAddressPrefixes", "source_address_prefixes"},
		{"sourcePortRange", "source_port_range"}, {"sourcePortRanges", "source_port_ranges"},
		{"destinationAddressPrefix", "destination_address_prefix"}, {"destinationAddressPrefixes", "destination_address_prefixes"},
		{"destinationPortRange", "destination_port_range"}, {"destinationPortRanges", "destination_port_ranges"},
		{"description", "description"},
	} {
		p.attr(m[0], b, m[1], toAny)
	}
	return o
}

func (mp *mapper) diagnosticSetting(inst *instance) {
	if inst.id == "" {
		return // the target is not known before apply: nothing to attach to
	}
	b := inst.blockValue
	o := mp.start(inst, b, flexserver.DiagnosticSettingsType, inst.id, nameOf(inst, "name"))
	p := o.sub(mp.idx, "properties", b.line)
	p.attr("workspaceId", b, "log_analytics_workspace_id", toAny)
	p.attr("storageAccountId", b, "storage_account_id", toAny)
	p.attr("eventHubAuthorizationRuleId", b, "eventhub_authorization_rule_id", toAny)
	p.attr("eventHubName", b, "eventhub_name", toAny)
	p.attr("logAnalyticsDestinationType", b, "log_analytics_destination_type", toAny)
	logs := []any{}
	// The lists point at their first block, so that a result about the
	// logs (or metrics) as a whole names the code that sets them, and at
	// the resource when there is none.
	logsLine, metricsLine := 0, 0
	// enabled_log (azurerm 3.x and 4.x); log (azurerm 3.x only, with an
	// enabled flag).
	for _, kind := range []string{"enabled_log", "log"} {
		if kind == "log" && mp.azurerm >= 4 {
			continue
		}
		for _, lb := range b.blocks[kind] {
			l := newObj(mp.idx, lb.line)
			l.attr("category", lb, "category", toAny)
			l.attr("categoryGroup", lb, "category_group", toAny)
			if kind == "log" {
				enabledBool(l, "enabled", lb, "enabled", true, lb.line)
			} else {
				l.set("enabled", true, lb.line)
			}
			logs = append(logs, l.m)
			if logsLine == 0 || lb.line < logsLine {
				logsLine = lb.line
			}
		}
	}
	if logsLine == 0 {
		logsLine = b.line
	}
	p.set("logs", logs, logsLine)
	metrics := []any{}
	for _, kind := range []string{"enabled_metric", "metric"} {
		for _, mb := range b.blocks[kind] {
			m := newObj(mp.idx, mb.line)
			m.attr("category", mb, "category", toAny)
			if kind == "metric" {
				enabledBool(m, "enabled", mb, "enabled", true, mb.line)
			} else {
				m.set("enabled", true, mb.line)
			}
			metrics = append(metrics, m.m)
			if metricsLine == 0 || mb.line < metricsLine {
				metricsLine = mb.line
			}
		}
	}
	if metricsLine == 0 {
		metricsLine = b.line
	}
	p.set("metrics", metrics, metricsLine)
	mp.emit(inst, o, b.line)
}

func (mp *mapper) keyVaultKey(inst *instance) {
	if inst.id == "" {
		return
	}
	b := inst.blockValue
	o := mp.start(inst, b, keyType, inst.id, nameOf(inst, "name"))
	p := o.sub(mp.idx, "properties", b.line)
	p.attr("kty", b, "key_type", toAny)
	p.attr("keySize", b, "key_size", toAny)
	p.attr("curveName", b, "curve", toAny)
	p.attr("keyOps", b, "key_opts", toAny)
	if v, line, ok := b.get("expiration_date"); ok {
		a := p.sub(mp.idx, "attributes", line)
		a.set("exp", toAny(v), line)
	}
	if v, ok := b.str("key_vault_id"); ok {
		if uri, ok := vaultURI(v); ok {
			p.set("keyUri", uri+"keys/"+nameOf(inst, "name"), b.line)
		}
	}
	if rb := b.block("rotation_policy"); rb != nil {
		rp := p.sub(mp.idx, "rotationPolicy", rb.line)
		var actions []any
		if ab := rb.block("automatic"); ab != nil {
			la := newObj(mp.idx, ab.line)
			tr := la.sub(mp.idx, "trigger", ab.line)
			tr.attr("timeAfterCreate", ab, "time_after_creation", toAny)
			tr.attr("timeBeforeExpiry", ab, "time_before_expiry", toAny)
			ac := la.sub(mp.idx, "action", ab.line)
			ac.set("type", "rotate", ab.line)
			actions = append(actions, la.m)
		}
		if v, line, ok := rb.get("notify_before_expiry"); ok {
			la := newObj(mp.idx, line)
			tr := la.sub(mp.idx, "trigger", line)
			tr.set("timeBeforeExpiry", toAny(v), line)
			ac := la.sub(mp.idx, "action", line)
			ac.set("type", "notify", line)
			actions = append(actions, la.m)
		}
		rp.set("lifetimeActions", append([]any{}, actions...), rb.line)
		if v, line, ok := rb.get("expire_after"); ok {
			at := rp.sub(mp.idx, "attributes", line)
			at.set("expiryTime", toAny(v), line)
		}
	}
	mp.emit(inst, o, b.line)
}

// azapi maps an azapi_resource of a Microsoft.DBforPostgreSQL type: its
// body is the ARM resource's body.
func (mp *mapper) azapi(inst *instance) {
	full, ok := inst.str("type")
	if !ok {
		return
	}
	parts := strings.SplitN(full, "@", 2)
	typ := parts[0]
	if !strings.HasPrefix(strings.ToLower(typ), "microsoft.dbforpostgresql/") || inst.id == "" {
		return
	}
	b := inst.blockValue
	o := mp.start(inst, b, typ, inst.id, nameOf(inst, "name"))
	if len(parts) == 2 {
		o.set("apiVersion", parts[1], b.line)
	}
	mp.identity(o, b)
	if v, line, ok := b.get("body"); ok {
		u, _ := v.UnmarkDeep()
		if u.IsKnown() && u.Type() == cty.String {
			if d, err := stdlib.JSONDecode(u); err == nil {
				v = d
			}
		}
		body, isMap := toAny(v).(map[string]any)
		if !isMap {
			o.set("properties", toAny(v), line)
		} else {
			var expr hcl.Expression
			if a := inst.decl.block.Body.Attributes["body"]; a != nil {
				expr = a.Expr
			}
			mp.recordPositions(body, expr, line)
			// Azure never returns the administrator password; neither
			// does pgbaseline carry it in the resource (IM-8 reads it
			// from the code).
			if props, ok := body["properties"].(map[string]any); ok {
				for k := range props {
					if strings.EqualFold(k, "administratorLoginPassword") {
						delete(props, k)
					}
				}
			}
			for k, val := range body {
				if k == "name" || k == "type" || k == "id" {
					continue
				}
				o.set(k, val, mp.idx.Lookup(body).Keys[k])
			}
		}
	}
	flexserver.CompleteCreated(o.m)
	mp.emit(inst, o, b.line)
}

// recordPositions records the lines of an object built from an HCL object
// expression (or jsonencode of one), so that Line finds body properties.
func (mp *mapper) recordPositions(m map[string]any, expr hcl.Expression, line int) {
	pos := &jsonpos.Object{Line: line, Keys: map[string]int{}}
	mp.idx.Record(m, pos)
	for k := range m {
		pos.Keys[k] = line
	}
	if fc, ok := expr.(*hclsyntax.FunctionCallExpr); ok && fc.Name == "jsonencode" && len(fc.Args) == 1 {
		expr = fc.Args[0]
	}
	oc, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		for _, v := range m {
			if sub, ok := v.(map[string]any); ok {
				mp.recordPositions(sub, nil, line)
			}
		}
		return
	}
	pos.Line = oc.SrcRange.Start.Line
	items := map[string]hclsyntax.ObjectConsItem{}
	for _, it := range oc.Items {
		kv, diags := it.KeyExpr.Value(nil)
		if diags.HasErrors() || !kv.IsKnown() || kv.IsNull() || kv.Type() != cty.String {
			continue
		}
		items[kv.AsString()] = it
	}
	for k, v := range m {
		it, ok := items[k]
		itemLine := line
		if ok {
			itemLine = it.KeyExpr.Range().Start.Line
			pos.Keys[k] = itemLine
		}
		if sub, isMap := v.(map[string]any); isMap {
			var subExpr hcl.Expression
			if ok {
				subExpr = it.ValueExpr
			}
			mp.recordPositions(sub, subExpr, itemLine)
		}
	}
}
