package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/report"
)

// resultsJSON is the report's results without what a snapshot may change:
// locations (origins).
func resultsJSON(t *testing.T, rep *report.Report) string {
	t.Helper()
	rs := append([]report.Result{}, rep.Results...)
	for i := range rs {
		rs[i].Location = nil
	}
	data, err := json.MarshalIndent(rs, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestSnapshotRoundTrip(t *testing.T) {
	f := newFakeARM(t, 3, 4)
	f.forbidden[strings.ToLower(idOf(f.servers[f.subs[0]][0]))+"/firewallrules"] = true
	hiddenCfg := idOf(f.servers[f.subs[1]][3]) // no exemption covers it
	f.forbidden[strings.ToLower(hiddenCfg)+"/configurations"] = true
	f.forbidden[f.subs[2]] = true
	res := scanFake(t, f, Options{})
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := scan.NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	live, err := eng.Run(context.Background(), scan.Options{Inputs: res.Inputs, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// No verdict on the server whose parameters were refused is reached
	// on the defaults: every rule that needs them says Error.
	marked := 0
	for _, r := range live.Results {
		if !strings.EqualFold(r.ResourceID, hiddenCfg) || !containsFold(needs(cat, "Microsoft.DBforPostgreSQL/flexibleServers/configurations"), r.RuleID) {
			continue
		}
		if r.Status == report.Error {
			marked++
		} else if r.Status != report.NotApplicable {
			t.Errorf("%s on the server with refused parameters: %s (%s)", r.RuleID, r.Status, r.Message)
		}
	}
	if marked == 0 {
		t.Errorf("no result was marked for the hidden server parameters")
	}
	path := filepath.Join(t.TempDir(), "snapshot.json")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSnapshot(out, res); err != nil {
		t.Fatal(err)
	}
	out.Close()

	loader := &scan.Loader{Readers: []scan.DocumentReader{ReadSnapshot}}
	again, err := eng.Run(context.Background(), scan.Options{Paths: []string{path}, Loader: loader, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprint(live.Summary, live.Controls), fmt.Sprint(again.Summary, again.Controls); a != b {
		t.Errorf("summary and controls differ:\nlive:     %s\nsnapshot: %s", a, b)
	}
	if len(live.Results) < 50 {
		t.Fatalf("only %d results from the live scan", len(live.Results))
	}
	if a, b := resultsJSON(t, live), resultsJSON(t, again); a != b {
		t.Errorf("the snapshot's results differ from the live scan's (%d vs %d results)", len(live.Results), len(again.Results))
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := 0; i < len(al) && i < len(bl); i++ {
			if al[i] != bl[i] {
				t.Fatalf("first difference at line %d:\nlive:     %s\nsnapshot: %s", i, al[i], bl[i])
			}
		}
	}
	var access int
	for _, r := range again.Results {
		if r.RuleID == AccessRuleID && r.Status == report.Error {
			access++
		}
	}
	if access != 3 { // firewall rules, parameters, the denied subscription's exemptions
		t.Errorf("access errors after the round trip = %d, want 3", access)
	}
	if len(live.Errors) != len(again.Errors) {
		t.Errorf("errors: live %d, snapshot %d", len(live.Errors), len(again.Errors))
	}
}

func TestReadSnapshotRejectsOtherVersions(t *testing.T) {
	data := []byte(`{"value": [], "pgbaseline": {"kind": "pgbaseline-azure-snapshot", "version": 7}}`)
	var doc any
	_ = json.Unmarshal(data, &doc)
	in, ok := ReadSnapshot("snap.json", data, doc, nil)
	if !ok || len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Error(), "snap.json: pgbaseline.version: snapshot version 7 is not supported") {
		t.Errorf("ok=%v errors=%v", ok, in.Errors)
	}
	if _, ok := ReadSnapshot("x.json", []byte(`{"value": []}`), map[string]any{"value": []any{}}, nil); ok {
		t.Errorf("a plain export was taken for a snapshot")
	}
}
