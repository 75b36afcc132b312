package builtin

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/policy"
)

// example reads the 200 response body of a REST spec example.
func example(t testing.TB, name string) *arm.Resource {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "arm-examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return arm.New(doc.Responses["200"].Body, arm.Origin{File: name})
}

func TestAllUnique(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 32 {
		t.Fatalf("got %d unique built-ins, want 32", len(all))
	}
	again, _ := All()
	if &again[0] != &all[0] {
		t.Error("All is not cached")
	}
	if d := ByName("/providers/Microsoft.Authorization/policyDefinitions/5E1DE0E3-42cb-4ebc-a86d-61d0c619ca48"); d == nil || d.Version != "3.1.0" {
		t.Errorf("ByName(PNA) = %v", d)
	}
	if ByName("00000000-0000-0000-0000-000000000000") != nil {
		t.Error("ByName of an unknown guid is not nil")
	}
}

// TestB6 is the table B.6 of the policy language reference: the Audit
// built-ins with default parameters against the REST spec examples.
func TestB6(t *testing.T) {
	policies := []string{"5e1de0e3-42cb-4ebc-a86d-61d0c619ca48", "12c74c95-0efd-48da-b8d9-2a7d68470c92",
		"cee2f9fd-3968-44be-a863-bd62c9884423", "fa498b91-8a7e-4710-9578-da944c68d1fe", "493c215d-2553-4976-bc81-57d2c04fc8c1"}
	table := map[string][]policy.State{
		"2025-08-01_ServersGet.json":                    {policy.NonCompliant, policy.NonCompliant, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		"2024-08-01_ServerGetWithVnet.json":             {policy.Compliant, policy.NonCompliant, policy.Compliant, policy.NonCompliant, policy.Compliant},
		"2024-08-01_ServerGetWithPrivateEndpoints.json": {policy.NonCompliant, policy.NonCompliant, policy.NonCompliant, policy.NonCompliant, policy.NonCompliant},
	}
	for file, want := range table {
		r := example(t, file)
		for i, guid := range policies {
			d := ByName(guid)
			res := d.Evaluate(r, &policy.Env{})
			if res.State != want[i] {
				t.Errorf("%s on %s: %s (%s), want %s", d.DisplayName, file, res.State, res.Reason, want[i])
			}
			if res.State == policy.NonCompliant && (res.Effect != "Audit" || res.Reason == "") {
				t.Errorf("%s on %s: effect %q reason %q", guid, file, res.Effect, res.Reason)
			}
		}
	}
}

const serverID = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/exampleresourcegroup/providers/Microsoft.DBforPostgreSQL/flexibleServers/exampleserver"

func config(name, value string) *arm.Resource {
	return arm.New(map[string]any{"id": serverID + "/configurations/" + name, "name": name,
		"type":       "Microsoft.DBforPostgreSQL/flexibleServers/configurations",
		"properties": map[string]any{"value": value, "source": "user-override"}}, arm.Origin{})
}

func diag(name string, props map[string]any) *arm.Resource {
	return arm.New(map[string]any{"id": serverID + "/providers/Microsoft.Insights/diagnosticSettings/" + name, "name": name,
		"type": "Microsoft.Insights/diagnosticSettings", "properties": props}, arm.Origin{})
}

// TestAINEAndDINE runs the existence built-ins against hand-written
// related resources.
func TestAINEAndDINE(t *testing.T) {
	server := example(t, "2025-08-01_ServersGet.json")
	pe := example(t, "2024-08-01_PrivateEndpointConnectionGet.json")
	admin := example(t, "2024-08-01_AdministratorGet.json")
	atp := example(t, "2024-08-01_ServerThreatProtectionSettingsGet.json")
	atpHere := arm.New(map[string]any{"id": serverID + "/advancedThreatProtectionSettings/Default", "name": "Default",
		"type": atp.Type, "properties": atp.Object["properties"]}, arm.Origin{})
	ws := "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w"
	// categoryGroup audit (the Monitoring DINEs' default): audit on, allLogs off.
	auditDiag := diag("audit", map[string]any{"workspaceId": ws,
		"logs": []any{map[string]any{"categoryGroup": "audit", "enabled": true}, map[string]any{"categoryGroup": "allLogs", "enabled": false}}})
	// 78ed47da's defaults: allLogs on, metrics off, named by profileName.
	allLogsDiag := diag("ds", map[string]any{"workspaceId": ws,
		"logs":    []any{map[string]any{"categoryGroup": "allLogs", "enabled": true}},
		"metrics": []any{map[string]any{"category": "AllMetrics", "enabled": false}}})
	full := arm.NewSet(server, pe, admin, atpHere, auditDiag, allLogsDiag,
		config("require_secure_transport", "on"), config("ssl_min_protocol_version", "TLSv1.2"),
		config("log_checkpoints", "on"), config("log_connections", "on"), config("log_disconnections", "on"),
		config("connection_throttle.enable", "on"), config("pgaudit.log", "ROLE,DDL,MISC"),
		config("shared_preload_libraries", "pg_cron,pgaudit"), config("log_line_prefix", "%t-%c-user=%u,db=%d,app=%a,client=%h"),
		config("logfiles.retention_days", "7"))
	weak := arm.NewSet(server, config("require_secure_transport", "off"), config("ssl_min_protocol_version", "TLSv1"),
		config("log_checkpoints", "off"), config("logfiles.retention_days", "3"), config("pgaudit.log", "none"),
		diag("ds", map[string]any{"workspaceId": "w", "logs": []any{map[string]any{"categoryGroup": "audit", "enabled": false}}}))
	empty := arm.NewSet(server)
	cases := []struct {
		guid   string
		params map[string]any
		full   policy.State
		weak   policy.State
		empty  policy.State
	}{
		{"5375a5bb-22c6-46d7-8a43-83417cfb4460", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"c29c38cb-74a7-4505-9a06-e588ab86620a", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"a43d5475-c569-45ce-a268-28fa79f4e87a", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"70be9e12-c935-49ac-9bd8-fd64b85c1f87", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"086709ac-11b5-478d-a893-9567a16d2ae3", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"1d14b021-1bae-4f93-b36b-69695e14984a", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"dacf07fa-0eea-4486-80bc-b93fae88ac40", map[string]any{"effect": "AuditIfNotExists"}, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"4eb5e667-e871-4292-9c5d-8bbb94e0c908", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"ce39a96d-bf09-4b60-8c32-e85d52abea0f", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"d38668f5-d155-42c7-ab3d-9b57b50f8fbf", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"2a6ae02f-7590-40d7-88ba-b18e205a32fd", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"f5ed3f7a-cf5d-4ee6-9ede-b5d5192ccf81", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"dd626066-39f5-4f72-aba8-06a99fabf278", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"eadbb524-8644-4a87-8af6-549e1d125982", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"3bf854e8-b34a-47fe-9f81-bc558c82b3bd", nil, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"a8f89ff4-3d6e-4d7b-8c5a-2e9b1f4c8d3a", map[string]any{"configurationName": "log_checkpoints"}, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"5fbd326d-328c-414e-a922-2d6963998962", map[string]any{"logAnalytics": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w"}, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"cdd1dbc6-0004-4fcd-afd7-b67550de37ff", map[string]any{"logAnalytics": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w"}, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		{"78ed47da-513e-41e9-a088-e829b373281d", map[string]any{"logAnalytics": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w", "profileName": "ds"}, policy.Compliant, policy.NonCompliant, policy.NonCompliant},
		// The seed (single-server) definitions do not apply to flexible servers.
		{"0564d078-92f5-4f97-8398-b9f58a51f70b", nil, policy.NotApplicable, policy.NotApplicable, policy.NotApplicable},
		{"18adea5e-f416-4d0f-8aa8-d24321e3e274", nil, policy.NotApplicable, policy.NotApplicable, policy.NotApplicable},
		{"d158790f-bfb0-486c-8631-2dc6b4e8e6af", nil, policy.NotApplicable, policy.NotApplicable, policy.NotApplicable},
		{"48af4db5-9b8b-401c-8e74-076be876a430", nil, policy.NotApplicable, policy.NotApplicable, policy.NotApplicable},
		// Deprecated, Disabled by default.
		{"e27a6dfc-883f-4f9e-97cc-a819fe702400", nil, policy.NotApplicable, policy.NotApplicable, policy.NotApplicable},
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		d := ByName(c.guid)
		if d == nil {
			t.Fatalf("no built-in %s", c.guid)
		}
		for _, run := range []struct {
			name string
			set  *arm.Set
			want policy.State
		}{{"full", full, c.full}, {"weak", weak, c.weak}, {"empty", empty, c.empty}} {
			res := d.Evaluate(server, &policy.Env{Related: run.set, Params: c.params, Now: now})
			if res.State != run.want {
				t.Errorf("%s (%s) on %s set: %s (%s, err %v), want %s", d.DisplayName, c.guid, run.name, res.State, res.Reason, res.Err, run.want)
			}
			if res.State == policy.NonCompliant && res.Reason == "" {
				t.Errorf("%s on %s: no reason", c.guid, run.name)
			}
		}
	}
}

func TestEveryBuiltinEvaluates(t *testing.T) {
	all, _ := All()
	server := example(t, "2024-08-01_ServerGetWithVnet.json")
	for _, d := range all {
		params := map[string]any{}
		for _, name := range d.MissingParameters(nil) {
			params[name] = "x"
		}
		if d.Parameter("configurationName") != nil {
			params["configurationName"] = "log_checkpoints"
		}
		res := d.Evaluate(server, &policy.Env{Params: params, Related: arm.NewSet(server)})
		if res.State == policy.Error {
			t.Errorf("%s: %v", d.Name, res.Err)
		}
		if len(d.TargetTypes()) == 0 {
			t.Errorf("%s: no target types", d.Name)
		}
		if d.DefaultEffect() == "" && len(d.MissingParameters(nil)) == 0 {
			t.Errorf("%s: no default effect", d.Name)
		}
	}
}

// BenchmarkBuiltins evaluates every built-in against realistic servers
// with their related resources, and reports condition evaluations per
// second.
func BenchmarkBuiltins(b *testing.B) {
	all, err := All()
	if err != nil {
		b.Fatal(err)
	}
	servers := []*arm.Resource{example(b, "2025-08-01_ServersGet.json"), example(b, "2024-08-01_ServerGetWithVnet.json"),
		example(b, "2024-08-01_ServerGetWithPrivateEndpoints.json")}
	var rel []*arm.Resource
	rel = append(rel, servers[0], example(b, "2024-08-01_PrivateEndpointConnectionGet.json"), example(b, "2024-08-01_AdministratorGet.json"))
	for _, n := range []string{"require_secure_transport", "ssl_min_protocol_version", "log_checkpoints", "log_connections",
		"log_disconnections", "connection_throttle.enable", "pgaudit.log", "shared_preload_libraries", "log_line_prefix", "logfiles.retention_days"} {
		rel = append(rel, config(n, "on"))
	}
	rel = append(rel, diag("ds", map[string]any{"workspaceId": "w", "logs": []any{map[string]any{"categoryGroup": "audit", "enabled": true},
		map[string]any{"categoryGroup": "allLogs", "enabled": true}}, "metrics": []any{map[string]any{"enabled": true}}}))
	set := arm.NewSet(rel...)
	type job struct {
		d   *policy.Definition
		env *policy.Env
	}
	var jobs []job
	for _, d := range all {
		params := map[string]any{}
		for _, name := range d.MissingParameters(nil) {
			params[name] = "x"
		}
		if d.Parameter("configurationName") != nil {
			params["configurationName"] = "log_checkpoints"
		}
		jobs = append(jobs, job{d, &policy.Env{Params: params, Related: set, Now: time.Unix(0, 0)}})
	}
	conds := 0
	for _, j := range jobs {
		conds += j.d.ConditionCount()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, j := range jobs {
			for _, s := range servers {
				j.d.Evaluate(s, j.env)
			}
		}
	}
	perOp := float64(conds * len(servers))
	b.ReportMetric(perOp*float64(b.N)/b.Elapsed().Seconds(), "conditions/s")
	b.ReportMetric(float64(len(jobs)*len(servers)), "evaluations/op")
}

// TestConcurrentEvaluate: a Definition is safe for concurrent use.
func TestConcurrentEvaluate(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	server := example(t, "2025-08-01_ServersGet.json")
	set := arm.NewSet(server, config("require_secure_transport", "on"))
	want := map[string]policy.State{}
	for _, d := range all {
		want[d.Name] = d.Evaluate(server, &policy.Env{Related: set, Params: map[string]any{"configurationName": "log_checkpoints", "configurationValue": "on"}}).State
	}
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			msg := ""
			for i := 0; i < 20 && msg == ""; i++ {
				for _, d := range all {
					got := d.Evaluate(server, &policy.Env{Related: set, Params: map[string]any{"configurationName": "log_checkpoints", "configurationValue": "on"}}).State
					if got != want[d.Name] {
						msg = fmt.Sprintf("%s: %s, want %s", d.Name, got, want[d.Name])
					}
				}
			}
			done <- msg
		}()
	}
	for g := 0; g < 4; g++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// TestZoneResilientAllow runs 493c215d with each value of its allow
// parameter against the three HA modes.
func TestZoneResilientAllow(t *testing.T) {
	d := ByName("493c215d-2553-4976-bc81-57d2c04fc8c1")
	server := func(mode string) *arm.Resource {
		props := map[string]any{}
		if mode != "" {
			props["highAvailability"] = map[string]any{"mode": mode}
		}
		return arm.New(map[string]any{"id": serverID, "name": "exampleserver", "type": "Microsoft.DBforPostgreSQL/flexibleServers",
			"location": "eastus", "properties": props}, arm.Origin{})
	}
	want := map[string]map[string]policy.State{
		"Both":      {"ZoneRedundant": policy.Compliant, "SameZone": policy.Compliant, "Disabled": policy.NonCompliant, "": policy.NonCompliant},
		"Redundant": {"ZoneRedundant": policy.Compliant, "SameZone": policy.NonCompliant, "Disabled": policy.NonCompliant, "": policy.NonCompliant},
		"Aligned":   {"ZoneRedundant": policy.NonCompliant, "SameZone": policy.Compliant, "Disabled": policy.NonCompliant, "": policy.NonCompliant},
	}
	for allow, modes := range want {
		for mode, state := range modes {
			got := d.Evaluate(server(mode), &policy.Env{Params: map[string]any{"allow": allow}})
			if got.State != state {
				t.Errorf("allow=%s mode=%q: %s, want %s", allow, mode, got.State, state)
			}
		}
	}
	if got := d.Evaluate(server("zoneredundant"), &policy.Env{Params: map[string]any{"allow": "both"}}); got.State != policy.Error {
		t.Errorf("allow=both (allowed values are case-sensitive): %s", got.State)
	}
}
