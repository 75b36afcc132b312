package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// opener opens a fresh, empty store for one test.
type opener func(t *testing.T) store.Backend

// backends returns, per database, a setup that runs in the database's
// subtest and returns its opener: SQLite in a temporary directory, and a
// real PostgreSQL cluster (one per setup, a new database per store).
func backends() map[string]func(t *testing.T) opener {
	return map[string]func(t *testing.T) opener{
		"sqlite": func(*testing.T) opener {
			return func(t *testing.T) store.Backend { return mustOpen(t, SQLiteURL(t)) }
		},
		"postgres": func(t *testing.T) opener {
			cluster := pgtest.Start(t, pgtest.Config{})
			var n atomic.Int64
			return func(t *testing.T) store.Backend {
				db := fmt.Sprintf("store%d", n.Add(1))
				cluster.Exec(t, "CREATE DATABASE "+db)
				return mustOpen(t, PostgresURL(cluster, db))
			}
		},
	}
}

// SQLiteURL is a fresh SQLite database in the test's temporary directory.
func SQLiteURL(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "pgbaseline.db")
}

func mustOpen(t *testing.T, url string) store.Backend {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	openedURLs.Store(st, url)
	return st
}

// openedURLs maps each store of mustOpen to its URL.
var openedURLs sync.Map

// PostgresURL is the superuser's URL for database db over the cluster's
// unix socket.
func PostgresURL(c *pgtest.Cluster, db string) string {
	return fmt.Sprintf("postgres://postgres:%s@/%s?host=%s&port=%d&sslmode=disable", c.Password, db, c.Dir, c.Port)
}

var ctx = context.Background()

func TestStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, st store.Backend)
	}{
		{"lifecycle", testLifecycle},
		{"failed scan", testFailed},
		{"list scans", testList},
		{"report and results of a real scan", testReportResults},
		{"diff", testDiff},
		{"diff of real reports", testRealDiff},
		{"latest done and trend", testLatestTrend},
		{"scheduled scans are created once", testScheduled},
		{"audit", testAudit},
		{"prune keeps each target's newest done scan", testPrune},
		{"stale running scans are reaped", testReapStale},
		{"results page by cursor", testResultsPage},
		{"results written before texts were shared", testLegacyResults},
		{"pruning drops the texts no result uses", testPruneTexts},
	}
	for name, setup := range backends() {
		t.Run(name, func(t *testing.T) {
			open := setup(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
			}
		})
	}
}

func testLifecycle(t *testing.T, st store.Backend) {
	before := time.Now().Add(-time.Second)
	sc, err := st.CreateScan(ctx, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	if sc.ID == "" || sc.Target != "infra" || sc.Status != store.ScanQueued || sc.Trigger != "api:ci" || sc.QueuedAt.Before(before) || sc.StartedAt != nil {
		t.Fatalf("created scan = %+v", sc)
	}
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	want := func(status store.ScanStatus, attempts int) store.Scan {
		t.Helper()
		got, err := st.GetScan(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status || got.Attempts != attempts {
			t.Fatalf("scan = %s after %d attempts, want %s after %d", got.Status, got.Attempts, status, attempts)
		}
		return got
	}
	step("start", st.StartScan(ctx, sc.ID))
	if got := want(store.ScanRunning, 1); got.StartedAt == nil || got.FinishedAt != nil {
		t.Fatalf("running scan times = %v, %v", got.StartedAt, got.FinishedAt)
	}
	step("requeue", st.RequeueScan(ctx, sc.ID))
	want(store.ScanQueued, 1)
	step("start again", st.StartScan(ctx, sc.ID))
	want(store.ScanRunning, 2)
	rep := fixedReport(map[string]report.Status{"R1/a": report.Compliant, "R2/a": report.NonCompliant})
	step("finish", st.FinishScan(ctx, sc.ID, rep, nil))
	got := want(store.ScanDone, 2)
	if got.FinishedAt == nil || got.Summary != rep.Summary {
		t.Fatalf("done scan = %+v, want summary %+v", got, rep.Summary)
	}
	for what, err := range map[string]error{
		"finish twice":      st.FinishScan(ctx, sc.ID, rep, nil),
		"start when done":   st.StartScan(ctx, sc.ID),
		"requeue when done": st.RequeueScan(ctx, sc.ID),
	} {
		if !errors.Is(err, store.ErrScanState) {
			t.Errorf("%s: err = %v, want ErrScanState", what, err)
		}
	}
	for _, id := range []string{"999999", "abc", "", "-1"} {
		if _, err := st.GetScan(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetScan(%q) err = %v, want ErrNotFound", id, err)
		}
		if err := st.StartScan(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StartScan(%q) err = %v, want ErrNotFound", id, err)
		}
		if _, err := st.Report(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Report(%q) err = %v, want ErrNotFound", id, err)
		}
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testFailed(t *testing.T, st store.Backend) {
	sc, _ := st.CreateScan(ctx, "db", "schedule")
	if err := st.StartScan(ctx, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishScan(ctx, sc.ID, nil, errors.New("postgres host=db user=scanner: connection refused")); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetScan(ctx, sc.ID)
	if got.Status != store.ScanFailed || !strings.Contains(got.Error, "connection refused") || got.FinishedAt == nil {
		t.Fatalf("failed scan = %+v", got)
	}
	if _, err := st.Report(ctx, sc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Report of a failed scan without report: err = %v, want ErrNotFound", err)
	}
	done := doneScan(t, st, "db", fixedReport(map[string]report.Status{"R1/a": report.Compliant}))
	if _, err := st.Diff(ctx, sc.ID, done.ID); !errors.Is(err, store.ErrScanState) {
		t.Errorf("Diff with a failed scan: err = %v, want ErrScanState", err)
	}
	if err := st.FinishScan(ctx, done.ID, nil, nil); err == nil {
		t.Error("FinishScan with neither report nor error succeeded")
	}
}

func testList(t *testing.T, st store.Backend) {
	var ids []string
	for i, target := range []string{"a", "b", "a", "c", "a"} {
		sc, err := st.CreateScan(ctx, target, "schedule")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sc.ID)
		if i == 1 {
			if err := st.StartScan(ctx, sc.ID); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Millisecond) // distinct queue times, for Before
	}
	third, _ := st.GetScan(ctx, ids[2])
	tests := []struct {
		name string
		f    store.ScanFilter
		want []string
	}{
		{"all, newest first", store.ScanFilter{}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"target", store.ScanFilter{Target: "a"}, []string{ids[4], ids[2], ids[0]}},
		{"status", store.ScanFilter{Status: store.ScanRunning}, []string{ids[1]}},
		{"limit", store.ScanFilter{Limit: 2}, []string{ids[4], ids[3]}},
		{"before", store.ScanFilter{Before: third.QueuedAt}, []string{ids[1], ids[0]}},
		{"target and before", store.ScanFilter{Target: "a", Before: third.QueuedAt}, []string{ids[0]}},
		{"no match", store.ScanFilter{Target: "zzz"}, []string{}},
	}
	for _, tc := range tests {
		got, err := st.ListScans(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		gotIDs := []string{}
		for _, s := range got {
			gotIDs = append(gotIDs, s.ID)
		}
		if !reflect.DeepEqual(gotIDs, tc.want) {
			t.Errorf("%s: ListScans = %v, want %v", tc.name, gotIDs, tc.want)
		}
	}
}

var (
	realOnce sync.Once
	realRep  *report.Report
	realErr  error
)

// realReport scans the project's exported-resource examples.
func realReport(t *testing.T) *report.Report {
	realOnce.Do(func() {
		cat, err := baseline.Load()
		if err != nil {
			realErr = err
			return
		}
		eng, err := scan.NewEngine(cat, nil)
		if err != nil {
			realErr = err
			return
		}
		realRep, realErr = eng.Run(ctx, scan.Options{Paths: []string{"../../examples/exports"}, ToolVersion: "test"})
	})
	if realErr != nil {
		t.Fatal(realErr)
	}
	if len(realRep.Results) < 20 {
		t.Fatalf("the example scan gave only %d results", len(realRep.Results))
	}
	return realRep
}

func testReportResults(t *testing.T, st store.Backend) {
	rep := realReport(t)
	sc := doneScan(t, st, "exports", rep)
	got, err := st.Report(ctx, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(rep)
	gotJSON, _ := json.Marshal(got)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("the stored report differs from the scan's (%d vs %d bytes)", len(gotJSON), len(wantJSON))
	}
	first := rep.Results[0]
	filters := []store.ResultFilter{
		{},
		{Control: "NS-2"},
		{Status: report.NonCompliant},
		{Status: report.Compliant, Control: "DP-3"},
		{ResourceID: strings.ToUpper(first.ResourceID)},
		{RuleID: first.RuleID},
		{RuleID: first.RuleID, ResourceID: first.ResourceID},
		{Control: "no-such-control"},
	}
	for _, f := range filters {
		var want []report.Result
		for _, r := range rep.Results {
			if (f.Control == "" || r.ControlID == f.Control) && (f.Status == "" || r.Status == f.Status) &&
				(f.ResourceID == "" || strings.EqualFold(r.ResourceID, f.ResourceID)) && (f.RuleID == "" || r.RuleID == f.RuleID) {
				want = append(want, r)
			}
		}
		got, err := st.Results(ctx, sc.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("Results(%+v) = %d results, want %d", f, len(got), len(want))
			continue
		}
		for i := range got {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			if string(g) != string(w) {
				t.Errorf("Results(%+v)[%d] = %s, want %s", f, i, g, w)
				break
			}
		}
	}
	if _, err := st.Results(ctx, "424242", store.ResultFilter{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Results of a missing scan: err = %v, want ErrNotFound", err)
	}
	// A real report diffed with itself has nothing to say.
	again := doneScan(t, st, "exports", rep)
	d, err := st.Diff(ctx, sc.ID, again.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Regressed)+len(d.Fixed) != 0 {
		t.Errorf("a report diffed with itself: %d regressed, %d fixed", len(d.Regressed), len(d.Fixed))
	}
}

// fixedReport builds a report with one result per "RULE/resource" key.
func fixedReport(results map[string]report.Status) *report.Report {
	keys := make([]string, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "pgbaseline", Version: "test"},
		Targets: []report.Target{}, Resources: []report.Resource{}, Errors: []report.ErrorEntry{}}
	controls := map[string]map[report.Status]int{}
	for _, k := range keys {
		rule, res, _ := strings.Cut(k, "/")
		control := "DP-3"
		if rule >= "R5" {
			control = "NS-2"
		}
		st := results[k]
		rep.Results = append(rep.Results, report.Result{RuleID: rule, ControlID: control, Title: "rule " + rule,
			Severity: report.High, ResourceID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + res,
			ResourceType: "Microsoft.DBforPostgreSQL/flexibleServers", ResourceName: res, Status: st, Message: string(st)})
		rep.Summary.Add(st)
		if controls[control] == nil {
			controls[control] = report.NewCounts()
		}
		controls[control][st]++
	}
	for _, id := range []string{"DP-3", "NS-2"} {
		if c := controls[id]; c != nil {
			status := report.Compliant
			if c[report.NonCompliant] > 0 {
				status = report.NonCompliant
			}
			rep.Controls = append(rep.Controls, report.ControlSummary{ID: id, Status: status, Counts: c})
		}
	}
	return rep
}

// doneScan records a finished scan of target with rep.
func doneScan(t *testing.T, st store.Store, target string, rep *report.Report) store.Scan {
	t.Helper()
	sc, err := st.CreateScan(ctx, target, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StartScan(ctx, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishScan(ctx, sc.ID, rep, nil); err != nil {
		t.Fatal(err)
	}
	sc, err = st.GetScan(ctx, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func keys(rs []report.Result) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.RuleID+"/"+r.ResourceName+"="+string(r.Status))
	}
	sort.Strings(out)
	return out
}

func testDiff(t *testing.T, st store.Backend) {
	from := doneScan(t, st, "infra", fixedReport(map[string]report.Status{
		"R1/a": report.Compliant,     // -> NonCompliant: regressed
		"R2/a": report.NonCompliant,  // -> Compliant: fixed
		"R3/a": report.Unknown,       // -> NonCompliant: Unknown is neither good nor bad
		"R4/a": report.NonCompliant,  // -> absent: fixed
		"R6/a": report.Exempt,        // -> Error: regressed
		"R7/a": report.NonCompliant,  // -> NonCompliant: unchanged
		"R8/a": report.Compliant,     // -> NotApplicable: unchanged
		"R9/a": report.Error,         // -> Unknown: not fixed
		"R1/b": report.NotApplicable, // -> Compliant: unchanged
	}))
	to := doneScan(t, st, "infra", fixedReport(map[string]report.Status{
		"R1/a": report.NonCompliant,
		"R2/a": report.Compliant,
		"R3/a": report.NonCompliant,
		"R5/a": report.NonCompliant, // new: regressed
		"R6/a": report.Error,
		"R7/a": report.NonCompliant,
		"R8/a": report.NotApplicable,
		"R9/a": report.Unknown,
		"R1/b": report.Compliant,
	}))
	d, err := st.Diff(ctx, from.ID, to.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.From != from.ID || d.To != to.ID {
		t.Errorf("diff from %s to %s, want %s to %s", d.From, d.To, from.ID, to.ID)
	}
	if got, want := keys(d.Regressed), []string{"R1/a=NonCompliant", "R5/a=NonCompliant", "R6/a=Error"}; !reflect.DeepEqual(got, want) {
		t.Errorf("regressed = %v, want %v", got, want)
	}
	if got, want := keys(d.Fixed), []string{"R2/a=Compliant", "R4/a=NonCompliant"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fixed = %v, want %v (the newer result, or the older one when the pair is gone)", got, want)
	}
	back, err := st.Diff(ctx, to.ID, from.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(back.Fixed), []string{"R1/a=Compliant", "R5/a=NonCompliant", "R6/a=Exempt"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reverse diff fixed = %v, want %v", got, want)
	}
	if _, err := st.Diff(ctx, from.ID, "31337"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Diff with a missing scan: err = %v, want ErrNotFound", err)
	}
	queued, _ := st.CreateScan(ctx, "infra", "api:ci")
	if _, err := st.Diff(ctx, from.ID, queued.ID); !errors.Is(err, store.ErrScanState) {
		t.Errorf("Diff with a queued scan: err = %v, want ErrScanState", err)
	}
}

func testLatestTrend(t *testing.T, st store.Backend) {
	good := fixedReport(map[string]report.Status{"R1/a": report.Compliant, "R5/a": report.Compliant})
	bad := fixedReport(map[string]report.Status{"R1/a": report.NonCompliant, "R5/a": report.Compliant})
	a1 := doneScan(t, st, "a", good)
	b1 := doneScan(t, st, "b", bad)
	a2 := doneScan(t, st, "a", bad)
	a3 := doneScan(t, st, "a", good)
	failed, _ := st.CreateScan(ctx, "a", "schedule")
	if err := st.FinishScan(ctx, failed.ID, nil, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	_, _ = st.CreateScan(ctx, "c", "schedule") // never done: not in LatestDone
	latest, err := st.LatestDone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range latest {
		got = append(got, s.Target+":"+s.ID)
	}
	if want := []string{"a:" + a3.ID, "b:" + b1.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("LatestDone = %v, want %v", got, want)
	}
	trend, err := st.Trend(ctx, "a", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, p := range trend {
		got = append(got, fmt.Sprintf("%s:%d/%d:%s", p.ScanID, p.Summary.Compliant, p.Summary.NonCompliant, p.Controls["DP-3"]))
	}
	want := []string{a1.ID + ":2/0:Compliant", a2.ID + ":1/1:NonCompliant", a3.ID + ":2/0:Compliant"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Trend(a) = %v, want %v", got, want)
	}
	all, _ := st.Trend(ctx, "", time.Time{})
	if len(all) != 4 {
		t.Errorf("Trend of every target = %d points, want 4", len(all))
	}
	since, _ := st.Trend(ctx, "", *a2.FinishedAt)
	if len(since) != 2 || since[0].ScanID != a2.ID {
		t.Errorf("Trend since the second scan = %+v, want a2 and a3", since)
	}
}

func testScheduled(t *testing.T, st store.Backend) {
	slot := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	first, created, err := st.CreateScheduledScan(ctx, "infra", slot)
	if err != nil || !created || first.Trigger != "schedule" || first.Status != store.ScanQueued {
		t.Fatalf("first CreateScheduledScan = %+v, %v, %v", first, created, err)
	}
	again, created, err := st.CreateScheduledScan(ctx, "infra", slot)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second CreateScheduledScan = %s, %v, %v; want %s, false", again.ID, created, err, first.ID)
	}
	other, created, _ := st.CreateScheduledScan(ctx, "other", slot)
	next, created2, _ := st.CreateScheduledScan(ctx, "infra", slot.Add(time.Hour))
	if !created || !created2 || other.ID == first.ID || next.ID == first.ID {
		t.Fatalf("another target or slot did not create a new scan")
	}
	// Many callers at once: exactly one creates.
	var wg sync.WaitGroup
	var creators atomic.Int64
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc, created, err := st.CreateScheduledScan(ctx, "race", slot)
			ids[i], errs[i] = sc.ID, err
			if created {
				creators.Add(1)
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("concurrent CreateScheduledScan %d = %s, %v; want %s", i, ids[i], errs[i], ids[0])
		}
	}
	if creators.Load() != 1 {
		t.Fatalf("%d concurrent callers created the scan, want 1", creators.Load())
	}
}

func testAudit(t *testing.T, st store.Backend) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i, action := range []string{"scan.trigger", "scan.trigger", "token.login"} {
		if err := st.AppendAudit(ctx, store.AuditEntry{At: at.Add(time.Duration(i) * time.Minute), Actor: "ci", Action: action, Object: fmt.Sprint("infra", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Audit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AuditEntry{
		{At: at.Add(2 * time.Minute), Actor: "ci", Action: "token.login", Object: "infra2"},
		{At: at.Add(time.Minute), Actor: "ci", Action: "scan.trigger", Object: "infra1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Audit(2) = %+v, want %+v", got, want)
	}
}

var (
	fileReports = map[string]*report.Report{}
	fileMu      sync.Mutex
)

// scanFile scans one example file (cached).
func scanFile(t *testing.T, path string) *report.Report {
	t.Helper()
	fileMu.Lock()
	defer fileMu.Unlock()
	if r := fileReports[path]; r != nil {
		return r
	}
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := scan.NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Run(ctx, scan.Options{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	fileReports[path] = r
	return r
}

// expectedDiff is Diff's definition written in Go, as an oracle for the SQL.
func expectedDiff(from, to *report.Report) (regressed, fixed []string) {
	good := func(s report.Status) bool {
		return s == report.Compliant || s == report.NotApplicable || s == report.Exempt
	}
	bad := func(s report.Status) bool { return s == report.NonCompliant || s == report.Error }
	index := func(r *report.Report) map[string][]report.Status {
		m := map[string][]report.Status{}
		for _, x := range r.Results {
			k := x.RuleID + "|" + x.ResourceID
			m[k] = append(m[k], x.Status)
		}
		return m
	}
	allGood := func(ss []report.Status) bool {
		for _, s := range ss {
			if !good(s) {
				return false
			}
		}
		return true
	}
	before, after := index(from), index(to)
	for _, x := range to.Results {
		if bad(x.Status) && allGood(before[x.RuleID+"|"+x.ResourceID]) {
			regressed = append(regressed, x.RuleID+"|"+x.ResourceID)
		}
	}
	for _, x := range from.Results {
		if bad(x.Status) && allGood(after[x.RuleID+"|"+x.ResourceID]) {
			fixed = append(fixed, x.RuleID+"|"+x.ResourceID)
		}
	}
	sort.Strings(regressed)
	sort.Strings(fixed)
	return regressed, fixed
}

func pairs(rs []report.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.RuleID+"|"+r.ResourceID)
	}
	sort.Strings(out)
	return out
}

// testRealDiff diffs real scans of the examples (a hardened server, a
// public one, and the whole exports directory) against the Go oracle, and
// checks LatestDone and Trend with them.
func testRealDiff(t *testing.T, st store.Backend) {
	reps := []*report.Report{
		scanFile(t, "../../examples/exports/hardened-server.json"),
		scanFile(t, "../../examples/exports/public-server.json"),
		realReport(t),
		scanFile(t, "../../examples/exports/hardened-server.json"),
	}
	var scans []store.Scan
	for _, r := range reps {
		scans = append(scans, doneScan(t, st, "exports", r))
	}
	total := 0
	for i := range reps {
		for j := range reps {
			if i == j {
				continue
			}
			d, err := st.Diff(ctx, scans[i].ID, scans[j].ID)
			if err != nil {
				t.Fatal(err)
			}
			wantReg, wantFix := expectedDiff(reps[i], reps[j])
			if got := pairs(d.Regressed); !reflect.DeepEqual(got, wantReg) {
				t.Errorf("diff %d->%d regressed: %d results, want %d", i, j, len(got), len(wantReg))
			}
			if got := pairs(d.Fixed); !reflect.DeepEqual(got, wantFix) {
				t.Errorf("diff %d->%d fixed: %d results, want %d", i, j, len(got), len(wantFix))
			}
			total += len(wantReg) + len(wantFix)
		}
	}
	if total == 0 {
		t.Fatal("the real reports never differ: the test proves nothing")
	}
	latest, err := st.LatestDone(ctx)
	if err != nil || len(latest) != 1 || latest[0].ID != scans[3].ID {
		t.Fatalf("LatestDone = %+v, %v; want scan %s", latest, err, scans[3].ID)
	}
	trend, err := st.Trend(ctx, "exports", time.Time{})
	if err != nil || len(trend) != len(reps) {
		t.Fatalf("Trend = %d points, %v", len(trend), err)
	}
	for i, p := range trend {
		if p.Summary != reps[i].Summary || len(p.Controls) != len(reps[i].Controls) {
			t.Errorf("trend point %d: %+v, want summary %+v and %d controls", i, p.Summary, reps[i].Summary, len(reps[i].Controls))
		}
		for _, c := range reps[i].Controls {
			if p.Controls[c.ID] != c.Status {
				t.Errorf("trend point %d: control %s = %s, want %s", i, c.ID, p.Controls[c.ID], c.Status)
			}
		}
	}
}

func testPrune(t *testing.T, st store.Backend) {
	rep := fixedReport(map[string]report.Status{"R1 a": report.NonCompliant})
	old1 := doneScan(t, st, "infra", rep)
	old2 := doneScan(t, st, "infra", rep)
	newest := doneScan(t, st, "infra", rep)
	only := doneScan(t, st, "prod", rep)
	failed, err := st.CreateScan(ctx, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishScan(ctx, failed.ID, nil, errors.New("unreachable")); err != nil {
		t.Fatal(err)
	}
	queued, err := st.CreateScan(ctx, "infra", "api:ci")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit(ctx, store.AuditEntry{Actor: "ci", Action: "scan.trigger", Object: "infra"}); err != nil {
		t.Fatal(err)
	}
	// A cutoff before everything deletes nothing.
	if n, err := st.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune before everything: %d, %v", n, err)
	}
	n, err := st.Prune(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("pruned %d scans, want 3 (two old done scans and the failed one)", n)
	}
	for _, gone := range []store.Scan{old1, old2, failed} {
		if _, err := st.GetScan(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("scan %s still there after pruning: %v", gone.ID, err)
		}
		if _, err := st.Report(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("report of scan %s still there: %v", gone.ID, err)
		}
		if rs, _ := st.Results(ctx, gone.ID, store.ResultFilter{}); len(rs) != 0 {
			t.Errorf("results of scan %s still there: %d", gone.ID, len(rs))
		}
	}
	for _, kept := range []store.Scan{newest, only, queued} {
		if _, err := st.GetScan(ctx, kept.ID); err != nil {
			t.Errorf("scan %s (%s) pruned: %v", kept.ID, kept.Target, err)
		}
	}
	if rs, err := st.Results(ctx, newest.ID, store.ResultFilter{}); err != nil || len(rs) != 1 {
		t.Errorf("the newest scan lost its results: %d, %v", len(rs), err)
	}
	if a, err := st.Audit(ctx, 10); err != nil || len(a) == 0 {
		t.Errorf("pruning touched the audit log: %v, %v", a, err)
	}
}

// testReapStale: a running scan whose heartbeat is older than the cutoff
// is queued again (or failed once it used its attempts), exactly once; a
// scan with a fresh heartbeat is left alone, and the reaped scan's old
// worker learns from Heartbeat that it lost the scan.
func testReapStale(t *testing.T, st store.Backend) {
	begin := func() store.Scan {
		t.Helper()
		sc, err := st.CreateScan(ctx, "infra", "api:ci")
		if err != nil {
			t.Fatal(err)
		}
		started, err := st.BeginScan(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if started.Status != store.ScanRunning || started.Attempts != 1 || started.HeartbeatAt == nil {
			t.Fatalf("begun scan = %+v", started)
		}
		return started
	}
	live, dead, doomed := begin(), begin(), begin()
	if _, err := st.BeginScan(ctx, live.ID); !errors.Is(err, store.ErrScanState) {
		t.Errorf("beginning a running scan again: err = %v, want ErrScanState", err)
	}
	// doomed has used its attempts: four more starts.
	for range 4 {
		if err := st.RequeueScan(ctx, doomed.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.BeginScan(ctx, doomed.ID); err != nil {
			t.Fatal(err)
		}
	}
	// dead's and doomed's replicas stop; a minute passes.
	for _, id := range []string{dead.ID, doomed.ID} {
		if _, err := st.WriteDB().ExecContext(ctx, `UPDATE scans SET heartbeat_us = heartbeat_us - 60000000 WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}
	if held, err := st.Heartbeat(ctx, live.ID, 1); err != nil || !held {
		t.Fatalf("live heartbeat = %v, %v", held, err)
	}
	if got, err := st.ReapStale(ctx, time.Now().Add(-45*time.Second), 5, dead.ID, doomed.ID, "junk"); err != nil || len(got) != 0 {
		t.Fatalf("reaping with both stale scans alive: %v, %v; want nothing", got, err)
	}
	got, err := st.ReapStale(ctx, time.Now().Add(-45*time.Second), 5)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, sc := range got {
		states[sc.ID] = string(sc.Status)
	}
	want := map[string]string{dead.ID: "queued", doomed.ID: "failed"}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("reaped %v, want %v", states, want)
	}
	if again, err := st.ReapStale(ctx, time.Now().Add(-45*time.Second), 5); err != nil || len(again) != 0 {
		t.Errorf("a second reaper got %v, %v; want nothing", again, err)
	}
	failed, _ := st.GetScan(ctx, doomed.ID)
	if failed.Status != store.ScanFailed || failed.FinishedAt == nil || !strings.Contains(failed.Error, "stopped (no heartbeat) after 5 attempts") {
		t.Errorf("doomed scan = %s %q", failed.Status, failed.Error)
	}
	if held, err := st.Heartbeat(ctx, dead.ID, 1); err != nil || held {
		t.Errorf("the dead worker's heartbeat after the reap = %v, %v; want false", held, err)
	}
	// The next attempt takes the lease; the old attempt's never comes back.
	next, err := st.BeginScan(ctx, dead.ID)
	if err != nil || next.Attempts != 2 {
		t.Fatalf("restart: %+v, %v", next, err)
	}
	if held, _ := st.Heartbeat(ctx, dead.ID, 1); held {
		t.Error("attempt 1's heartbeat renewed attempt 2's lease")
	}
	if held, _ := st.Heartbeat(ctx, dead.ID, 2); !held {
		t.Error("attempt 2 lost its own lease")
	}
	if sc, _ := st.GetScan(ctx, live.ID); sc.Status != store.ScanRunning {
		t.Errorf("the live scan became %s", sc.Status)
	}
}

// testResultsPage: paging through a real report's results, under a
// filter or not, gives the same results as reading them at once, and a
// cursor of another scan or a forged one is refused.
func testResultsPage(t *testing.T, st store.Backend) {
	rep := realReport(t)
	sc := doneScan(t, st, "exports", rep)
	other := doneScan(t, st, "exports", rep)
	for _, f := range []store.ResultFilter{{}, {Status: report.NonCompliant}, {Control: "no-such-control"}} {
		all, err := st.Results(ctx, sc.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		paged := []report.Result{}
		cursor, pages := "", 0
		for {
			page, next, err := st.ResultsPage(ctx, sc.ID, f, cursor, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 7 {
				t.Fatalf("a page of %d results, want at most 7", len(page))
			}
			paged = append(paged, page...)
			pages++
			if next == "" {
				break
			}
			if pages > len(all)+1 {
				t.Fatal("paging does not end")
			}
			cursor = next
		}
		if want := max(1, (len(all)+6)/7); pages != want {
			t.Errorf("%+v: %d pages, want %d", f, pages, want)
		}
		g, _ := json.Marshal(paged)
		w, _ := json.Marshal(all)
		if len(paged) != len(all) || string(g) != string(w) {
			t.Errorf("%+v: paging gave %d results, reading at once %d (or different ones)", f, len(paged), len(all))
		}
	}
	_, next, err := st.ResultsPage(ctx, sc.ID, store.ResultFilter{}, "", 3)
	if err != nil || next == "" {
		t.Fatalf("first page: %q, %v", next, err)
	}
	for _, bad := range []string{next + "0x", "abc", other.ID + ".2", "-1"} {
		if _, _, err := st.ResultsPage(ctx, sc.ID, store.ResultFilter{}, bad, 3); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor", bad, err)
		}
	}
	if _, _, err := st.ResultsPage(ctx, "424242", store.ResultFilter{}, "", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing scan's page: err = %v, want ErrNotFound", err)
	}
}

// testLegacyResults: a result row written before results were split (its
// whole JSON in body, no text) is read, filtered and diffed as before.
func testLegacyResults(t *testing.T, st store.Backend) {
	rep := fixedReport(map[string]report.Status{"R1 a": report.Compliant})
	old := doneScan(t, st, "infra", rep)
	legacy := rep.Results[0]
	legacy.Status = report.NonCompliant
	legacy.Title, legacy.Message = "legacy title", "legacy message"
	body, _ := json.Marshal(legacy)
	if _, err := st.WriteDB().ExecContext(ctx, `UPDATE results SET body = $1, status = 'NonCompliant', text_id = NULL WHERE scan_id = $2`,
		string(body), old.ID); err != nil {
		t.Fatal(err)
	}
	got, err := st.Results(ctx, old.ID, store.ResultFilter{Status: report.NonCompliant})
	if err != nil || len(got) != 1 || got[0].Title != "legacy title" || got[0].Message != "legacy message" {
		t.Fatalf("legacy result = %+v, %v", got, err)
	}
	fixed := doneScan(t, st, "infra", rep)
	d, err := st.Diff(ctx, old.ID, fixed.ID)
	if err != nil || len(d.Fixed) != 1 || d.Fixed[0].Status != report.Compliant || len(d.Regressed) != 0 {
		t.Fatalf("diff from a legacy scan = %+v, %v", d, err)
	}
}

// testPruneTexts: pruning a scan deletes the texts only it used, and a
// newer scan sharing the others reads the same results.
func testPruneTexts(t *testing.T, st store.Backend) {
	shared := fixedReport(map[string]report.Status{"R1 a": report.NonCompliant})
	onlyOld := fixedReport(map[string]report.Status{"R1 a": report.NonCompliant, "R2 b": report.Compliant})
	onlyOld.Results[1].Message = "a message no other scan has"
	onlyOld.Summary = report.Summary{}
	old := doneScan(t, st, "infra", onlyOld)
	newest := doneScan(t, st, "infra", shared)
	newer := doneScan(t, st, "infra", shared)
	before, _ := st.Results(ctx, newest.ID, store.ResultFilter{})
	count := func() int {
		var n int
		if err := st.WriteDB().QueryRowContext(ctx, `SELECT count(*) FROM result_texts`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := count()
	// A cutoff between the two scans: the shared texts were last used by
	// the newer one, after it.
	if _, err := st.Prune(ctx, old.FinishedAt.Add(time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetScan(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the old scan was not pruned: %v", err)
	}
	if n := count(); n != n0-1 {
		t.Errorf("%d texts after pruning, want %d (the old scan's own message gone)", n, n0-1)
	}
	after, err := st.Results(ctx, newest.ID, store.ResultFilter{})
	if _, gerr := st.GetScan(ctx, newer.ID); gerr != nil {
		t.Fatal(gerr)
	}
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if err != nil || string(a) != string(b) {
		t.Errorf("the kept scan's results changed: %s, want %s (%v)", a, b, err)
	}
}
