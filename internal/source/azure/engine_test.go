package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

func engine(t testing.TB) *scan.Engine {
	t.Helper()
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := scan.NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// without returns copies of the inputs without the resources of type typ.
func without(inputs []*source.Input, typ string) []*source.Input {
	var out []*source.Input
	for _, in := range inputs {
		c := *in
		c.Resources = nil
		for _, r := range in.Resources {
			if !strings.EqualFold(r.Type, typ) {
				c.Resources = append(c.Resources, r)
			}
		}
		out = append(out, &c)
	}
	return out
}

// needs lists the catalog's rules that declare they need data of type typ.
func needs(cat *baseline.Catalog, typ string) []string {
	var out []string
	for _, r := range cat.Rules {
		if containsFold(r.Needs, typ) {
			out = append(out, r.ID)
		}
	}
	return out
}

// TestNeedsCoverTheCatalog removes each type a read can lose and checks
// that every rule whose verdict on a server changes declares that it needs
// the type (the catalog's needs): otherwise a refused read would leave a
// verdict reached on missing data.
func TestNeedsCoverTheCatalog(t *testing.T) {
	f := newFakeARM(t, 1, 3)
	delete(f.lists, "/subscriptions/"+f.subs[0]+"/providers/microsoft.authorization/policyexemptions") // it exempts everything
	res := scanFake(t, f, Options{})
	eng := engine(t)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	verdicts := func(inputs []*source.Input) map[string]report.Status {
		rep, err := eng.Run(context.Background(), scan.Options{Inputs: inputs, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]report.Status{}
		for _, r := range rep.Results {
			if strings.EqualFold(r.ResourceType, flexserver.ServerType) {
				out[r.RuleID+" "+r.ResourceID] = r.Status
			}
		}
		return out
	}
	full := verdicts(res.Inputs)
	types := []string{flexserver.ConfigurationType, flexserver.FirewallRuleType, flexserver.AdministratorType,
		flexserver.ThreatProtectionType, flexserver.DatabaseType, flexserver.PrivateEndpointConnType,
		flexserver.DiagnosticSettingsType, SubnetType, NSGType, VaultType, KeyType}
	for _, typ := range types {
		changed := 0
		for k, st := range verdicts(without(res.Inputs, typ)) {
			if full[k] == st {
				continue
			}
			changed++
			rule := strings.Fields(k)[0]
			if !containsFold(needs(eng.Catalog, typ), rule) {
				t.Errorf("without %s, %s changes from %s to %s, but the rule does not declare needs: [%s]", typ, k, full[k], st, typ)
			}
		}
		if len(needs(eng.Catalog, typ)) > 0 && changed == 0 && typ != flexserver.PrivateEndpointConnType {
			t.Errorf("without %s no verdict changes: is the fake missing it?", typ)
		}
	}
}

func TestDeniedSubscriptionIsAnIncompleteScan(t *testing.T) {
	f := newFakeARM(t, 2, 2)
	f.forbidden[f.subs[1]] = true
	f.noGraph = true
	res := scanFake(t, f, Options{Subscriptions: f.subs})
	if len(res.Inputs) != 2 || len(res.Inputs[0].Errors) != 0 || len(res.Inputs[1].Errors) == 0 {
		t.Fatalf("inputs %d, errors of the readable one %v, of the denied one %v", len(res.Inputs), res.Inputs[0].Errors, res.Inputs[1].Errors)
	}
	got := map[string]string{}
	for _, fd := range res.Inputs[1].Findings {
		key := fd.RuleID
		if fd.RuleID == AccessRuleID {
			key += " " + fd.Evidence["type"].(string)
		}
		got[key] = string(fd.Status)
		if fd.Resource == nil || fd.Resource.ID != "/subscriptions/"+f.subs[1] || !strings.Contains(fd.Message, "403") {
			t.Errorf("finding %s on %v: %q", key, fd.Resource, fd.Message)
		}
	}
	want := map[string]string{AssignmentRuleID: "Error", DefenderRuleID: "Error", AccessRuleID + " " + flexserver.ServerType: "Error"}
	if len(got) != len(want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %s", k, got[k], v)
		}
	}
	rep, err := engine(t).Run(context.Background(), scan.Options{Inputs: res.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	// The scan went on (the readable subscription's servers are judged),
	// but it is incomplete: exit 2, with the refusals named in errors.
	if code := scan.ExitCode(rep, "never"); code != 2 {
		t.Errorf("exit code %d, want 2: a denied subscription makes the scan incomplete", code)
	}
	if len(rep.Errors) == 0 || !strings.Contains(rep.Errors[0].Message, "403") {
		t.Errorf("errors %+v, want the refusals named", rep.Errors)
	}
	judged := false
	for _, r := range rep.Results {
		judged = judged || (r.ResourceType == flexserver.ServerType && r.Status == report.Compliant)
	}
	if !judged {
		t.Error("no server of the readable subscription was judged")
	}
}

// TestSmallFleet is the benchmark's shape at a size the normal test run
// affords: it checks the number of calls per server, not the time.
func TestSmallFleet(t *testing.T) {
	f := newFakeARM(t, 2, 10)
	f.pageSize = 1000
	f.latency = time.Millisecond
	res := scanFake(t, f, Options{Concurrency: 8})
	if n := byType(res)[flexserver.ServerType]; n != 20 {
		t.Fatalf("servers = %d, want 20", n)
	}
	// Per server: 5 child lists, diagnostic settings, and the private
	// endpoint connections when the server does not embed them; per
	// subscription: the list, plan, assignments, exemptions, one subnet,
	// NSG, vault list and key; one Resource Graph query.
	perServer := float64(f.calls.Load()) / 20
	if perServer > 7.5 || res.Calls != f.calls.Load() {
		t.Errorf("%.2f calls per server (scanner counted %d, server saw %d), want at most 7.5", perServer, res.Calls, f.calls.Load())
	}
}

func TestNoTokenInReportAtVerboseLogging(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	azlog.SetListener(func(ev azlog.Event, msg string) {
		mu.Lock()
		logs.WriteString(string(ev) + ": " + msg + "\n")
		mu.Unlock()
	})
	azlog.SetEvents()
	defer azlog.SetListener(nil)
	f := newFakeARM(t, 2, 3)
	f.forbidden[f.subs[1]] = true
	f.throttle[strings.ToLower(idOf(f.servers[f.subs[0]][0]))+"/databases"] = 1
	res := scanFake(t, f, Options{})
	eng := engine(t)
	rep, err := eng.Run(context.Background(), scan.Options{Inputs: res.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, ft := range []report.Format{report.FormatJSON, report.FormatSARIF, report.FormatHTML, report.FormatTable} {
		if err := report.Write(&out, rep, ft, report.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := json.Marshal(rep)
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "Retry") {
		t.Errorf("the azcore log shows no retry: is verbose logging on?")
	}
	for name, s := range map[string]string{"log": logs.String(), "reports": out.String(), "report JSON": string(data)} {
		if strings.Contains(s, tokenMarker) {
			t.Errorf("the token appears in the %s", name)
		}
	}
}
