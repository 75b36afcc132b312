package store_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// fleetReport is a report of n results over n/20 servers.
func fleetReport(n int, flip int) *report.Report {
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Targets: []report.Target{}, Resources: []report.Resource{}, Errors: []report.ErrorEntry{}}
	for i := 0; i < n; i++ {
		st := report.Compliant
		if (i+flip)%7 == 0 {
			st = report.NonCompliant
		}
		rep.Results = append(rep.Results, report.Result{RuleID: fmt.Sprintf("R%02d", i%20), ControlID: "DP-3", Title: "a rule",
			ResourceID:   fmt.Sprintf("/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/srv%d", i/20),
			ResourceType: "Microsoft.DBforPostgreSQL/flexibleServers", Status: st, Severity: report.High,
			Message: "what was found", Evidence: map[string]any{"property": "value"}})
		rep.Summary.Add(st)
	}
	return rep
}

func benchStores(b *testing.B) map[string]func(b *testing.B) store.Backend {
	return map[string]func(b *testing.B) store.Backend{
		"sqlite": func(b *testing.B) store.Backend {
			st, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "b.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(b *testing.B) store.Backend {
			c := pgtest.Start(b, pgtest.Config{})
			c.Exec(b, "CREATE DATABASE bench")
			st, err := store.Open(ctx, PostgresURL(c, "bench"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}
}

// BenchmarkFinishScan records a 5,000-result report (250 servers).
func BenchmarkFinishScan(b *testing.B) {
	rep := fleetReport(5000, 0)
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sc, _ := st.CreateScan(ctx, "fleet", "bench")
				if err := st.FinishScan(ctx, sc.ID, rep, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadDiff diffs two 5,000-result scans and reads one filtered
// result list and one full report.
func BenchmarkReadDiff(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b)
			var ids []string
			for _, flip := range []int{0, 3} {
				sc, _ := st.CreateScan(ctx, "fleet", "bench")
				if err := st.FinishScan(ctx, sc.ID, fleetReport(5000, flip), nil); err != nil {
					b.Fatal(err)
				}
				ids = append(ids, sc.ID)
			}
			for _, op := range []struct {
				name string
				f    func() error
			}{
				{"diff", func() error { _, err := st.Diff(ctx, ids[0], ids[1]); return err }},
				{"results-control-status", func() error {
					_, err := st.Results(ctx, ids[1], store.ResultFilter{Control: "DP-3", Status: report.NonCompliant})
					return err
				}},
				{"report", func() error { _, err := st.Report(ctx, ids[1]); return err }},
				{"list-scans", func() error { _, err := st.ListScans(ctx, store.ScanFilter{}); return err }},
			} {
				b.Run(op.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if err := op.f(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
