package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
)

func builtinFiles(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("builtin", "definitions", "*.json"))
	if err != nil || len(files) != 33 {
		t.Fatalf("built-in files: %d, %v", len(files), err)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestBuiltinAliasesCovered: every alias the built-ins use is in the
// built-in alias table (not left to the properties fallback).
func TestBuiltinAliasesCovered(t *testing.T) {
	for _, data := range builtinFiles(t) {
		d, err := ParseDefinition(data)
		if err != nil {
			t.Fatal(err)
		}
		check := func(f *fieldRef) {
			if f != nil && f.kind == fAlias && f.builtin == nil {
				t.Errorf("%s: alias %s is not in the built-in table", d.Name, f.raw)
			}
		}
		for _, n := range []node{d.cond, existenceOf(d)} {
			if n == nil {
				continue
			}
			walkNodes(n, func(l *leaf) {
				check(l.field)
				if l.count != nil {
					check(l.count.field)
				}
			})
		}
		for _, f := range d.fields {
			check(f)
		}
	}
}

func existenceOf(d *Definition) node {
	if d.details == nil {
		return nil
	}
	return d.details.existence
}

func TestDefinitionMetadata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("builtin", "definitions", "PostgreSQL_FlexibleServers_EnableCMK_AINE.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDefinition(data)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "12c74c95-0efd-48da-b8d9-2a7d68470c92" || d.Version != "1.1.0" || d.Mode != "Indexed" || d.Category != "PostgreSQL" ||
		d.PolicyType != "BuiltIn" || !strings.HasPrefix(d.ID, "/providers/Microsoft.Authorization/policyDefinitions/") {
		t.Errorf("metadata: %+v", d)
	}
	if got := d.TargetTypes(); !reflect.DeepEqual(got, []string{"Microsoft.DBforPostgreSQL/flexibleServers"}) {
		t.Errorf("TargetTypes = %v", got)
	}
	if d.DefaultEffect() != "Audit" {
		t.Errorf("DefaultEffect = %q", d.DefaultEffect())
	}
	if got := d.Effects(); !reflect.DeepEqual(got, []string{"Audit", "Deny", "Disabled"}) {
		t.Errorf("Effects = %v", got)
	}
	if p := d.Parameter("EFFECT"); p == nil || !p.HasDefault || p.DisplayName == "" {
		t.Errorf("Parameter(EFFECT) = %+v", p)
	}
	if d.Preview || d.Deprecated {
		t.Error("not preview, not deprecated")
	}
}

func TestMissingParametersAndDefaultEffect(t *testing.T) {
	d, err := ParseDefinition([]byte(`{"properties": {"parameters": {
		"effect": {"type": "String"}, "b": {"type": "String"}, "a": {"type": "String", "defaultValue": "x"}},
		"policyRule": {"if": {"field": "name", "equals": "[parameters('b')]"}, "then": {"effect": "[parameters('effect')]"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.MissingParameters(nil); !reflect.DeepEqual(got, []string{"b", "effect"}) {
		t.Errorf("MissingParameters(nil) = %v", got)
	}
	if got := d.MissingParameters(map[string]any{"B": 1}); !reflect.DeepEqual(got, []string{"effect"}) {
		t.Errorf("MissingParameters(B) = %v", got)
	}
	if d.DefaultEffect() != "" {
		t.Errorf("DefaultEffect = %q, want empty", d.DefaultEffect())
	}
	if len(d.TargetTypes()) != 0 {
		t.Errorf("TargetTypes = %v, want nil", d.TargetTypes())
	}
}

func TestParseParams(t *testing.T) {
	for _, in := range []string{`{"a": 1, "b": {"value": ["x"]}}`, `{"$schema": "s", "contentVersion": "1", "parameters": {"a": {"value": 1}, "b": {"value": ["x"]}}}`} {
		got, err := ParseParams([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"a": int64(1), "b": []any{"x"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseParams(%s) = %#v", in, got)
		}
	}
	if _, err := ParseParams([]byte(`[1]`)); err == nil {
		t.Error("an array is not parameters")
	}
}

func TestUtcNowClock(t *testing.T) {
	d, err := ParseDefinition([]byte(`{"if": {"value": "[utcNow()]", "equals": "2030-01-02T03:04:05.0000000Z"}, "then": {"effect": "audit"}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := arm.New(map[string]any{"id": "/subscriptions/s/resourceGroups/g/providers/A.B/c/n", "type": "A.B/c", "name": "n"}, arm.Origin{})
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := d.Evaluate(r, &Env{Now: now}); got.State != NonCompliant {
		t.Errorf("with the injected clock: %s", got.State)
	}
	if got := d.Evaluate(r, &Env{}); got.State != Compliant {
		t.Errorf("with the real clock: %s", got.State)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("defs/pna.json", `{"properties": {"mode": "All", "policyRule": {"if": {"field": "type", "equals": "A.B/c"}, "then": {"effect": "audit"}}}, "name": "pna", "id": "/providers/Microsoft.Authorization/policyDefinitions/pna"}`)
	write("assign.json", `{"value": [{"properties": {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/pna", "scope": "/subscriptions/s"}, "id": "/subscriptions/s/providers/Microsoft.Authorization/policyAssignments/a", "name": "a"}]}`)
	write("exempt.json", `[{"properties": {"policyAssignmentId": "/subscriptions/s/providers/Microsoft.Authorization/policyAssignments/a", "exemptionCategory": "Mitigated"}, "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Authorization/policyExemptions/e", "name": "e"}]`)
	write("notes.txt", `not json`)
	write("bad/broken.json", `{"properties": {"policyRule": {"if": {"field": "name", "equalz": "x"}, "then": {"effect": "audit"}}}}`)
	coll, errs := LoadFiles([]string{dir})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "broken.json: properties.policyRule.if.equalz: unknown operator") {
		t.Fatalf("errors %v", errs)
	}
	var fe *FileError
	if !errors.As(errs[0], &fe) {
		t.Error("not a *FileError")
	}
	if len(coll.Definitions) != 1 || len(coll.Assignments) != 1 || len(coll.Exemptions) != 1 {
		t.Fatalf("collection %+v", coll)
	}
	evals, err := coll.Evaluations(nil)
	if err != nil || len(evals) != 1 || evals[0].Assignment == nil || len(evals[0].Exemptions) != 1 {
		t.Fatalf("evaluations %+v %v", evals, err)
	}
	in := arm.New(map[string]any{"id": "/subscriptions/s/resourceGroups/g/providers/A.B/c/n", "type": "A.B/c", "name": "n"}, arm.Origin{})
	out := arm.New(map[string]any{"id": "/subscriptions/s/resourceGroups/h/providers/A.B/c/n", "type": "A.B/c", "name": "n"}, arm.Origin{})
	if got := evals[0].Evaluate(in, &Env{}); got.State != Exempt {
		t.Errorf("exempted resource: %s", got.State)
	}
	if got := evals[0].Evaluate(out, &Env{}); got.State != NonCompliant {
		t.Errorf("other resource: %s", got.State)
	}
	if ex := coll.ExemptionFor("/subscriptions/s/providers/Microsoft.Authorization/policyAssignments/A", "", in, time.Now()); ex == nil {
		t.Error("ExemptionFor found nothing")
	}
	if _, errs := LoadFiles([]string{filepath.Join(dir, "missing")}); len(errs) != 1 {
		t.Errorf("missing path: %v", errs)
	}
}

func TestLoadAliasesErrors(t *testing.T) {
	for _, in := range []string{`[1]`, `{"value": 1}`, `[{"namespace": "A"}]`, `[{"namespace": "A", "resourceTypes": [{"aliases": []}]}]`,
		`[{"namespace": "A", "resourceTypes": [{"resourceType": "b", "aliases": [{"name": "A/b/x"}]}]}]`, `nope`} {
		if _, err := LoadAliases([]byte(in)); err == nil || !strings.Contains(err.Error(), "alias catalog") {
			t.Errorf("LoadAliases(%s) = %v", in, err)
		}
	}
	a, err := LoadAliases([]byte(`{"namespace": "A", "resourceTypes": [{"resourceType": "b", "aliases": [{"name": "A/b/x", "defaultPath": "x.y"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if al := a.Lookup("a/B/X"); al == nil || al.DefaultPath != "properties.x.y" {
		t.Errorf("Lookup = %+v", al)
	}
	if a.Len() <= BuiltinAliases().Len() {
		t.Error("the catalog does not extend the built-in table")
	}
}

// TestEvidenceFromREST: the evidence of a verdict names the JSON path the
// scan maps to a line.
func TestEvidenceFromREST(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "arm-examples", "2025-08-01_ServersGet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Responses map[string]struct{ Body map[string]any } `json:"responses"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	r := arm.New(doc.Responses["200"].Body, arm.Origin{})
	def, err := os.ReadFile(filepath.Join("builtin", "definitions", "SQL_PostgreSQL_FlexibleServers_DisablePublicNetworkAccess_Audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	res := d.Evaluate(r, nil)
	if res.State != NonCompliant || res.Effect != "Audit" {
		t.Fatalf("%s %s", res.State, res.Effect)
	}
	paths := map[string]bool{}
	for _, e := range res.Evidence {
		paths[e.Path] = true
		if e.ResourceID != r.ID {
			t.Errorf("evidence on %s", e.ResourceID)
		}
	}
	if !paths["properties.network.publicNetworkAccess"] {
		t.Errorf("evidence paths %v", paths)
	}
}

func FuzzParseDefinition(f *testing.F) {
	for _, data := range builtinFiles(f) {
		f.Add(data)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "conformance", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var cases []struct {
			Definition json.RawMessage `json:"definition"`
		}
		if json.Unmarshal(data, &cases) == nil {
			for i, c := range cases {
				if i%7 == 0 && len(c.Definition) > 0 {
					f.Add([]byte(c.Definition))
				}
			}
		}
	}
	r := arm.New(map[string]any{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/n",
		"type": "Microsoft.DBforPostgreSQL/flexibleServers", "name": "n", "location": "eastus",
		"properties": map[string]any{"network": map[string]any{"publicNetworkAccess": "Enabled"}, "logs": []any{map[string]any{"enabled": true}}}}, arm.Origin{})
	set := arm.NewSet(r)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDefinition(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		params := map[string]any{}
		for _, name := range d.MissingParameters(nil) {
			params[name] = "x"
		}
		res := d.Evaluate(r, &Env{Params: params, Related: set, Now: time.Unix(0, 0)})
		switch res.State {
		case Compliant, NonCompliant, NotApplicable, Unknown, Error:
		default:
			t.Fatalf("state %q", res.State)
		}
		_ = d.TargetTypes()
		_ = d.DefaultEffect()
	})
}

func FuzzCollection(f *testing.F) {
	f.Add([]byte(`{"properties": {"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/x", "parameters": {"a": {"value": 1}}, "overrides": [{"kind": "policyEffect", "value": "Deny"}]}}`))
	f.Add([]byte(`{"properties": {"policyDefinitions": [{"policyDefinitionId": "x", "parameters": {"e": {"value": "[parameters('e')]"}}}], "parameters": {"e": {"type": "String"}}}}`))
	f.Add([]byte(`{"value": [{"properties": {"policyAssignmentId": "a", "exemptionCategory": "Waiver", "expiresOn": "2026-01-01T00:00:00Z"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collection{}
		if errs := c.Add(data); len(errs) > 0 {
			return
		}
		_, _ = c.Evaluations(nil)
	})
}
