package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

const tokenMarker = "SECRET-TOKEN-MARKER-d41d8cd98f00b204e9800998ecf8427e"

func scanFake(t testing.TB, f *fakeARM, o Options) *Result {
	t.Helper()
	t.Setenv(TokenEnv, tokenMarker)
	o.ARMEndpoint = f.srv.URL
	o.retryDelay = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Scan(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// byType counts the resources of each type across the inputs.
func byType(res *Result) map[string]int {
	out := map[string]int{}
	for _, in := range res.Inputs {
		for _, r := range in.Resources {
			out[r.Type]++
		}
	}
	return out
}

func findings(res *Result) []source.Finding {
	var out []source.Finding
	for _, in := range res.Inputs {
		out = append(out, in.Findings...)
	}
	return out
}

func TestScanReadsEverythingAndSurvivesFaults(t *testing.T) {
	f := newFakeARM(t, 3, 5)
	gone := strings.ToLower(idOf(f.servers[f.subs[0]][2]))
	srv1 := strings.ToLower(idOf(f.servers[f.subs[0]][1]))
	f.gone[gone] = true                   // deleted mid-scan: its children answer 404
	f.throttle[srv1+"/firewallrules"] = 1 // 429 with Retry-After: 1
	f.fail[srv1+"/databases"] = 2         // 500 twice, then 200
	f.fail["/providers/microsoft.resourcegraph/resources"] = 1
	f.forbidden[f.subs[2]] = true // 403 on everything under the third subscription
	res := scanFake(t, f, Options{Concurrency: 4})

	if len(res.Inputs) != 3 {
		t.Fatalf("inputs = %d, want one per subscription", len(res.Inputs))
	}
	for i, in := range res.Inputs {
		if in.Kind != source.KindAzure || in.Location != "/subscriptions/"+f.subs[i] {
			t.Errorf("input %d = %s %s", i, in.Kind, in.Location)
		}
	}
	got := byType(res)
	want := map[string]int{
		flexserver.ServerType:             9, // 5 + 5 - 1 deleted; the forbidden subscription shows none
		flexserver.ConfigurationType:      27,
		flexserver.FirewallRuleType:       9,
		flexserver.AdministratorType:      9,
		flexserver.ThreatProtectionType:   9,
		flexserver.DatabaseType:           9,
		flexserver.DiagnosticSettingsType: 9,
		SubnetType:                        2, // one per subscription, read once however many servers share it
		NSGType:                           2,
		VaultType:                         2,
		KeyType:                           2,
		PricingType:                       2,
		AssignmentType:                    1,
		ExemptionType:                     1,
		SubscriptionType:                  3, // the forbidden one too: its rules' results are Errors
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: %d resources, want %d", typ, got[typ], n)
		}
	}
	for _, in := range res.Inputs {
		for _, r := range in.Resources {
			if strings.HasPrefix(strings.ToLower(r.ID), gone) {
				t.Errorf("deleted server still reported: %s", r.ID)
			}
			if r.Origin != (arm.Origin{}) {
				t.Errorf("live resource %s has an origin %+v", r.ID, r.Origin)
			}
		}
		// Only refusals are errors (retried 429 and 500, a deleted server
		// are not), and each names the 403.
		forbidden := in.Location == "/subscriptions/"+f.subs[2]
		if forbidden == (len(in.Errors) == 0) {
			t.Errorf("%s: input errors %v; want them for the refused reads only", in.Location, in.Errors)
		}
		for _, e := range in.Errors {
			if !strings.Contains(e.Msg, "could not read") || !strings.Contains(e.Msg, "403 Forbidden") {
				t.Errorf("%s: error %q does not name the refused read", in.Location, e.Msg)
			}
		}
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "deleted during the scan") {
		t.Errorf("notes = %q, want the deleted server named", res.Notes)
	}
	// Every subscription gets one AM-2 and one LT-1 verdict; the forbidden
	// one's are Errors, with an access error for its exemptions.
	verdicts := map[string]string{}
	for i, in := range res.Inputs {
		for _, fd := range in.Findings {
			if fd.Resource == nil || fd.Resource.ID != "/subscriptions/"+f.subs[i] {
				t.Errorf("%s: finding on %v", in.Location, fd.Resource)
				continue
			}
			key := fmt.Sprintf("%d %s", i, fd.RuleID)
			if fd.RuleID == AccessRuleID {
				key += " " + fd.Evidence["type"].(string)
			}
			verdicts[key] = string(fd.Status)
			if fd.Status == "Error" && !strings.Contains(fd.Message, "403 Forbidden") {
				t.Errorf("%s: error message %q does not say why", key, fd.Message)
			}
		}
	}
	wantVerdicts := map[string]string{
		"0 PGB-AM2-02": "Compliant", "0 PGB-LT1-02": "Compliant",
		"1 PGB-AM2-02": "NonCompliant", "1 PGB-LT1-02": "NonCompliant",
		"2 PGB-AM2-02": "Error", "2 PGB-LT1-02": "Error",
		"2 PGB-ACCESS " + ExemptionType: "Error",
	}
	if fmt.Sprint(verdicts) != fmt.Sprint(wantVerdicts) {
		t.Errorf("subscription verdicts = %v\nwant %v", verdicts, wantVerdicts)
	}
	if len(res.Assignments) != 1 || len(res.Exemptions) != 1 {
		t.Errorf("assignments %d exemptions %d, want 1 and 1", len(res.Assignments), len(res.Exemptions))
	}
	// A server's configurations came in two pages (nextLink) and its
	// private endpoint connections embedded or listed.
	set := arm.NewSet()
	for _, in := range res.Inputs {
		for _, r := range in.Resources {
			set.Add(r)
		}
	}
	if n := len(set.Children(idOf(f.servers[f.subs[0]][0]), flexserver.ConfigurationType)); n != 3 {
		t.Errorf("configurations of one server = %d, want 3 across two pages", n)
	}
	key := set.OfType(KeyType)[0]
	if _, ok := key.Get("properties.rotationPolicy.lifetimeActions"); !ok {
		t.Errorf("key without its rotation policy: %v", key.Object)
	}
	if !f.auth["Bearer "+tokenMarker] || len(f.auth) != 1 {
		t.Errorf("Authorization headers seen: %d distinct", len(f.auth))
	}
}

func TestResourceGraphUnavailableFallsBackToARM(t *testing.T) {
	f := newFakeARM(t, 2, 5)
	f.noGraph = true
	f.forbidden["/subscriptions/"+f.subs[1]+"/providers/microsoft.dbforpostgresql/flexibleservers"] = true
	res := scanFake(t, f, Options{})
	if got := byType(res)[flexserver.ServerType]; got != 5 {
		t.Errorf("servers = %d, want the 5 of the readable subscription (listed in pages of 2)", got)
	}
	var access []string
	for _, fd := range res.Inputs[1].Findings {
		if fd.RuleID == AccessRuleID {
			access = append(access, string(fd.Status)+": "+fd.Message)
		}
	}
	if e := res.Inputs[1].Errors; len(e) != 1 || !strings.Contains(e[0].Msg, "could not read the flexible servers of the subscription: 403") ||
		len(access) != 1 || !strings.Contains(access[0], "Error: could not read the flexible servers of the subscription: 403") {
		t.Errorf("subscription whose servers cannot be listed: errors %v, access findings %q", res.Inputs[1].Errors, access)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "Resource Graph is unavailable") {
		t.Errorf("notes = %q", res.Notes)
	}
}

func TestNarrowing(t *testing.T) {
	f := newFakeARM(t, 3, 2)
	res := scanFake(t, f, Options{Subscriptions: []string{f.subs[1], "/subscriptions/" + f.subs[1], "ffffffff-0000-0000-0000-000000000000"}})
	if len(res.Inputs) != 2 || res.Inputs[0].Location != "/subscriptions/"+f.subs[1] {
		t.Fatalf("inputs = %d", len(res.Inputs))
	}
	if byType(res)[flexserver.ServerType] != 2 {
		t.Errorf("servers = %d", byType(res)[flexserver.ServerType])
	}
	if e := res.Inputs[1].Errors; len(e) != 1 || !strings.Contains(e[0].Msg, "404") {
		t.Errorf("unknown subscription errors = %v", e)
	}
	f.noGraph = true
	res = scanFake(t, f, Options{ResourceGroups: []string{"rg", "missing"}})
	if byType(res)[flexserver.ServerType] != 6 {
		t.Errorf("servers in rg = %d", byType(res)[flexserver.ServerType])
	}
}

func TestChildForbiddenIsAnErrorFinding(t *testing.T) {
	f := newFakeARM(t, 1, 3)
	id := idOf(f.servers[f.subs[0]][0])
	f.forbidden[strings.ToLower(id)+"/configurations"] = true
	res := scanFake(t, f, Options{})
	var fs []source.Finding
	for _, fd := range findings(res) {
		if fd.RuleID == AccessRuleID {
			fs = append(fs, fd)
		}
	}
	if len(fs) != 1 {
		t.Fatalf("findings = %+v", fs)
	}
	fd := fs[0]
	if fd.Resource == nil || fd.Resource.ID != id || fd.Status != "Error" || fd.Evidence["type"] != flexserver.ConfigurationType ||
		fd.Message != "could not read the server parameters (configurations): 403 Forbidden (AuthorizationFailed); the rules that need it cannot be judged" {
		t.Errorf("finding = %+v %q", fd.Resource, fd.Message)
	}
	if n := byType(res)[flexserver.ConfigurationType]; n != 6 {
		t.Errorf("configurations = %d, want those of the two other servers", n)
	}
}

func TestNoTokenInAnyOutput(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	azlog.SetListener(func(ev azlog.Event, msg string) {
		mu.Lock()
		logs.WriteString(string(ev) + ": " + msg + "\n")
		mu.Unlock()
	})
	azlog.SetEvents() // every event: requests, responses, retries
	defer azlog.SetListener(nil)
	f := newFakeARM(t, 2, 3)
	f.forbidden[f.subs[1]] = true
	f.fail["/providers/microsoft.resourcegraph/resources"] = 1
	var progress bytes.Buffer
	res := scanFake(t, f, Options{Progress: &progress})
	var snap bytes.Buffer
	if err := WriteSnapshot(&snap, res); err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, in := range res.Inputs {
		for _, e := range in.Errors {
			errs = append(errs, e.Error())
		}
		for _, fd := range in.Findings {
			errs = append(errs, fd.Message)
		}
	}
	cred := NewStaticToken(tokenMarker)
	all := map[string]string{"azcore log": logs.String(), "snapshot": snap.String(), "progress": progress.String(),
		"errors": strings.Join(errs, "\n"), "notes": strings.Join(res.Notes, "\n"), "credential": cred.String() + " " + cred.GoString()}
	if !strings.Contains(logs.String(), "Authorization: REDACTED") {
		t.Errorf("the azcore log shows no redacted Authorization header; is logging on?")
	}
	for name, out := range all {
		if strings.Contains(out, tokenMarker) {
			t.Errorf("the token appears in the %s", name)
		}
	}
}

func TestEndpointAndCloud(t *testing.T) {
	tests := []struct {
		cloud, endpoint, wantErr string
		insecure                 bool
	}{
		{"", "", "", false},
		{"AzureChina", "", "", false},
		{"azureusgovernment", "", "", false},
		{"Mars", "", `--cloud: "Mars" is not one of`, false},
		{"", "http://127.0.0.1:8080", "", true},
		{"", "http://localhost:1", "", true},
		{"", "http://[::1]:1", "", true},
		{"", "http://management.example.com", "plain http is allowed only on loopback", false},
		{"", "https://management.local.azurestack.external", "", false},
		{"", "ftp://x", `scheme "ftp"`, false},
		{"", "/relative", "not an absolute URL", false},
	}
	for _, tt := range tests {
		cfg, insecure, err := cloudConfig(tt.cloud, tt.endpoint)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s %s: err = %v, want %q", tt.cloud, tt.endpoint, err, tt.wantErr)
			}
			continue
		}
		if err != nil || insecure != tt.insecure {
			t.Errorf("%s %s: err %v insecure %v", tt.cloud, tt.endpoint, err, insecure)
		}
		if tt.endpoint != "" && cfg.Services["resourceManager"].Endpoint != tt.endpoint {
			t.Errorf("endpoint = %q", cfg.Services["resourceManager"].Endpoint)
		}
	}
}

func TestCancelled(t *testing.T) {
	f := newFakeARM(t, 1, 4)
	f.latency = 50 * time.Millisecond
	t.Setenv(TokenEnv, tokenMarker)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	if _, err := Scan(ctx, Options{ARMEndpoint: f.srv.URL}); err == nil {
		t.Errorf("a scan past its deadline succeeded")
	}
}

func TestSubscriptionChecks(t *testing.T) {
	sub := "/subscriptions/s"
	mk := func(obj map[string]any) *arm.Resource { return arm.New(obj, arm.Origin{}) }
	subRes := mk(map[string]any{"id": sub, "type": SubscriptionType, "name": "s"})
	assign := func(scope, def string) *arm.Resource {
		return mk(map[string]any{"id": scope + "/providers/Microsoft.Authorization/policyAssignments/a", "type": AssignmentType, "name": "a",
			"properties": map[string]any{"scope": scope, "policyDefinitionId": def}})
	}
	pricing := func(tier string) *arm.Resource {
		return mk(map[string]any{"id": sub + "/providers/Microsoft.Security/pricings/" + DefenderPlan, "type": PricingType,
			"name": DefenderPlan, "properties": map[string]any{"pricingTier": tier}})
	}
	tests := []struct {
		name    string
		fn      SubscriptionCheck
		related []*arm.Resource
		want    report.Status
	}{
		{"MCSB at subscription", PolicyAssignmentCheck, []*arm.Resource{assign(sub, "/providers/Microsoft.Authorization/policySetDefinitions/"+MCSBInitiative)}, report.Compliant},
		{"MCSB at management group", PolicyAssignmentCheck, []*arm.Resource{assign("/providers/Microsoft.Management/managementGroups/mg", "/providers/Microsoft.Authorization/policySetDefinitions/"+MCSBInitiative)}, report.Compliant},
		{"MCSB at a resource group only", PolicyAssignmentCheck, []*arm.Resource{assign(sub+"/resourceGroups/rg", "/providers/Microsoft.Authorization/policySetDefinitions/"+MCSBInitiative)}, report.NonCompliant},
		{"other initiative", PolicyAssignmentCheck, []*arm.Resource{assign(sub, "/providers/Microsoft.Authorization/policySetDefinitions/other")}, report.NonCompliant},
		{"no assignment", PolicyAssignmentCheck, nil, report.NonCompliant},
		{"Standard", DefenderPlanCheck, []*arm.Resource{pricing("Standard")}, report.Compliant},
		{"Free", DefenderPlanCheck, []*arm.Resource{pricing("Free")}, report.NonCompliant},
		{"no plan object", DefenderPlanCheck, nil, report.NonCompliant},
	}
	for _, tt := range tests {
		set := arm.NewSet(append([]*arm.Resource{subRes}, tt.related...)...)
		if got := tt.fn(subRes, set, nil); got.Status != tt.want {
			t.Errorf("%s: %s (%s), want %s", tt.name, got.Status, got.Message, tt.want)
		}
	}
}

func TestPoliciesAreLoadableJSON(t *testing.T) {
	f := newFakeARM(t, 1, 1)
	res := scanFake(t, f, Options{})
	for _, raw := range append(res.Assignments, res.Exemptions...) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil || m["properties"] == nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
