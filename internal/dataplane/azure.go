package dataplane

import (
	"context"
	"sort"
	"strings"
)

// Azure detection signals, one per independent kind of evidence.
const (
	SignalHost      = "host name ends in .postgres.database.azure.com"
	SignalRoles     = "roles azure_pg_admin / azuresu exist"
	SignalSettings  = "azure.* / require_secure_transport / connection_throttle.* / logfiles.* / pgms_* / pg_qs.* settings present"
	SignalFunctions = "azure_roles_authtype() or pgaadauth functions exist"
	SignalExtension = "Azure-only extensions installed (pgaadauth, azure, azure_storage, azure_ai)"
	SignalCertPath  = "ssl_cert_file is /datadrive/certs/cert.pem"
)

// azureSignals gathers the in-database evidence of Azure Database for
// PostgreSQL flexible server. Every query runs as any login role.
func azureSignals(ctx context.Context, s *session, f *facts, azureHost bool) []string {
	var out []string
	if azureHost {
		out = append(out, SignalHost)
	}
	var roles, funcs, exts bool
	_ = s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN ('azure_pg_admin','azuresu'))`, &roles)
	_ = s.queryRow(ctx, `SELECT to_regproc('azure_roles_authtype') IS NOT NULL
		OR to_regproc('pg_catalog.azure_roles_authtype') IS NOT NULL
		OR to_regprocedure('pg_catalog.pgaadauth_list_principals(boolean)') IS NOT NULL`, &funcs)
	_ = s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname IN ('pgaadauth','azure','azure_storage','azure_ai'))`, &exts)
	if roles {
		out = append(out, SignalRoles)
	}
	if settingsLookAzure(f.settings) {
		out = append(out, SignalSettings)
	}
	if funcs {
		out = append(out, SignalFunctions)
	}
	if exts {
		out = append(out, SignalExtension)
	}
	if f.settings["ssl_cert_file"] == "/datadrive/certs/cert.pem" {
		out = append(out, SignalCertPath)
	}
	sort.Strings(out)
	return out
}

func settingsLookAzure(settings map[string]string) bool {
	for name := range settings {
		if name == "require_secure_transport" || strings.HasPrefix(name, "azure.") ||
			strings.HasPrefix(name, "connection_throttle.") || strings.HasPrefix(name, "logfiles.") ||
			strings.HasPrefix(name, "pgms_") || strings.HasPrefix(name, "pg_qs.") {
			return true
		}
	}
	return false
}

// isAzure decides from the signals: the Azure host name alone is enough,
// otherwise two independent in-database signals are needed, so that a
// self-hosted server with one look-alike role or setting is not mistaken
// for Azure.
func isAzure(signals []string) bool {
	for _, s := range signals {
		if s == SignalHost {
			return true
		}
	}
	return len(signals) >= 2
}
