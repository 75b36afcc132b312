package serve

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// ControlStatus is one control's status now: its results in the newest done
// scan of every target, added up.
type ControlStatus struct {
	ID     string                `json:"id"`
	Title  string                `json:"title"`
	Domain string                `json:"domain"`
	Status report.Status         `json:"status"`
	Counts map[report.Status]int `json:"counts"`
	// Targets is the control's status in each target's newest done scan.
	Targets []TargetStatus `json:"targets"`
}

// TargetStatus is a control's (or resource's) status in one target's scan.
type TargetStatus struct {
	Target string                `json:"target"`
	ScanID string                `json:"scanId"`
	Status report.Status         `json:"status"`
	Counts map[report.Status]int `json:"counts"`
}

// DomainStatus rolls the controls of one security domain up.
type DomainStatus struct {
	Name     string                `json:"name"`
	Status   report.Status         `json:"status"`
	Counts   map[report.Status]int `json:"counts"`
	Controls int                   `json:"controls"`
}

// ResourceStatus is one resource's status in its target's newest done scan.
type ResourceStatus struct {
	ID     string                `json:"id"`
	Type   string                `json:"type"`
	Name   string                `json:"name"`
	Target string                `json:"target"`
	ScanID string                `json:"scanId"`
	Status report.Status         `json:"status"`
	Counts map[report.Status]int `json:"counts"`
}

// posture is the state now, computed from the newest done scan of each
// target.
type posture struct {
	Scans     []store.Scan
	Controls  []ControlStatus
	Domains   []DomainStatus
	Resources []ResourceStatus
	// Servers are the PostgreSQL servers, one row per server across
	// targets, riskiest first.
	Servers  []ServerRow
	Summary  report.Summary
	Failures report.Failures
	Glance   glance
	Computed time.Time
}

// postureCache recomputes the posture only when the set of newest done
// scans changes, so readers of /metrics, /api/v1/controls and the overview
// do not each load every report.
type postureCache struct {
	st  store.Store
	cat *baseline.Catalog

	mu  sync.Mutex
	key string
	cur *posture
}

func newPostureCache(st store.Store, cat *baseline.Catalog) *postureCache {
	return &postureCache{st: st, cat: cat}
}

func (c *postureCache) get(ctx context.Context) (*posture, error) {
	latest, err := c.st.LatestDone(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(latest, func(i, j int) bool { return latest[i].Target < latest[j].Target })
	var kb strings.Builder
	for _, sc := range latest {
		kb.WriteString(sc.ID)
		kb.WriteByte('|')
		if sc.FinishedAt != nil {
			kb.WriteString(sc.FinishedAt.Format(time.RFC3339Nano))
		}
		kb.WriteByte(';')
	}
	key := kb.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.key == key {
		return c.cur, nil
	}
	p, err := c.compute(ctx, latest)
	if err != nil {
		return nil, err
	}
	c.key, c.cur = key, p
	return p, nil
}

func (c *postureCache) compute(ctx context.Context, latest []store.Scan) (*posture, error) {
	p := &posture{Scans: latest, Computed: time.Now().UTC()}
	ctlCounts := map[string]map[report.Status]int{}
	ctlTargets := map[string][]TargetStatus{}
	var risks riskTally
	var servers serverTally
	for _, sc := range latest {
		rep, err := c.st.Report(ctx, sc.ID)
		if err != nil {
			return nil, err
		}
		perCtl := map[string]map[report.Status]int{}
		resIdx := map[string]int{}
		names := map[string]report.Resource{}
		for _, r := range rep.Resources {
			names[r.ID] = r
			servers.addResource(sc.Target, sc.ID, r)
		}
		for _, res := range rep.Results {
			p.Summary.Add(res.Status)
			risks.add(sc.ID, res)
			servers.add(sc.Target, sc.ID, res)
			if res.Status == report.NonCompliant {
				p.Failures.Add(res.Severity)
			}
			addCount(perCtl, res.ControlID, res.Status)
			addCount(ctlCounts, res.ControlID, res.Status)
			i, ok := resIdx[res.ResourceID]
			if !ok {
				i = len(p.Resources)
				resIdx[res.ResourceID] = i
				rs := ResourceStatus{ID: res.ResourceID, Type: res.ResourceType, Name: res.ResourceName,
					Target: sc.Target, ScanID: sc.ID, Counts: report.NewCounts()}
				if r, ok := names[res.ResourceID]; ok {
					if rs.Name == "" {
						rs.Name = r.Name
					}
					if rs.Type == "" {
						rs.Type = r.Type
					}
				}
				p.Resources = append(p.Resources, rs)
			}
			p.Resources[i].Counts[res.Status]++
		}
		for id, counts := range perCtl {
			ctlTargets[id] = append(ctlTargets[id], TargetStatus{Target: sc.Target, ScanID: sc.ID, Status: report.Rollup(counts), Counts: counts})
		}
	}
	for i := range p.Resources {
		p.Resources[i].Status = report.Rollup(p.Resources[i].Counts)
	}
	sort.SliceStable(p.Resources, func(i, j int) bool {
		a, b := p.Resources[i], p.Resources[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.ID < b.ID
	})
	domains := map[string]*DomainStatus{}
	for _, ctl := range c.cat.Controls {
		counts := ctlCounts[ctl.ID]
		if counts == nil {
			counts = report.NewCounts()
		}
		targets := ctlTargets[ctl.ID]
		if targets == nil {
			targets = []TargetStatus{}
		}
		p.Controls = append(p.Controls, ControlStatus{ID: ctl.ID, Title: ctl.Title, Domain: ctl.Domain,
			Status: report.Rollup(counts), Counts: counts, Targets: targets})
		d := domains[ctl.Domain]
		if d == nil {
			d = &DomainStatus{Name: ctl.Domain, Counts: report.NewCounts()}
			domains[ctl.Domain] = d
		}
		d.Controls++
		for st, n := range counts {
			d.Counts[st] += n
		}
	}
	for _, name := range baseline.Domains {
		if d := domains[name]; d != nil {
			d.Status = report.Rollup(d.Counts)
			p.Domains = append(p.Domains, *d)
		}
	}
	if p.Controls == nil {
		p.Controls = []ControlStatus{}
	}
	p.Glance.TopRisks = risks.top(topRisks)
	p.Servers = servers.list()
	var err error
	if p.Glance.Trend, err = c.severityTrend(ctx); err != nil {
		return nil, err
	}
	if p.Glance.Changes, err = c.changes(ctx, latest); err != nil {
		return nil, err
	}
	for _, ch := range p.Glance.Changes {
		p.Glance.New += ch.NewFindings
		p.Glance.Fixed += ch.FixedFindings
		if ch.HasPrevious {
			p.Glance.Delta += ch.Delta()
		}
	}
	if p.Resources == nil {
		p.Resources = []ResourceStatus{}
	}
	return p, nil
}

func addCount(m map[string]map[report.Status]int, key string, st report.Status) {
	c := m[key]
	if c == nil {
		c = report.NewCounts()
		m[key] = c
	}
	c[st]++
}
