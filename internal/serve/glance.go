package serve

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// The overview's "posture at a glance": the failing results by severity
// over recent scans, what changed since each target's previous scan, and
// the riskiest failing rules.

// sevPoint is the fleet's failing results by severity just after one
// scan finished: each target counted by its newest scan at that moment.
type sevPoint struct {
	ScanID     string
	Target     string
	FinishedAt time.Time
	BySeverity map[report.Severity]int
}

// targetChange is what changed in one target between its previous done
// scan and its newest.
type targetChange struct {
	Target          string
	From, To        string
	Failing, Before int // NonCompliant results now and in the previous scan
	NewFindings     int // failing now, not before (new servers included)
	FixedFindings   int // failing before, not now
	HasPrevious     bool
}

// Delta is the change in failing results, signed.
func (c targetChange) Delta() int { return c.Failing - c.Before }

// risk is a failing rule and how many resources fail it.
type risk struct {
	RuleID, Title, ControlID string
	// ScanID is a newest scan in which the rule fails, for the link.
	ScanID    string
	Severity  report.Severity
	Resources int
}

// glance is the overview's summary of change, part of the posture.
type glance struct {
	Trend    []sevPoint
	Changes  []targetChange
	New      int
	Fixed    int
	Delta    int
	TopRisks []risk
}

const (
	// trendScans is how many done scans the severity trend reads (the
	// earlier ones set each target's starting counts) and trendPoints how
	// many of the newest it plots.
	trendScans  = 60
	trendPoints = 20
	topRisks    = 10
)

// failureCounter is the store's aggregate count of failures by severity
// (the SQL stores have it); other stores are counted from their results.
type failureCounter interface {
	FailuresBySeverity(ctx context.Context, scanIDs []string) (map[string]map[report.Severity]int, error)
}

func (c *postureCache) severityTrend(ctx context.Context) ([]sevPoint, error) {
	scans, err := c.st.ListScans(ctx, store.ScanFilter{Status: store.ScanDone, Limit: trendScans})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(scans, func(i, j int) bool { return newer(scans[j], scans[i]) })
	ids := make([]string, len(scans))
	for i, sc := range scans {
		ids[i] = sc.ID
	}
	var counts map[string]map[report.Severity]int
	if fc, ok := c.st.(failureCounter); ok {
		if counts, err = fc.FailuresBySeverity(ctx, ids); err != nil {
			return nil, err
		}
	} else {
		counts = map[string]map[report.Severity]int{}
		for _, id := range ids {
			res, err := c.st.Results(ctx, id, store.ResultFilter{Status: report.NonCompliant})
			if err != nil {
				return nil, err
			}
			counts[id] = report.CountFailures(res).BySeverity
		}
	}
	state := map[string]map[report.Severity]int{}
	var out []sevPoint
	for _, sc := range scans {
		state[sc.Target] = counts[sc.ID]
		p := sevPoint{ScanID: sc.ID, Target: sc.Target, BySeverity: map[report.Severity]int{}}
		if sc.FinishedAt != nil {
			p.FinishedAt = *sc.FinishedAt
		}
		for _, m := range state {
			for sev, n := range m {
				p.BySeverity[sev] += n
			}
		}
		out = append(out, p)
	}
	if len(out) > trendPoints {
		out = out[len(out)-trendPoints:]
	}
	return out, nil
}

// changes diffs each target's newest done scan with its previous one.
func (c *postureCache) changes(ctx context.Context, latest []store.Scan) ([]targetChange, error) {
	var out []targetChange
	for _, sc := range latest {
		ch := targetChange{Target: sc.Target, To: sc.ID, Failing: sc.Summary.NonCompliant}
		others, err := c.st.ListScans(ctx, store.ScanFilter{Target: sc.Target, Status: store.ScanDone, Limit: 10})
		if err != nil {
			return nil, err
		}
		var prev *store.Scan
		for i := range others {
			if others[i].ID != sc.ID && newer(sc, others[i]) && (prev == nil || newer(others[i], *prev)) {
				prev = &others[i]
			}
		}
		if prev != nil {
			d, err := c.st.Diff(ctx, prev.ID, sc.ID)
			if errors.Is(err, store.ErrNotFound) {
				out = append(out, ch) // the previous scan was pruned meanwhile
				continue
			}
			if err != nil {
				return nil, err
			}
			ch.HasPrevious, ch.From, ch.Before = true, prev.ID, prev.Summary.NonCompliant
			ch.NewFindings, ch.FixedFindings = len(d.Regressed), len(d.Fixed)
		}
		out = append(out, ch)
	}
	return out, nil
}

// riskTally collects the failing rules while the posture reads results.
type riskTally struct {
	rules map[string]*risk
	res   map[string]map[string]bool
}

func (t *riskTally) add(scanID string, r report.Result) {
	if r.Status != report.NonCompliant {
		return
	}
	if t.rules == nil {
		t.rules, t.res = map[string]*risk{}, map[string]map[string]bool{}
	}
	if t.rules[r.RuleID] == nil {
		t.rules[r.RuleID] = &risk{RuleID: r.RuleID, Title: r.Title, ControlID: r.ControlID, Severity: r.Severity, ScanID: scanID}
		t.res[r.RuleID] = map[string]bool{}
	}
	t.res[r.RuleID][entityKeyExact(r.ResourceID)] = true
}

// entityKeyExact tells resources apart (case-insensitively).
func entityKeyExact(id string) string { return normalizeID(id) }

// top returns the riskiest rules: the most severe first, then those
// failing on the most resources.
func (t *riskTally) top(n int) []risk {
	out := make([]risk, 0, len(t.rules))
	for id, r := range t.rules {
		r.Resources = len(t.res[id])
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Resources != b.Resources {
			return a.Resources > b.Resources
		}
		return a.RuleID < b.RuleID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
