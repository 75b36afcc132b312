package serve

import (
	"sort"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/report"
)

// serverTypes are the PostgreSQL server types the Servers page lists; the
// resources under them (configurations, firewall rules, administrators,
// diagnostic settings) are listed on the server's page.
var serverTypes = map[string]bool{
	"microsoft.dbforpostgresql/flexibleservers": true,
	"microsoft.dbforpostgresql/servers":         true,
}

// serverOf returns the id of the PostgreSQL server a resource is or
// belongs to (through its parent or, for an extension resource such as a
// diagnostic setting, its scope), or "" when it belongs to none.
func serverOf(id string) string {
	for range 4 {
		p, ok := arm.ParseID(id)
		if !ok {
			return ""
		}
		if p.Scope != "" {
			id = p.Scope
			continue
		}
		if len(p.Types) == 0 || !serverTypes[strings.ToLower(p.Namespace+"/"+p.Types[0])] {
			return ""
		}
		// Cut the id after the server's name.
		segs := strings.Split(strings.Trim(id, "/"), "/")
		for i := len(segs) - 1; i >= 0; i-- {
			if strings.EqualFold(segs[i], "providers") && i+3 < len(segs) {
				return "/" + strings.Join(segs[:i+4], "/")
			}
		}
		return ""
	}
	return ""
}

// isServer reports whether id names a PostgreSQL server itself.
func isServer(id string) bool {
	s := serverOf(id)
	return s != "" && arm.Normalize(s) == arm.Normalize(id)
}

// entityKey is what makes a resource "the same" across scans and sources:
// its server's id, or its own id when it belongs to no server.
func entityKey(id string) string {
	if s := serverOf(id); s != "" {
		return arm.Normalize(s)
	}
	return arm.Normalize(id)
}

func normalizeID(id string) string { return arm.Normalize(id) }

// ServerRow is one PostgreSQL server on the Servers page: the same server
// read from several sources (a Terraform target and an export, say) is one
// row. Its results include those of the resources under it; a result
// (rule, resource) that several sources give counts once, at its worst.
type ServerRow struct {
	ID            string
	Name          string
	Kind          string // "flexible server" or "single server"
	Subscription  string
	ResourceGroup string
	Sources       []ServerSource
	Status        report.Status
	Counts        map[report.Status]int
	// Worst is the most severe failing result's severity ("" when
	// nothing fails); BySeverity counts the failing results.
	Worst      report.Severity
	BySeverity map[report.Severity]int
	Failing    int
	Children   int
}

// ServerSource is one target whose newest scan has the server.
type ServerSource struct {
	Target, ScanID string
}

// serverTally builds the server rows while the posture reads results.
type serverTally struct {
	rows  map[string]*ServerRow
	pairs map[string]map[string]report.Result // server -> rule|resource -> worst result
	kids  map[string]map[string]bool
	order []string
}

func (t *serverTally) row(target, scanID, id string) (*ServerRow, string) {
	srv := serverOf(id)
	if srv == "" {
		return nil, ""
	}
	key := arm.Normalize(srv)
	if t.rows == nil {
		t.rows, t.pairs, t.kids = map[string]*ServerRow{}, map[string]map[string]report.Result{}, map[string]map[string]bool{}
	}
	row := t.rows[key]
	if row == nil {
		p, _ := arm.ParseID(srv)
		row = &ServerRow{ID: srv, Subscription: p.Subscription, ResourceGroup: p.ResourceGroup, Kind: "flexible server"}
		if len(p.Names) > 0 {
			row.Name = p.Names[0]
		}
		if len(p.Types) > 0 && strings.EqualFold(p.Types[0], "servers") {
			row.Kind = "single server"
		}
		t.rows[key], t.pairs[key], t.kids[key] = row, map[string]report.Result{}, map[string]bool{}
		t.order = append(t.order, key)
	}
	if n := len(row.Sources); n == 0 || row.Sources[n-1].ScanID != scanID {
		row.Sources = append(row.Sources, ServerSource{Target: target, ScanID: scanID})
	}
	if arm.Normalize(id) != key {
		t.kids[key][arm.Normalize(id)] = true
	}
	return row, key
}

// addResource records a resource of a scan's report: a server, or one
// under a server.
func (t *serverTally) addResource(target, scanID string, r report.Resource) {
	row, key := t.row(target, scanID, r.ID)
	if row != nil && arm.Normalize(r.ID) == key && r.Name != "" {
		row.Name = r.Name
	}
}

// add records a result; it reports whether the result is a server's.
func (t *serverTally) add(target, scanID string, r report.Result) bool {
	row, key := t.row(target, scanID, r.ResourceID)
	if row == nil {
		return false
	}
	if arm.Normalize(r.ResourceID) == key && r.ResourceName != "" {
		row.Name = r.ResourceName
	}
	pk := r.RuleID + "|" + arm.Normalize(r.ResourceID)
	if old, ok := t.pairs[key][pk]; !ok || statusRank[r.Status] < statusRank[old.Status] {
		t.pairs[key][pk] = r
	}
	return true
}

// rows returns the servers, riskiest first: the most severe failure, then
// the most failures, then by name.
func (t *serverTally) list() []ServerRow {
	out := make([]ServerRow, 0, len(t.order))
	for _, key := range t.order {
		row := *t.rows[key]
		row.Counts, row.BySeverity = report.NewCounts(), map[report.Severity]int{}
		for _, r := range t.pairs[key] {
			row.Counts[r.Status]++
			if r.Status == report.NonCompliant {
				row.Failing++
				row.BySeverity[r.Severity]++
				if r.Severity.Rank() > row.Worst.Rank() {
					row.Worst = r.Severity
				}
			}
		}
		row.Status = report.Rollup(row.Counts)
		row.Children = len(t.kids[key])
		out = append(out, row)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Worst.Rank() != b.Worst.Rank() {
			return a.Worst.Rank() > b.Worst.Rank()
		}
		if a.Failing != b.Failing {
			return a.Failing > b.Failing
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return out
}
