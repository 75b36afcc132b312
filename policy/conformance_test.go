package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
)

// conformanceCase is one case of testdata/conformance/<topic>.json (the
// format is described in testdata/conformance/README.md).
type conformanceCase struct {
	Name string `json:"name"`
	// Source names the documentation the case follows (a learn.microsoft.com
	// page of Azure Policy), when it is not the language reference as a whole.
	Source     string            `json:"source"`
	Definition json.RawMessage   `json:"definition"`
	Collection []json.RawMessage `json:"collection"`
	Resource   map[string]any    `json:"resource"`
	Related    []map[string]any  `json:"related"`
	Unresolved []arm.Unresolved  `json:"unresolved"`
	Params     map[string]any    `json:"params"`
	Aliases    json.RawMessage   `json:"aliases"`
	APIVersion string            `json:"apiVersion"`
	Now        string            `json:"now"`
	Evaluation int               `json:"evaluation"`
	Expect     expectation       `json:"expect"`
	ExpectEach []expectation     `json:"expectEach"`
}

type expectation struct {
	State          string          `json:"state"`
	Effect         json.RawMessage `json:"effect"`
	Applicable     *bool           `json:"applicable"`
	ReasonContains string          `json:"reasonContains"`
	ErrorContains  string          `json:"errorContains"`
	ErrorPath      *string         `json:"errorPath"`
	EvalError      string          `json:"evalErrorContains"`
	EvidencePath   string          `json:"evidencePath"`
	Details        map[string]any  `json:"details"`
	ReferenceID    string          `json:"referenceId"`
}

// unknowns replaces {"$unknown": "why"} and {"$unknown": {"reason": "why",
// "notNull": true, "nonEmpty": true, "prefix": "https://"}} with
// arm.Unknown (with those refinements) throughout.
func unknowns(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$unknown"]; ok && len(x) == 1 {
			switch spec := r.(type) {
			case string:
				return arm.Unknown{Reason: spec}
			case map[string]any:
				u := arm.Unknown{}
				u.Reason, _ = spec["reason"].(string)
				u.NotNull, _ = spec["notNull"].(bool)
				u.NonEmpty, _ = spec["nonEmpty"].(bool)
				u.Prefix, _ = spec["prefix"].(string)
				return u
			}
			panic(fmt.Sprintf("$unknown takes a reason or a refinements object, not %v", r))
		}
		for k, e := range x {
			x[k] = unknowns(e)
		}
	case []any:
		for i, e := range x {
			x[i] = unknowns(e)
		}
	}
	return v
}

func TestConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance files: %v", err)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []conformanceCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		topic := strings.TrimSuffix(filepath.Base(f), ".json")
		seen := map[string]bool{}
		for _, c := range cases {
			total++
			if seen[c.Name] {
				t.Errorf("%s: duplicate case name %q", topic, c.Name)
			}
			seen[c.Name] = true
			t.Run(topic+"/"+c.Name, func(t *testing.T) { runCase(t, c) })
		}
	}
	if total < 400 {
		t.Errorf("%d conformance cases, want at least 400", total)
	}
}

func runCase(t *testing.T, c conformanceCase) {
	env := &Env{Params: c.Params, APIVersion: c.APIVersion}
	if c.Now != "" {
		now, err := time.Parse(time.RFC3339, c.Now)
		if err != nil {
			t.Fatal(err)
		}
		env.Now = now
	} else {
		env.Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	}
	if len(c.Aliases) > 0 {
		a, err := LoadAliases(c.Aliases)
		if err != nil {
			t.Fatal(err)
		}
		env.Aliases = a
	}
	var res *arm.Resource
	if c.Resource != nil {
		res = caseResource(c.Resource)
		set := arm.NewSet(res)
		for _, r := range c.Related {
			set.Add(caseResource(r))
		}
		for _, u := range c.Unresolved {
			set.AddUnresolved(u)
		}
		env.Related = set
	}
	if len(c.Collection) > 0 {
		runCollection(t, c, res, env)
		return
	}
	d, err := ParseDefinition(c.Definition)
	if c.Expect.ErrorContains != "" || c.Expect.ErrorPath != nil {
		if err == nil {
			t.Fatalf("parsed; want an error containing %q", c.Expect.ErrorContains)
		}
		checkParseError(t, err, c.Expect)
		return
	}
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if res == nil {
		t.Fatal("the case has no resource")
	}
	check(t, d.Evaluate(res, env), c.Expect)
}

// caseResource makes a resource of a case's object: "$unknown" values
// become arm.Unknown, "$maybeAbsent": "why" sets Resource.MaybeAbsent, and
// "$synthesized": "why" sets Resource.Synthesized (a default the model
// implies, such as a server parameter at Azure's default).
func caseResource(obj map[string]any) *arm.Resource {
	maybe, _ := obj["$maybeAbsent"].(string)
	synth, _ := obj["$synthesized"].(string)
	delete(obj, "$maybeAbsent")
	delete(obj, "$synthesized")
	r := arm.New(unknowns(obj).(map[string]any), arm.Origin{})
	r.MaybeAbsent, r.Synthesized = maybe, synth
	return r
}

func checkParseError(t *testing.T, err error, e expectation) {
	t.Helper()
	if !strings.Contains(err.Error(), e.ErrorContains) {
		t.Errorf("error %q does not contain %q", err, e.ErrorContains)
	}
	if e.ErrorPath != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *ParseError", err)
		}
		if pe.Path != *e.ErrorPath {
			t.Errorf("error path %q, want %q (%v)", pe.Path, *e.ErrorPath, err)
		}
	}
}

func runCollection(t *testing.T, c conformanceCase, res *arm.Resource, env *Env) {
	coll := &Collection{}
	var errs []error
	for _, doc := range c.Collection {
		errs = append(errs, coll.Add(doc)...)
	}
	if len(errs) == 0 {
		evals, err := coll.Evaluations(nil)
		if err != nil {
			errs = append(errs, err)
		} else {
			if c.Expect.ErrorContains != "" {
				t.Fatalf("no error; want one containing %q", c.Expect.ErrorContains)
			}
			expects := c.ExpectEach
			if len(expects) == 0 {
				if c.Evaluation >= len(evals) {
					t.Fatalf("%d evaluations, want index %d", len(evals), c.Evaluation)
				}
				evals = evals[c.Evaluation : c.Evaluation+1]
				expects = []expectation{c.Expect}
			}
			if len(evals) != len(expects) {
				t.Fatalf("%d evaluations, want %d", len(evals), len(expects))
			}
			sort.SliceStable(evals, func(i, j int) bool { return evals[i].ReferenceID < evals[j].ReferenceID })
			for i, ev := range evals {
				if expects[i].ReferenceID != "" && ev.ReferenceID != expects[i].ReferenceID {
					t.Errorf("evaluation %d: reference %q, want %q", i, ev.ReferenceID, expects[i].ReferenceID)
				}
				check(t, ev.Evaluate(res, env), expects[i])
			}
			return
		}
	}
	if c.Expect.ErrorContains == "" {
		t.Fatalf("errors: %v", errors.Join(errs...))
	}
	err := errors.Join(errs...)
	checkParseError(t, err, expectation{ErrorContains: c.Expect.ErrorContains})
	if c.Expect.ErrorPath != nil && !strings.Contains(err.Error(), *c.Expect.ErrorPath) {
		t.Errorf("error %q does not name the path %q", err, *c.Expect.ErrorPath)
	}
}

func check(t *testing.T, r *Result, e expectation) {
	t.Helper()
	if string(r.State) != e.State {
		t.Errorf("state %s, want %s (reason %q, err %v, evidence %+v)", r.State, e.State, r.Reason, r.Err, r.Evidence)
	}
	if len(e.Effect) > 0 {
		var want *string
		if err := json.Unmarshal(e.Effect, &want); err != nil {
			t.Fatal(err)
		}
		got := r.Effect
		switch {
		case want == nil && got != "":
			t.Errorf("effect %q, want none", got)
		case want != nil && got != *want:
			t.Errorf("effect %q, want %q", got, *want)
		}
	}
	if e.Applicable != nil && r.Applicable != *e.Applicable {
		t.Errorf("applicable %v, want %v", r.Applicable, *e.Applicable)
	}
	if e.ReasonContains != "" && !strings.Contains(r.Reason, e.ReasonContains) {
		t.Errorf("reason %q does not contain %q", r.Reason, e.ReasonContains)
	}
	if e.EvalError != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), e.EvalError)) {
		t.Errorf("error %v, want one containing %q", r.Err, e.EvalError)
	}
	if e.EvidencePath != "" {
		found := false
		for _, ev := range r.Evidence {
			if ev.Path == e.EvidencePath {
				found = true
			}
		}
		if !found {
			t.Errorf("no evidence at %q: %+v", e.EvidencePath, r.Evidence)
		}
	}
	for k, want := range e.Details {
		got, ok := r.Details[k]
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !ok || string(gb) != string(wb) {
			t.Errorf("details[%s] = %s, want %s", k, gb, wb)
		}
	}
}
