package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestAppendResultJSONMatchesEncodingJSON checks that the reflection-free
// result encoder writes exactly what encoding/json writes, for the values
// where the two could differ: escaping, invalid UTF-8, numbers, nested
// evidence and omitted fields.
func TestAppendResultJSONMatchesEncodingJSON(t *testing.T) {
	cases := []struct {
		name string
		r    Result
	}{
		{"minimal", Result{RuleID: "r", Status: Compliant}},
		{"escaping", Result{RuleID: "a\"b\\c", Title: "<script>&</script>", Message: "line\nbreak\ttab\r\b\f\x01\x1f \u2028\u2029 é 日本",
			ResourceID: "bad \xff utf8 \xc3", Severity: High, Status: NonCompliant, Effect: "Audit"}},
		{"evidence", Result{RuleID: "r", Status: NonCompliant, Evidence: map[string]any{
			"z": nil, "a<b": "v&", "n": 7.0, "big": 1e21, "small": 1e-7, "neg": -0.5, "int": 3, "i64": int64(-9),
			"t": true, "f": false, "list": []any{1.0, "x", map[string]any{"k": []any{}}}, "obj": map[string]any{"b": 1.0, "a": map[string]any{}},
			"empty": map[string]any{}, "strs": []string{"a", "b"}, "unknownish": struct{ Reason string }{"after apply"},
		}}},
		{"location and remediation", Result{RuleID: "r", PolicyDefinitionID: "/providers/x", Status: NonCompliant,
			Location: &Location{File: "main.tf", StartLine: 3, EndLine: 4}, Remediation: &Remediation{Summary: "fix", SQL: "ALTER SYSTEM"}}},
		{"zero lines and empty remediation", Result{RuleID: "r", Location: &Location{File: "f"}, Remediation: &Remediation{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("    ", "  ")
			if err := enc.Encode(&c.r); err != nil {
				t.Fatal(err)
			}
			got, err := AppendResultJSON(nil, &c.r)
			if err != nil {
				t.Fatal(err)
			}
			if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
				t.Errorf("got\n%s\nwant\n%s", got, w)
			}
		})
	}
}

// TestAppendResultJSONRejectsNaN checks that a value encoding/json cannot
// write is an error, not invalid JSON.
func TestAppendResultJSONRejectsNaN(t *testing.T) {
	nan := 0.0
	nan /= nan
	if _, err := AppendResultJSON(nil, &Result{Evidence: map[string]any{"x": nan}}); err == nil {
		t.Fatal("NaN evidence: want an error")
	}
}

// TestWriteJSONResourcesMatchEncodingJSON checks the resources list against
// encoding/json's indentation.
func TestWriteJSONResourcesMatchEncodingJSON(t *testing.T) {
	rep := &Report{Resources: []Resource{{ID: "/a", Type: "T", Name: "n"}, {ID: "/b<", Type: "T", Name: "m", Origin: &Origin{File: "f.json", Line: 2}},
		{ID: "/c", Origin: &Origin{File: "g.json"}}}}
	var got bytes.Buffer
	if err := Write(&got, rep, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(got.Bytes(), &doc); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	want, err := json.MarshalIndent(rep.Resources, "  ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.Resources, want) {
		t.Errorf("resources\n%s\nwant\n%s", doc.Resources, want)
	}
}

// TestJSONStreamMatchesWrite streams the fixture report and checks that a
// reader gets what Write gives: the same members with the same values, the
// results in order, and finishedAt as the last member.
func TestJSONStreamMatchesWrite(t *testing.T) {
	rep := fixtureReport()
	var want bytes.Buffer
	if err := Write(&want, rep, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	s, err := BeginJSON(&got, rep)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Results {
		b, err := AppendResultJSON([]byte(ResultSeparator(i)), &rep.Results[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Results(b, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.End(rep); err != nil {
		t.Fatal(err)
	}
	var g, w map[string]any
	if err := json.Unmarshal(got.Bytes(), &g); err != nil {
		t.Fatalf("streamed report is not JSON: %v\n%s", err, got.Bytes())
	}
	if err := json.Unmarshal(want.Bytes(), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("streamed report differs from Write's")
	}
	tail := got.String()[strings.LastIndex(got.String(), "\n  \""):]
	if !strings.HasPrefix(tail, "\n  \"finishedAt\": ") {
		t.Errorf("last member: %q, want finishedAt", tail)
	}
	if !bytes.Contains(got.Bytes(), []byte("\n  \"results\": [\n    {\n      \"ruleId\"")) {
		t.Error("results are not indented as Write indents them")
	}
}

// TestJSONStreamEmpty checks a report without results.
func TestJSONStreamEmpty(t *testing.T) {
	var got bytes.Buffer
	s, err := BeginJSON(&got, &Report{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.End(&Report{}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(got.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got.Bytes())
	}
	for _, k := range []string{"results", "resources", "controls", "errors", "targets"} {
		if l, ok := doc[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v, want []", k, doc[k])
		}
	}
}

// TestResultEncoderMatchesAppendResultJSON encodes runs of results that
// share rules, resources, messages and remediations, and some that change
// them in place, with one ResultEncoder, and compares each with
// AppendResultJSON.
func TestResultEncoderMatchesAppendResultJSON(t *testing.T) {
	rem := &Remediation{Summary: "fix <it>", AzureCLI: "az x"}
	var results []Result
	for i := 0; i < 200; i++ {
		r := Result{RuleID: []string{"A", "B", "C"}[i%3], ControlID: "NS-1", Feature: "F", Title: "T & t",
			Severity: []Severity{High, Low}[i%2], ResourceID: []string{"/x", "/x/y", "/z"}[(i/5)%3], ResourceType: "t", ResourceName: "n",
			Status: []Status{Compliant, NonCompliant}[i%2], Message: []string{"same", "differs " + strings.Repeat("é", i%4)}[i%2&(i/7%2)],
			Location: &Location{File: []string{"a.json", "b\".json"}[(i/11)%2], StartLine: i, EndLine: i}}
		if i%4 == 0 {
			r.Remediation = rem
		}
		if i%3 == 1 {
			r.PolicyDefinitionID = "/providers/p"
			r.Evidence = map[string]any{"k": float64(i), "a": "v"}
		}
		if i%50 == 49 {
			r.Title = "changed title" // same rule id, another rule's text
			rem.SQL = "ALTER " + strings.Repeat("x", i)
		}
		results = append(results, r)
	}
	var enc ResultEncoder
	for i := range results {
		want, err := AppendResultJSON(nil, &results[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := enc.Append([]byte("prefix"), &results[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("result %d:\n%s\nwant\n%s", i, got, want)
		}
	}
}

// FuzzAppendJSONString checks the string encoder against encoding/json.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", "a\"b\\c<d>e&f", "\x00\x1f\x7f", "é日本\u2028\u2029", "bad \xff\xc3", "12345678<", "1234567\n89"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
