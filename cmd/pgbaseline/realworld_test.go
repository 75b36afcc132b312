package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pgbaseline/pgbaseline/report"
)

// realWorldDir holds the acceptance corpus of issue 16 ("Real-world IaC
// accuracy: no server missed, no false verdict, on the public modules people
// actually use"): one directory per case, with inputs written in the shapes
// of the public modules (Azure Verified Modules' Bicep output and e2e
// parameter files, AVM Terraform layouts calling modules through relative,
// registry and git sources, quickstart layouts) and an expected.yaml.
const realWorldDir = "../../testdata/realworld"

// rwCase is a case's expected.yaml.
type rwCase struct {
	// Description says what the case is about.
	Description string `yaml:"description"`
	// Args are the scan arguments after "scan"; paths are relative to the
	// case directory (the test runs from it). $EMPTYDIR is an empty
	// directory the test makes (git keeps none).
	Args []string `yaml:"args"`
	// NoBicep runs the scan with a PATH that holds no bicep executable.
	NoBicep bool `yaml:"noBicep"`
	// Exit is the expected exit code (required).
	Exit *int `yaml:"exit"`
	// Servers are every server the scan must find: a result on any other
	// server is a phantom server and fails the case.
	Servers []rwResource `yaml:"servers"`
	// Resources are other resources (firewall rules, files) whose verdicts
	// are asserted; results on resources not listed here are not checked,
	// except that none of them may be NonCompliant.
	Resources []rwResource `yaml:"resources"`
	// Errors are substrings of the report's errors (each a string or a list
	// of alternatives, compared case-insensitively): each must be in one
	// error, and every error must hold one of them, unless AllowErrors. No
	// errors when empty.
	Errors []anyOf `yaml:"errors"`
	// AllowErrors accepts errors that no entry of Errors names.
	AllowErrors bool `yaml:"allowErrors"`
	// Notes are substrings (or lists of alternatives, compared
	// case-insensitively) each of which must be in a note: the report's
	// notes or the scan's stderr.
	Notes []anyOf `yaml:"notes"`
	// Unasserted lists, for the record, rules left out on purpose and why.
	Unasserted map[string]string `yaml:"unasserted"`
}

// rwResource names one resource of the report and the verdicts expected on
// it. ID is the report's resourceId (the Terraform address, the template
// path or ARM id), Name the Azure resource name; a result matches when each
// that is given is equal (ids case-insensitively, as the report orders them).
type rwResource struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	Type  string            `yaml:"type"`
	Rules map[string]string `yaml:"rules"`
	// Optional resources need not be found; when they are, their rules
	// are checked.
	Optional bool `yaml:"optional"`
}

// anyOf is a substring, or a list of alternative substrings, of an error or
// a note; it matches case-insensitively.
type anyOf []string

func (a *anyOf) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*a = anyOf{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*a = list
	return nil
}

func (a anyOf) in(text string) bool {
	text = strings.ToLower(text)
	for _, s := range a {
		if strings.Contains(text, strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func (a anyOf) String() string { return strings.Join(a, `" or "`) }

func (r rwResource) String() string {
	var parts []string
	if r.ID != "" {
		parts = append(parts, "id "+r.ID)
	}
	if r.Name != "" {
		parts = append(parts, "name "+r.Name)
	}
	return r.Type + " (" + strings.Join(parts, ", ") + ")"
}

func (r rwResource) matches(res *report.Result) bool {
	if !strings.EqualFold(r.Type, res.ResourceType) {
		return false
	}
	if r.ID != "" && !strings.EqualFold(r.ID, res.ResourceID) {
		// A file is named by its path as the scan met it.
		want, got := filepath.ToSlash(filepath.Clean(r.ID)), filepath.ToSlash(filepath.Clean(res.ResourceID))
		if r.Type != "file" || !strings.HasSuffix(got, "/"+want) {
			return false
		}
	}
	if r.Name != "" && r.Name != res.ResourceName {
		return false
	}
	return true
}

// serverTypes are the resource types a phantom server would have.
var serverTypes = map[string]bool{
	"microsoft.dbforpostgresql/flexibleservers": true,
	"microsoft.dbforpostgresql/servers":         true,
}

var validStatus = map[string]bool{
	string(report.Compliant): true, string(report.NonCompliant): true, string(report.Unknown): true,
	string(report.NotApplicable): true, string(report.Exempt): true, string(report.Error): true,
}

// TestRealWorld scans each case of testdata/realworld as the CLI does and
// checks the exit code, that every server is found and no other, the
// verdicts of the rules each case asserts, the errors and the notes.
func TestRealWorld(t *testing.T) {
	entries, err := os.ReadDir(realWorldDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir, err := filepath.Abs(filepath.Join(realWorldDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
		if err != nil {
			t.Errorf("case %s: %v", e.Name(), err)
			continue
		}
		var c rwCase
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			t.Errorf("case %s: expected.yaml: %v", e.Name(), err)
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) { runRealWorldCase(t, e.Name(), dir, &c) })
	}
	if n < 12 {
		t.Errorf("the corpus has %d cases, want at least 12", n)
	}
}

// rwReport is the JSON report with the fields the contract's extensions may
// add (notes) kept raw.
type rwReport struct {
	report.Report
	Notes json.RawMessage `json:"notes"`
}

func runRealWorldCase(t *testing.T, name, dir string, c *rwCase) {
	if len(c.Args) == 0 || c.Exit == nil {
		t.Fatalf("case %s: expected.yaml needs args and exit", name)
	}
	checkExpectations(t, name, c)
	t.Chdir(dir)
	if c.NoBicep {
		t.Setenv("PATH", t.TempDir()) // an empty directory: no bicep executable
	}
	out := filepath.Join(t.TempDir(), "report.json")
	args := []string{"scan", "--format", "json", "--output", out, "--no-color"}
	for _, a := range c.Args {
		if a == "$EMPTYDIR" {
			a = t.TempDir()
		}
		args = append(args, a)
	}
	code, stderr := runCapturingStderr(t, args)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("case %s: no report written (exit %d): %v\nstderr:\n%s", name, code, err, stderr)
	}
	var rep rwReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("case %s: the report is not JSON: %v", name, err)
	}
	errorText := func() string {
		var b strings.Builder
		for _, e := range rep.Errors {
			b.WriteString("\n  " + errorLine(e))
		}
		return b.String()
	}

	if code != *c.Exit {
		t.Errorf("case %s: exit %d, want %d; errors:%s", name, code, *c.Exit, orNone(errorText()))
	}

	// Errors: each expected substring in some error, no error unexpected.
	for _, want := range c.Errors {
		found := false
		for _, e := range rep.Errors {
			found = found || want.in(e.File+": "+e.Message)
		}
		if !found {
			t.Errorf("case %s: no error holds \"%s\"; errors:%s", name, want, orNone(errorText()))
		}
	}
	if !c.AllowErrors {
		for _, e := range rep.Errors {
			ok := false
			for _, want := range c.Errors {
				ok = ok || want.in(e.File+": "+e.Message)
			}
			if !ok {
				t.Errorf("case %s: unexpected error: %s", name, errorLine(e))
			}
		}
	}

	// Notes: in the report (any shape) or on stderr as notes (not as
	// errors: an error naming the file is no note).
	notes := string(rep.Notes)
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(strings.ToLower(line), "note:") {
			notes += "\n" + line
		}
	}
	for _, want := range c.Notes {
		if !want.in(notes) {
			t.Errorf("case %s: no note holds \"%s\"; report notes: %s; stderr:\n%s", name, want, orNone(string(rep.Notes)), stderr)
		}
	}

	// Servers: each found, each asserted rule present with its status.
	results := make([]*report.Result, len(rep.Results))
	for i := range rep.Results {
		results[i] = &rep.Results[i]
	}
	checkResources(t, name, "server", c.Servers, results)
	checkResources(t, name, "resource", c.Resources, results)

	// Phantom servers, and NonCompliant results on resources not listed.
	phantoms := map[string]bool{}
	for _, res := range results {
		listed := false
		for _, s := range c.Servers {
			listed = listed || s.matches(res)
		}
		for _, s := range c.Resources {
			listed = listed || s.matches(res)
		}
		if listed {
			continue
		}
		if serverTypes[strings.ToLower(res.ResourceType)] {
			key := fmt.Sprintf("%s (id %s, name %s)", res.ResourceType, res.ResourceID, res.ResourceName)
			if !phantoms[key] {
				phantoms[key] = true
				t.Errorf("case %s: phantom server %s: results on a server the case does not list (first: rule %s %s: %s)",
					name, key, res.RuleID, res.Status, res.Message)
			}
			continue
		}
		if res.Status == report.NonCompliant {
			t.Errorf("case %s: resource %s (id %s, name %s), rule %s: NonCompliant on a resource the case does not list: %s",
				name, res.ResourceType, res.ResourceID, res.ResourceName, res.RuleID, res.Message)
		}
	}
}

// checkExpectations rejects a malformed expected.yaml.
func checkExpectations(t *testing.T, name string, c *rwCase) {
	for _, list := range [][]rwResource{c.Servers, c.Resources} {
		for _, r := range list {
			if r.Type == "" || r.ID == "" && r.Name == "" {
				t.Fatalf("case %s: expected.yaml: every resource needs a type and an id or a name: %+v", name, r)
			}
			for rule, st := range r.Rules {
				if !validStatus[st] {
					t.Fatalf("case %s: expected.yaml: %s rule %s: %q is not a status", name, r, rule, st)
				}
			}
		}
	}
}

// checkResources checks that each expected resource has results, and the
// expected status for each rule it asserts.
func checkResources(t *testing.T, name, what string, want []rwResource, results []*report.Result) {
	for _, w := range want {
		got := map[string][]*report.Result{}
		for _, res := range results {
			if w.matches(res) {
				got[res.RuleID] = append(got[res.RuleID], res)
			}
		}
		if len(got) == 0 && w.Optional {
			continue
		}
		if len(got) == 0 {
			t.Errorf("case %s: %s %s not found: no result names it%s", name, what, w, nearMisses(w, results))
			continue
		}
		rules := make([]string, 0, len(w.Rules))
		for rule := range w.Rules {
			rules = append(rules, rule)
		}
		sort.Strings(rules)
		for _, rule := range rules {
			exp := w.Rules[rule]
			rs := got[rule]
			if len(rs) == 0 {
				t.Errorf("case %s: %s %s, rule %s: want %s, got no result", name, what, w, rule, exp)
				continue
			}
			for _, res := range rs {
				if string(res.Status) != exp {
					t.Errorf("case %s: %s %s, rule %s: want %s, got %s: %s", name, what, w, rule, exp, res.Status, res.Message)
				}
			}
		}
	}
}

// nearMisses lists the resources of the type that was not found, to show
// what the scan found instead.
func nearMisses(w rwResource, results []*report.Result) string {
	seen := map[string]bool{}
	var out []string
	for _, res := range results {
		if !strings.EqualFold(res.ResourceType, w.Type) {
			continue
		}
		k := fmt.Sprintf("id %s, name %s", res.ResourceID, res.ResourceName)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return " (no resource of that type was found)"
	}
	return " (found: " + strings.Join(out, "; ") + ")"
}

// errorLine is a report error as one line, with its file when the message
// does not already start with it.
func errorLine(e report.ErrorEntry) string {
	if e.File != "" && !strings.HasPrefix(e.Message, e.File) {
		return e.File + ": " + e.Message
	}
	return e.Message
}

func orNone(s string) string {
	if s == "" || s == "null" || s == "[]" {
		return "(none)"
	}
	return s
}

// runCapturingStderr runs the CLI in-process as run does, with os.Stderr
// captured: notes, progress and error messages are written there.
func runCapturingStderr(t *testing.T, args []string) (int, string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = f
	code := func() int {
		defer func() { os.Stderr = saved }()
		return run(args)
	}()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b)
}
