package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestFormatFromName(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Format
		err  bool
	}{
		{"table", FormatTable, false}, {"JSON", FormatJSON, false}, {"sarif", FormatSARIF, false},
		{"junit", FormatJUnit, false}, {"xml", FormatJUnit, false}, {"csv", FormatCSV, false},
		{"markdown", FormatMarkdown, false}, {"md", FormatMarkdown, false}, {"html", FormatHTML, false},
		{"text", FormatTable, false}, {"yaml", "", true}, {"", "", true},
	} {
		got, err := FormatFromName(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("FormatFromName(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestFormatFromPath(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Format
	}{
		{"out/report.json", FormatJSON}, {"report.sarif", FormatSARIF}, {"results.sarif.json", FormatSARIF},
		{"REPORT.SARIF.JSON", FormatSARIF}, {"junit.xml", FormatJUnit}, {"r.csv", FormatCSV},
		{"comment.md", FormatMarkdown}, {"r.markdown", FormatMarkdown}, {"r.html", FormatHTML},
		{"r.htm", FormatHTML}, {"r.txt", FormatTable},
	} {
		got, err := FormatFromPath(c.in)
		if err != nil || got != c.want {
			t.Errorf("FormatFromPath(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := FormatFromPath("report.pdf"); err == nil || !strings.Contains(err.Error(), "report.pdf") {
		t.Errorf("FormatFromPath(report.pdf) error = %v; want one naming the file", err)
	}
}

func TestWriteRejectsUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, fixtureReport(), "pdf", Options{}); err == nil || !strings.Contains(err.Error(), "pdf") {
		t.Errorf("Write(pdf) error = %v; want an unknown format error", err)
	}
	if err := Write(&bytes.Buffer{}, nil, FormatJSON, Options{}); err == nil {
		t.Error("Write(nil report) gave no error")
	}
}

// The streamed JSON is byte for byte what encoding/json makes of the whole
// report, and reads back into the same report.
func TestJSONIsTheContractReport(t *testing.T) {
	rep := fixtureReport()
	got := render(t, FormatJSON, Options{})
	want, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(want, '\n')) {
		t.Fatalf("streamed JSON differs from json.MarshalIndent:\n%s", firstDiff(got, append(want, '\n')))
	}
	var back Report
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(rep.Results) || back.Results[3].ResourceName != scriptName {
		t.Errorf("read back %d results, resource %q", len(back.Results), back.Results[3].ResourceName)
	}
	// Empty lists are [] not null.
	var buf bytes.Buffer
	if err := Write(&buf, &Report{}, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"results": []`, `"targets": []`, `"errors": []`, `"controls": []`, `"schemaVersion": 1`} {
		if !strings.Contains(buf.String(), k) {
			t.Errorf("empty report JSON lacks %s:\n%s", k, buf.String())
		}
	}
}

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version string
				Rules   []struct {
					ID         string
					Help       struct{ Text, Markdown string }
					Properties map[string]any
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ToolExecutionNotifications []struct {
				Level   string
				Message struct{ Text string }
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine, EndLine int }
				}
				LogicalLocations []struct{ FullyQualifiedName, Name string }
			}
			PartialFingerprints map[string]string
		}
	}
}

func TestSARIF(t *testing.T) {
	schema := sarifSchema(t)
	out := render(t, FormatSARIF, fixtureOptions())
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate against the SARIF 2.1.0 schema: %v", err)
	}
	// The validator can say no.
	if err := schema.Validate(map[string]any{"version": "2.1.0", "runs": []any{map[string]any{}}}); err == nil {
		t.Fatal("schema accepted a run without a tool")
	}
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.Tool.Driver.Version != "1.2.3" {
		t.Errorf("driver version %q", run.Tool.Driver.Version)
	}
	sev := map[string]string{}
	for _, r := range run.Tool.Driver.Rules {
		s, _ := r.Properties["security-severity"].(string)
		sev[r.ID] = s
		if r.ID == "PGB-DP3-01" && (!strings.Contains(r.Help.Markdown, "require_secure_transport") || !strings.Contains(r.Help.Text, "Bicep:")) {
			t.Errorf("rule help lacks the remediation:\n%s", r.Help.Markdown)
		}
	}
	for id, want := range map[string]string{"PGB-DP3-01": "9.5", "PGB-NS2-01": "8.0", "PGB-NS1-01": "5.5", "PGB-LT4-02": "3.0"} {
		if sev[id] != want {
			t.Errorf("rule %s security-severity = %q, want %q", id, sev[id], want)
		}
	}
	if inv := run.Invocations[0]; inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 ||
		!strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "broken.json") {
		t.Errorf("invocation = %+v; want executionSuccessful false and the input error", inv)
	}
	// 6 NonCompliant + 1 Unknown + 1 Error results; Compliant, NotApplicable, Exempt left out.
	if len(run.Results) != 8 {
		t.Fatalf("%d SARIF results, want 8", len(run.Results))
	}
	levels := map[string]int{}
	for _, r := range run.Results {
		levels[r.Level]++
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d of rule %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
		}
		if len(r.PartialFingerprints[SARIFFingerprintKey]) != 64 {
			t.Errorf("result %s lacks its fingerprint", r.RuleID)
		}
	}
	if want := map[string]int{"error": 5, "warning": 1, "note": 2}; !reflect.DeepEqual(levels, want) {
		t.Errorf("levels = %v, want %v", levels, want)
	}
	first := run.Results[0] // PGB-NS2-01 on the Terraform resource
	pl := first.Locations[0].PhysicalLocation
	if pl == nil || pl.ArtifactLocation.URI != "infra/main.tf" || pl.Region.StartLine != 3 || pl.Region.EndLine != 24 {
		t.Errorf("file result location = %+v", pl)
	}
	live := run.Results[1]
	if live.Locations[0].PhysicalLocation != nil || live.Locations[0].LogicalLocations[0].FullyQualifiedName != prodID {
		t.Errorf("live result location = %+v; want only the ARM ID as a logical location", live.Locations[0])
	}
	if !strings.Contains(string(out), `"uri": "exports/pg%20dev.json"`) {
		t.Error("a file name with a space is not percent-encoded in artifactLocation.uri")
	}
}

// The fingerprint stays when lines move, and changes with the resource or file.
func TestFingerprintStable(t *testing.T) {
	a := Result{RuleID: "R", ResourceID: "x", Location: &Location{File: "main.tf", StartLine: 3, EndLine: 9}}
	b := a
	b.Location = &Location{File: "main.tf", StartLine: 40, EndLine: 52}
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("fingerprint changed when only the lines moved")
	}
	c := a
	c.ResourceID = "y"
	d := a
	d.Location = &Location{File: "other.tf", StartLine: 3}
	if Fingerprint(&a) == Fingerprint(&c) || Fingerprint(&a) == Fingerprint(&d) {
		t.Error("fingerprint ignores the resource or the file")
	}
}

func TestJUnit(t *testing.T) {
	out := render(t, FormatJUnit, fixtureOptions())
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Classname string `xml:"classname,attr"`
				Name      string `xml:"name,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("JUnit is not well-formed XML: %v", err)
	}
	if doc.Tests != 15 || doc.Failures != 6 || doc.Errors != 2 {
		t.Errorf("testsuites tests=%d failures=%d errors=%d; want 15, 6, 2", doc.Tests, doc.Failures, doc.Errors)
	}
	found := false
	for _, s := range doc.Suites {
		if len(s.Cases) != s.Tests {
			t.Errorf("suite %s says tests=%d but has %d cases", s.Name, s.Tests, len(s.Cases))
		}
		for _, c := range s.Cases {
			if c.Name == "PGB-DP3-01 orders-db (azurerm_postgresql_flexible_server.orders)" {
				found = true
				if c.Classname != "DP-3" || c.Failure == nil || c.Failure.Message != "require_secure_transport is off." ||
					!strings.Contains(c.Failure.Body, "az postgres flexible-server parameter set") {
					t.Errorf("DP-3 test case = %+v", c)
				}
			}
			if strings.Contains(c.Name, scriptName) && s.Name == "IM-1: Use centralized identity and authentication system" && c.Failure == nil {
				t.Errorf("IM-1 failure on the hostile resource is missing")
			}
		}
	}
	if !found {
		t.Error("no test case for PGB-DP3-01 on orders-db")
	}
	if bytes.Contains(out, []byte(scriptName)) {
		t.Error("the hostile name is not escaped in the XML")
	}

	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not found: install Debian's libxml2-utils to validate JUnit against testdata/junit-10.xsd")
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), path).CombinedOutput(); err != nil {
		t.Fatalf("JUnit does not validate against junit-10.xsd: %v\n%s", err, b)
	}
	// The validator can say no: a testcase without a name.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte(`<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase classname="c"/></testsuite></testsuites>`), 0o644)
	if err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), bad).Run(); err == nil {
		t.Error("xmllint accepted a testcase without a name")
	}
}

func TestCSV(t *testing.T) {
	out := render(t, FormatCSV, fixtureOptions())
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], CSVHeader) || len(rows) != 1+len(fixtureReport().Results) {
		t.Fatalf("header %v and %d rows", rows[0], len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	dp3 := rows[7] // the 7th result: PGB-DP3-01 NonCompliant on orders-db
	for k, want := range map[string]string{
		"ruleId": "PGB-DP3-01", "status": "NonCompliant", "file": "infra/main.tf", "startLine": "30", "endLine": "35",
		"evidence": `{"require_secure_transport":"off","ssl_min_protocol_version":"TLSv1"}`, "remediationSummary": remTLS.Summary,
		"remediationBicep": remTLS.Bicep,
	} {
		if dp3[col[k]] != want {
			t.Errorf("%s = %q, want %q", k, dp3[col[k]], want)
		}
	}
	// A message that a spreadsheet would run as a formula is defused.
	if got := rows[12][col["message"]]; got != pwnMessage {
		t.Errorf("message = %q", got)
	}
	if got := defuseCell("=cmd|' /C calc'!A0"); got != "'=cmd|' /C calc'!A0" {
		t.Errorf("defuseCell = %q", got)
	}
}

func TestMarkdown(t *testing.T) {
	out := string(render(t, FormatMarkdown, fixtureOptions()))
	for _, want := range []string{
		"| NS-2 Secure cloud services with network controls | Network security | :x: NonCompliant | 3 | 1 | 0 |",
		"### Top findings", "<details><summary>", "```bash\naz postgres flexible-server parameter set",
		"```sql\nALTER SYSTEM SET pgaudit.log", "```hcl\n", "```bicep\n", "broken.json",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(out, scriptName) || strings.Contains(out, "<img") {
		t.Error("hostile markup is not escaped in the markdown")
	}
	// A big report is cut to GitHub's limit with a note.
	var buf bytes.Buffer
	if err := Write(&buf, bigReport(3000), FormatMarkdown, fixtureOptions()); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCount(buf.Bytes()); n > GitHubCommentLimit || !strings.Contains(buf.String(), "Truncated to fit") {
		t.Errorf("big markdown: %d characters, note present %v", n, strings.Contains(buf.String(), "Truncated"))
	}
	if !strings.HasSuffix(strings.TrimSpace(buf.String()), "(`--format html --output report.html`).") {
		t.Error("the truncation note is not at the end")
	}
}

func TestMarkdownEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":                 `a\|b`,
		"![x](http://evil)":   `\!\[x\]\(http://evil\)`,
		"@octocat":            `\@octocat`,
		"<script>":            "&lt;script&gt;",
		"line\nbreak":         "line break",
		"```":                 "\\`\\`\\`",
		"plain text, 1.2-3_4": `plain text, 1.2-3\_4`,
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fence("sh", "echo ```"); !strings.HasPrefix(got, "````sh\n") {
		t.Errorf("fence did not outgrow the backticks: %q", got)
	}
}

func TestTable(t *testing.T) {
	for _, width := range []int{60, 100, 160} {
		o := fixtureOptions()
		o.Width = width
		out := string(render(t, FormatTable, o))
		for _, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("width %d: line of %d characters: %q", width, n, l)
			}
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("width %d: colour codes without Options.Color", width)
		}
		// The fix is given once per rule, however many resources fail it.
		if n := strings.Count(out, "Fix: Disable public network access"); width >= 100 && n != 1 {
			t.Errorf("width %d: the NS-2 fix appears %d times, want once for its 3 resources", width, n)
		}
		for _, want := range []string{"✗ NS-2", "CRITICAL PGB-DP3-01  1 resource  Enforce TLS", "orders-db  infra/main.tf:30-35", "Summary: 14 results", "Fix: Require TLS"} {
			if width >= 100 && !strings.Contains(out, want) {
				t.Errorf("width %d: table lacks %q", width, want)
			}
		}
	}
	o := fixtureOptions()
	o.Color = true
	if out := render(t, FormatTable, o); !bytes.Contains(out, []byte(ansiRed+"✗ ")) {
		t.Error("no red mark for a failing control with Options.Color")
	}
	// An escape sequence in a resource name never reaches the terminal.
	rep := fixtureReport()
	rep.Results[0].ResourceName = "evil\x1b]0;pwned\x07name"
	var buf bytes.Buffer
	if err := Write(&buf, rep, FormatTable, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07") {
		t.Error("control characters from a resource name reached the table")
	}
}

func TestHTMLStatic(t *testing.T) {
	out := string(render(t, FormatHTML, fixtureOptions()))
	if strings.Contains(out, scriptName) || strings.Contains(out, "<img src=x") || strings.Contains(out, "<script>window") {
		t.Error("hostile markup reached the HTML unescaped")
	}
	data, err := htmlEmbeddedData([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(data.S, scriptName) || !strings.Contains(out, `\u003cscript\u003ealert(1)\u003c`) {
		t.Error("the hostile resource name is not in the page's data, escaped")
	}
	if !strings.Contains(out, `http-equiv="Content-Security-Policy"`) || !strings.Contains(html.UnescapeString(out), "script-src '"+cspHash(htmlJS)+"'") {
		t.Error("no CSP allowing the inline script by hash")
	}
	if strings.Count(out, "<script>") != 1 || !strings.Contains(out, "<script>"+htmlJS+"</script>") {
		t.Error("the inline script is not exactly the hashed one")
	}
	for _, bad := range []string{"http://", "https://", "src=\"//"} {
		if i := strings.Index(out, bad); i >= 0 && !strings.Contains(out[max(0, i-200):i], "<pre><code>") {
			// URLs may appear only as text (remediation); never as a resource to load.
			if strings.Contains(out[max(0, i-10):i], "src=") || strings.Contains(out[max(0, i-10):i], "href=") {
				t.Errorf("the page loads %s", out[i:min(len(out), i+60)])
			}
		}
	}
}

// htmlEmbeddedData decodes the findings data an HTML report embeds.
func htmlEmbeddedData(page []byte) (*htmlData, error) {
	const open = `<script type="application/json" id="report-data">`
	s := string(page)
	i := strings.Index(s, open)
	if i < 0 {
		return nil, fmt.Errorf("no findings data in the page")
	}
	s = s[i+len(open):]
	j := strings.Index(s, "</script>")
	if j < 0 {
		return nil, fmt.Errorf("the findings data is not closed")
	}
	var d htmlData
	if err := json.Unmarshal([]byte(s[:j]), &d); err != nil {
		return nil, fmt.Errorf("the findings data is not JSON: %v", err)
	}
	return &d, nil
}
