package serve

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/report"
)

// TestControlStatusAgreesEverywhere renders one scan (the public-server
// example) in every report format, stores it, and reads it back through
// the API and the dashboard: every one must give each control the status
// report.Rollup gives its counts. The example has a control with Compliant
// and Unknown results (IM-3), an all-Unknown control (IM-7) and an
// all-NotApplicable one (PA-7), the cases where the formats disagreed.
func TestControlStatusAgreesEverywhere(t *testing.T) {
	rep := exampleReport(t, "public-server.json")
	want := map[string]report.Status{}
	for _, c := range rep.Controls {
		want[c.ID] = report.Rollup(c.Counts)
	}
	for id, st := range map[string]report.Status{"IM-3": report.Unknown, "IM-7": report.Unknown, "PA-7": report.NotApplicable} {
		if want[id] != st {
			t.Fatalf("the example's %s rolls up to %s, want %s: the example changed, pick other controls", id, want[id], st)
		}
	}

	got := map[string]map[string]report.Status{} // source -> control -> status
	for _, f := range report.Formats {
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, f, report.Options{Width: 240}); err != nil {
			t.Fatalf("writing %s: %v", f, err)
		}
		got[string(f)] = controlStatuses(t, f, buf.Bytes())
	}

	// A report stored by an older rollup (IM-3 said Compliant) must be
	// shown with the status of today's rollup on the dashboard and in the
	// controls API.
	stored := exampleReport(t, "public-server.json")
	for i := range stored.Controls {
		if stored.Controls[i].ID == "IM-3" {
			stored.Controls[i].Status = report.Compliant
		}
	}
	st := openSQLite(t)
	id := addScan(t, st, "one", stored)
	srv, err := New(Options{Store: st, Version: "test", Logger: testLogger(t),
		Tokens: []Token{{Name: "viewer", Role: RoleReader, SHA256: HashToken(readerToken)}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, srv: srv, ts: httptest.NewServer(srv)}
	t.Cleanup(f.ts.Close)

	// The scan endpoint streams a report as it was stored (the record of
	// what that scan said); a report this version stores rolls up as the
	// rest does.
	current := addScan(t, st, "two", rep)
	_ = id
	var scan struct {
		Report report.Report `json:"report"`
	}
	apiGet(t, f, "/api/v1/scans/"+current, &scan)
	got["API /api/v1/scans/{id}"] = map[string]report.Status{}
	for _, c := range scan.Report.Controls {
		got["API /api/v1/scans/{id}"][c.ID] = c.Status
	}
	var controls struct {
		Controls []ControlStatus `json:"controls"`
	}
	apiGet(t, f, "/api/v1/controls", &controls)
	got["API /api/v1/controls"] = map[string]report.Status{}
	for _, c := range controls.Controls {
		if _, ok := want[c.ID]; ok {
			got["API /api/v1/controls"][c.ID] = c.Status
		}
	}

	c := browserClient(t)
	signIn(t, f, c, readerToken)
	code, page, _ := get(t, c, f.ts.URL+"/")
	if code != 200 {
		t.Fatalf("GET / %d", code)
	}
	row := regexp.MustCompile(`(?s)<tr>\s*<td><strong>([A-Z]+-\d+)</strong>.*?</td>\s*<td>[^<]*</td>\s*<td><span class="chip st-(\w+)">\w+</span></td>\s*<td class="num">([^<]*)</td>`)
	got["dashboard"] = map[string]report.Status{}
	pct := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(page, -1) {
		if _, ok := want[m[1]]; ok {
			got["dashboard"][m[1]] = report.Status(m[2])
			pct[m[1]] = m[3]
		}
	}

	for source, statuses := range got {
		for id, w := range want {
			if statuses[id] != w {
				t.Errorf("%s shows control %s as %q, want %q (report.Rollup of its counts)", source, id, statuses[id], w)
			}
		}
	}

	// The overview counts the failures by severity.
	fails := report.CountFailures(append(append([]report.Result{}, rep.Results...), stored.Results...)) // both targets
	failLine := regexp.MustCompile(`<p id="failures"[^>]*>(.*?)</p>`).FindStringSubmatch(page)
	if failLine == nil {
		t.Fatal("the overview has no failures line")
	}
	text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(failLine[1], "")
	if want := fails.String(); text != want || fails.Total == 0 {
		t.Errorf("the overview says %q, want %q", text, want)
	}

	// A share is over decided results: "—" when nothing was decided.
	for id, w := range map[string]string{"IM-7": "—", "PA-7": "—", "IM-3": "100%", "LT-4": "22%", "NS-2": "0%"} {
		if pct[id] != w {
			t.Errorf("the dashboard shows %s's compliance as %q, want %q", id, pct[id], w)
		}
	}
}

// apiGet decodes a GET of path with the reader token into v.
func apiGet(t *testing.T, f *fixture, path string, v any) {
	t.Helper()
	resp := f.do(t, "GET", path, readerToken, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

var (
	tableControl = regexp.MustCompile(`(?m)^\S ([A-Z]+-\d+)\s.*?\s(NonCompliant|Compliant|NotApplicable|Exempt|Unknown|Error)\s`)
	htmlControl  = regexp.MustCompile(`<tr><td><b>([A-Z]+-\d+)</b></td><td>[^<]*</td><td><span class="badge s-(\w+)">`)
	mdControl    = regexp.MustCompile(`(?m)^\| ([A-Z]+-\d+) [^|]*\| [^|]*\| :\w+: (\w+) \|`)
)

// controlStatuses reads each control's status from a rendered report, as
// a reader of that format sees it.
func controlStatuses(t *testing.T, f report.Format, out []byte) map[string]report.Status {
	t.Helper()
	m := map[string]report.Status{}
	switch f {
	case report.FormatJSON:
		var r report.Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Controls {
			m[c.ID] = c.Status
		}
	case report.FormatTable, report.FormatHTML, report.FormatMarkdown:
		re := map[report.Format]*regexp.Regexp{report.FormatTable: tableControl, report.FormatHTML: htmlControl, report.FormatMarkdown: mdControl}[f]
		for _, x := range re.FindAllSubmatch(out, -1) {
			m[string(x[1])] = report.Status(x[2])
		}
	case report.FormatJUnit:
		var suites struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				Props []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(out, &suites); err != nil {
			t.Fatal(err)
		}
		for _, s := range suites.Suites {
			id, _, _ := strings.Cut(s.Name, ":")
			for _, p := range s.Props {
				if p.Name == "status" {
					m[id] = report.Status(p.Value)
				}
			}
		}
	case report.FormatSARIF:
		var log struct {
			Runs []struct {
				Properties struct {
					Controls []struct {
						ID     string        `json:"id"`
						Status report.Status `json:"status"`
					} `json:"controls"`
				} `json:"properties"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(out, &log); err != nil {
			t.Fatal(err)
		}
		for _, c := range log.Runs[0].Properties.Controls {
			m[c.ID] = c.Status
		}
	case report.FormatCSV:
		rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]map[report.Status]int{}
		for _, row := range rows[1:] {
			if counts[row[1]] == nil {
				counts[row[1]] = report.NewCounts()
			}
			counts[row[1]][report.Status(row[9])]++
		}
		for id, c := range counts {
			m[id] = report.Rollup(c)
		}
	default:
		t.Fatalf("no reader for format %s", f)
	}
	return m
}
