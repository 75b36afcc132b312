package store_test

import (
	"context"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestSeverityQueries: ResultFilter.Severity keeps the results of one
// severity, and FailuresBySeverity counts a scan's NonCompliant results
// as the report does, in both databases.
func TestSeverityQueries(t *testing.T) {
	for name, setup := range backends() {
		t.Run(name, func(t *testing.T) {
			st := setup(t)(t)
			rep := realReport(t)
			sc := doneScan(t, st, "exports", rep)
			empty := doneScan(t, st, "none", &report.Report{})
			want := report.CountFailures(rep.Results).BySeverity
			if len(want) == 0 {
				t.Fatal("the report has no failure: the test proves nothing")
			}
			for _, sev := range []report.Severity{report.Critical, report.High, report.Medium, report.Low} {
				n := 0
				for _, r := range rep.Results {
					if r.Severity == sev {
						n++
					}
				}
				got, err := st.Results(ctx, sc.ID, store.ResultFilter{Severity: sev})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Errorf("severity %s: %d results, want %d", sev, len(got), n)
				}
				for _, r := range got {
					if r.Severity != sev {
						t.Errorf("severity %s filter gave a %s result", sev, r.Severity)
					}
				}
			}
			fc, ok := st.(interface {
				FailuresBySeverity(context.Context, []string) (map[string]map[report.Severity]int, error)
			})
			if !ok {
				t.Fatal("the store has no FailuresBySeverity")
			}
			got, err := fc.FailuresBySeverity(ctx, []string{sc.ID, empty.ID})
			if err != nil {
				t.Fatal(err)
			}
			for sev, n := range want {
				if got[sc.ID][sev] != n {
					t.Errorf("FailuresBySeverity %s = %d, want %d", sev, got[sc.ID][sev], n)
				}
			}
			if len(got[empty.ID]) != 0 {
				t.Errorf("a scan with no results has failures %v", got[empty.ID])
			}
		})
	}
}
