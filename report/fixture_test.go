package report

import (
	"fmt"
	"time"
)

// Hostile strings from the scanned inputs: the writers must keep them inert.
const (
	scriptName = `<script>alert(1)</script>`
	pwnName    = `<img src=x onerror="window.__pwned=1">`
	pwnMessage = `Server parameter value is <script>window.__pwned=1</script>; =cmd|' /C calc'!A0`
)

const (
	sub      = "/subscriptions/00000000-0000-0000-0000-000000000001"
	prodID   = sub + "/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-prod-01"
	hostile  = sub + "/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + scriptName
	exportID = sub + "/resourceGroups/rg-dev/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-dev"
	tfAddr   = "azurerm_postgresql_flexible_server.orders"
	fsType   = "Microsoft.DBforPostgreSQL/flexibleServers"
)

var (
	remTLS = &Remediation{
		Summary:   "Require TLS 1.2 or later for every connection.",
		AzureCLI:  "az postgres flexible-server parameter set --resource-group $RG --server-name $SERVER \\\n  --name require_secure_transport --value on",
		Terraform: "resource \"azurerm_postgresql_flexible_server_configuration\" \"tls\" {\n  name      = \"require_secure_transport\"\n  server_id = azurerm_postgresql_flexible_server.this.id\n  value     = \"on\"\n}",
		Bicep:     "resource tls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {\n  parent: server\n  name: 'require_secure_transport'\n  properties: { value: 'on', source: 'user-override' }\n}",
	}
	remPublic = &Remediation{
		Summary:   "Disable public network access and reach the server through a private endpoint.",
		AzureCLI:  "az postgres flexible-server update --resource-group $RG --name $SERVER --public-access Disabled",
		Terraform: "public_network_access_enabled = false",
	}
	remAudit = &Remediation{
		Summary: "Enable pgaudit and log DDL and role changes.",
		SQL:     "ALTER SYSTEM SET pgaudit.log = 'ddl, role';\nSELECT pg_reload_conf();",
	}
)

// fixtureRules is the rule catalog the fixture's results come from.
func fixtureRules() map[string]RuleInfo {
	rules := []RuleInfo{
		{ID: "PGB-NS2-01", Title: "Public network access should be disabled for PostgreSQL flexible servers", ControlID: "NS-2",
			ControlTitle: "Secure cloud services with network controls", Feature: "Disable Public Network Access", Severity: High,
			Rationale:   "A server with public access accepts connections from the internet, filtered only by firewall rules.",
			Remediation: remPublic, PolicyDefinitionID: "/providers/Microsoft.Authorization/policyDefinitions/5e1de0e3-42cb-4ebc-a86d-61d0c619ca48",
			HelpURI: "https://github.com/pgbaseline/pgbaseline/blob/main/docs/rules.md#pgb-ns2-01"},
		{ID: "PGB-NS1-01", Title: "PostgreSQL flexible servers should be integrated into a virtual network", ControlID: "NS-1",
			ControlTitle: "Establish network segmentation boundaries", Feature: "Virtual Network Integration", Severity: Medium,
			Rationale: "A server in a delegated subnet has only a private IP address."},
		{ID: "PGB-DP3-01", Title: "Enforce TLS 1.2 or later for connections", ControlID: "DP-3",
			ControlTitle: "Encrypt sensitive data in transit", Feature: "Data in Transit Encryption", Severity: Critical,
			Rationale: "Without require_secure_transport clients may connect without encryption.", Remediation: remTLS,
			HelpURI: "https://github.com/pgbaseline/pgbaseline/blob/main/docs/rules.md#pgb-dp3-01"},
		{ID: "PGB-IM1-01", Title: "Microsoft Entra authentication should be enabled", ControlID: "IM-1",
			ControlTitle: "Use centralized identity and authentication system", Feature: "Azure AD Authentication Required for Data Plane Access",
			Severity: High, Rationale: "Entra authentication centralizes identities and allows conditional access."},
		{ID: "PGB-LT4-02", Title: "pgaudit should log DDL and role changes", ControlID: "LT-4",
			ControlTitle: "Enable logging for security investigation", Feature: "Resource Logs", Severity: Low,
			Rationale: "Audit logs are needed to investigate incidents.", Remediation: remAudit},
		{ID: "PGB-BR1-01", Title: "Geo-redundant backup should be enabled", ControlID: "BR-1",
			ControlTitle: "Ensure regular automated backups", Feature: "Azure Backup", Severity: Medium},
	}
	m := make(map[string]RuleInfo, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}

func fixtureOptions() Options {
	return Options{Rules: fixtureRules(), Width: 100, ToolVersion: "1.2.3"}
}

// fixtureReport is a realistic report: several controls and domains, every
// status, Terraform, ARM export and live resources, an input error, and
// hostile resource names.
func fixtureReport() *Report {
	start := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	rules := fixtureRules()
	res := func(rule string, st Status, id, typ, name, msg string, loc *Location, ev map[string]any) Result {
		info := rules[rule]
		r := Result{RuleID: rule, ControlID: info.ControlID, Feature: info.Feature, Title: info.Title, Severity: info.Severity,
			PolicyDefinitionID: info.PolicyDefinitionID, ResourceID: id, ResourceType: typ, ResourceName: name,
			Status: st, Message: msg, Evidence: ev, Location: loc}
		if info.PolicyDefinitionID != "" {
			r.Effect = "Audit"
		}
		if st == NonCompliant {
			r.Remediation = info.Remediation
		}
		return r
	}
	tf := func(start, end int) *Location {
		return &Location{File: "infra/main.tf", StartLine: start, EndLine: end}
	}
	exp := func(line int) *Location {
		return &Location{File: "exports/pg dev.json", StartLine: line, EndLine: line}
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "pgbaseline", Version: "1.2.3"},
		Benchmark:     Benchmark{ID: "MCSB", Version: "1.0", Baseline: "Azure Database for PostgreSQL - Flexible Server"},
		StartedAt:     start, FinishedAt: start.Add(2345 * time.Millisecond),
		Targets: []Target{{Kind: "terraform", Location: "infra"}, {Kind: "arm-export", Location: "exports/pg dev.json"},
			{Kind: "azure", Location: sub}},
		Resources: []Resource{
			{ID: tfAddr, Type: fsType, Name: "orders-db", Origin: &Origin{File: "infra/main.tf", Line: 3}},
			{ID: exportID, Type: fsType, Name: "pg-dev", Origin: &Origin{File: "exports/pg dev.json", Line: 2}},
			{ID: prodID, Type: fsType, Name: "pg-prod-01"},
			{ID: hostile, Type: fsType, Name: scriptName},
		},
		Results: []Result{
			res("PGB-NS2-01", NonCompliant, tfAddr, fsType, "orders-db", "Public network access is enabled.", tf(3, 24),
				map[string]any{"properties.network.publicNetworkAccess": "Enabled"}),
			res("PGB-NS2-01", Compliant, exportID, fsType, "pg-dev", "Public network access is disabled.", exp(14), nil),
			res("PGB-NS2-01", NonCompliant, prodID, fsType, "pg-prod-01", "Public network access is enabled.", nil,
				map[string]any{"properties.network.publicNetworkAccess": "Enabled"}),
			res("PGB-NS2-01", NonCompliant, hostile, fsType, scriptName, "Public network access is enabled.", nil,
				map[string]any{"properties.network.publicNetworkAccess": "Enabled", "tags.owner": scriptName}),
			res("PGB-NS1-01", NotApplicable, tfAddr, fsType, "orders-db", "The server uses public access; NS-2 applies.", tf(3, 24), nil),
			res("PGB-NS1-01", Compliant, prodID, fsType, "pg-prod-01", "The server is in subnet snet-db.", nil,
				map[string]any{"properties.network.delegatedSubnetResourceId": sub + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-db"}),
			res("PGB-DP3-01", NonCompliant, tfAddr, fsType, "orders-db", "require_secure_transport is off.", tf(30, 35),
				map[string]any{"require_secure_transport": "off", "ssl_min_protocol_version": "TLSv1"}),
			res("PGB-DP3-01", Compliant, prodID, fsType, "pg-prod-01", "require_secure_transport is on and TLS 1.2 is the minimum.", nil,
				map[string]any{"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}),
			res("PGB-DP3-01", Error, exportID, fsType, "pg-dev", "The configurations of the server could not be evaluated: the export has no parameters.", exp(2), nil),
			res("PGB-IM1-01", Unknown, tfAddr, fsType, "orders-db", "authentication.activeDirectoryAuth is not known before apply.", tf(12, 15), nil),
			res("PGB-IM1-01", Exempt, prodID, fsType, "pg-prod-01", "Exempt until 2027-01-31 (exemption entra-rollout, Mitigated).", nil, nil),
			res("PGB-IM1-01", NonCompliant, hostile, fsType, scriptName, pwnMessage, nil,
				map[string]any{"properties.authConfig.activeDirectoryAuth": pwnName}),
			res("PGB-LT4-02", NonCompliant, "pg-prod-01.postgres.database.azure.com:5432", "postgres", "pg-prod-01",
				"pgaudit.log is 'none'; DDL and role changes are not logged.", nil, map[string]any{"pgaudit.log": "none", "shared_preload_libraries": []any{"pg_stat_statements"}}),
			res("PGB-BR1-01", Compliant, exportID, fsType, "pg-dev", "Geo-redundant backup is enabled.", exp(20), map[string]any{"properties.backup.geoRedundantBackup": "Enabled"}),
		},
		Controls: []ControlSummary{
			{ID: "NS-1", Title: "Establish network segmentation boundaries", Domain: "Network security"},
			{ID: "NS-2", Title: "Secure cloud services with network controls", Domain: "Network security"},
			{ID: "IM-1", Title: "Use centralized identity and authentication system", Domain: "Identity management"},
			{ID: "DP-3", Title: "Encrypt sensitive data in transit", Domain: "Data protection"},
			{ID: "LT-4", Title: "Enable logging for security investigation", Domain: "Logging and threat detection"},
			{ID: "DP-8", Title: "Ensure security of key and certificate repository", Domain: "Data protection"},
		},
		Errors: []ErrorEntry{{Target: "exports", File: "exports/broken.json", Line: 7, Message: "exports/broken.json:7: invalid character '}' looking for beginning of object key string"}},
	}
	// BR-1 appears only in the results: the writers add it.
	for i := range r.Controls {
		c := &r.Controls[i]
		c.Counts = NewCounts()
		for _, res := range r.Results {
			if res.ControlID == c.ID {
				c.Counts[res.Status]++
			}
		}
		c.Status = Rollup(c.Counts)
	}
	for _, res := range r.Results {
		r.Summary.Add(res.Status)
	}
	return r
}

// bigReport is a report with n results over a few controls, for the
// streaming benchmarks.
func bigReport(n int) *Report {
	base := fixtureReport()
	r := *base
	r.Results = make([]Result, n)
	r.Summary = Summary{}
	for i := range r.Results {
		res := base.Results[i%len(base.Results)]
		res.ResourceID = fmt.Sprintf("%s/resourceGroups/rg-%d/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-%d", sub, i%50, i)
		res.ResourceName = fmt.Sprintf("pg-%d", i)
		r.Results[i] = res
		r.Summary.Add(res.Status)
	}
	return &r
}
