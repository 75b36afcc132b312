package baseline

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("the embedded catalog is invalid: %v", err)
	}
	return c
}

func TestEmbeddedCatalogIsValid(t *testing.T) {
	c := mustLoad(t)
	if got := len(c.Controls); got != 20 {
		t.Errorf("controls = %d, want 20", got)
	}
	if got := len(c.Features()); got != 25 {
		t.Errorf("features = %d, want 25", got)
	}
	want := Benchmark{ID: "MCSB", Version: "1.0", Baseline: "Azure Database for PostgreSQL - Flexible Server"}
	if c.Benchmark != want {
		t.Errorf("benchmark = %+v, want %+v", c.Benchmark, want)
	}
	kinds := map[Kind]int{}
	for _, r := range c.Rules {
		kinds[r.Kind]++
		if f := c.Feature(r.Control, r.Feature); f == nil || !slices.Contains(f.Rules, r.ID) {
			t.Errorf("rule %s is not listed under %s %q", r.ID, r.Control, r.Feature)
		}
	}
	wantKinds := map[Kind]int{KindBuiltin: 32, KindCustom: 10, KindGo: 2, KindPlatform: 2, KindUnsupported: 5, KindManual: 4}
	for k, n := range wantKinds {
		if kinds[k] != n {
			t.Errorf("%s rules = %d, want %d", k, kinds[k], n)
		}
	}
	for _, f := range c.Features() {
		if len(f.Rules) == 0 {
			t.Errorf("feature %q has no rule", f.Name)
		}
	}
}

func TestLookups(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"control case-insensitive", c.Control("dp-3"), "DP-3"},
		{"rule case-insensitive", c.Rule("azp-5E1DE0E3"), "AZP-5e1de0e3"},
		{"feature case-insensitive", c.Feature("ns-2", "azure private link"), "Azure Private Link"},
	}
	for _, tt := range tests {
		var got string
		switch v := tt.got.(type) {
		case *Control:
			if v != nil {
				got = v.ID
			}
		case *Rule:
			if v != nil {
				got = v.ID
			}
		case *Feature:
			if v != nil {
				got = v.Name
			}
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if c.Control("XX-9") != nil || c.Rule("nope") != nil || c.Feature("DP-3", "nope") != nil {
		t.Error("lookups of unknown ids should return nil")
	}
	if got := c.Rule("AZP-5e1de0e3").PolicyDefinitionID(); got != PolicyDefinitionPrefix+"5e1de0e3-42cb-4ebc-a86d-61d0c619ca48" {
		t.Errorf("PolicyDefinitionID = %q", got)
	}
	if got := c.Rule("PGB-NS1-01").PolicyDefinitionID(); got != "" {
		t.Errorf("a custom rule's PolicyDefinitionID = %q, want empty", got)
	}
	if k := c.Rule("PGB-DP4-01").Kind; k.Status() != "Compliant" {
		t.Errorf("platform status = %q", k.Status())
	}
}

// TestSeedVerbatim checks every seed attribute against a verbatim copy of
// the published baseline.
func TestSeedVerbatim(t *testing.T) {
	c := mustLoad(t)
	seedBytes, err := os.ReadFile("testdata/seed-baseline.txt")
	if err != nil {
		t.Fatal(err)
	}
	seed := string(seedBytes)
	in := func(what, s string) {
		t.Helper()
		if s != "" && !strings.Contains(seed, s) {
			t.Errorf("%s is not verbatim from the seed: %q", what, s)
		}
	}
	for _, ctl := range c.Controls {
		in(ctl.ID+" title", ctl.ID+": "+ctl.Title)
		in(ctl.ID+" domain", "\n"+ctl.Domain+"\n")
		for _, f := range ctl.Features {
			if f.Name != "Azure Private Link" { // the one name the seed omits
				in(ctl.ID+" feature", "\n"+f.Name+"\n")
			}
			in(f.Name+" description", "Description: "+f.Description+" Learn more.")
			in(f.Name+" guidance", "Configuration Guidance: "+f.Guidance)
			if f.Notes != "" {
				in(f.Name+" notes", "Feature notes: "+f.Notes)
			}
			if f.Reference != "" && f.Name != "Azure Backup" {
				in(f.Name+" reference", "Reference: "+f.Reference)
			}
			def := "Not Applicable"
			if f.EnabledByDefault != nil {
				def = map[bool]string{true: "True", false: "False"}[*f.EnabledByDefault]
			}
			row := map[bool]string{true: "True", false: "False"}[f.Supported] + " " + def + " " + f.Responsibility
			in(f.Name+" attributes", "Supported Enabled By Default Configuration Responsibility\n"+row+"\n")
			for _, p := range f.Policies {
				in(p.DisplayName+" row", p.DisplayName+" "+p.Description+" "+strings.Join(p.Effects, ", ")+" "+p.Version)
			}
		}
	}
	for _, a := range c.SecurityProfile {
		in("security profile", a.Attribute+" "+a.Value)
	}
}

// builtinFile is the part of a verbatim built-in definition the test compares.
type builtinFile struct {
	Name       string `json:"name"`
	Properties struct {
		DisplayName string `json:"displayName"`
		Version     string `json:"version"`
		Metadata    struct {
			Deprecated bool `json:"deprecated"`
			Preview    bool `json:"preview"`
		} `json:"metadata"`
		Parameters map[string]struct {
			DefaultValue  any      `json:"defaultValue"`
			AllowedValues []string `json:"allowedValues"`
		} `json:"parameters"`
		PolicyRule struct {
			If any `json:"if"`
		} `json:"policyRule"`
	} `json:"properties"`
}

// TestBuiltinMetadataMatchesVerbatim checks each built-in rule's metadata
// against the verbatim definitions copied from Azure/azure-policy.
func TestBuiltinMetadataMatchesVerbatim(t *testing.T) {
	c := mustLoad(t)
	files, err := filepath.Glob("testdata/azure-policy/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no verbatim definitions: %v", err)
	}
	byGUID := map[string]builtinFile{}
	fileOf := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var b builtinFile
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		byGUID[b.Name] = b
		fileOf[filepath.Base(f)] = b.Name
	}
	if len(byGUID) != 32 {
		t.Fatalf("verbatim definitions = %d unique, want 32", len(byGUID))
	}
	seen := map[string]bool{}
	for _, r := range c.Rules {
		if r.Kind != KindBuiltin {
			continue
		}
		seen[r.Policy] = true
		b, ok := byGUID[r.Policy]
		if !ok {
			t.Errorf("%s: no verbatim definition %s", r.ID, r.Policy)
			continue
		}
		m := r.Builtin
		eff := b.Properties.Parameters["effect"]
		var required []string
		for name, p := range b.Properties.Parameters {
			if p.DefaultValue == nil {
				required = append(required, name)
			}
		}
		slices.Sort(required)
		gotRequired := slices.Sorted(slices.Values(m.RequiredParameters))
		checks := []struct{ what, got, want string }{
			{"displayName", m.DisplayName, b.Properties.DisplayName},
			{"title", r.Title, b.Properties.DisplayName},
			{"version", m.Version, b.Properties.Version},
			{"defaultEffect", m.DefaultEffect, eff.DefaultValue.(string)},
			{"effects", strings.Join(m.Effects, ","), strings.Join(eff.AllowedValues, ",")},
			{"deprecated", boolStr(m.Deprecated), boolStr(b.Properties.Metadata.Deprecated)},
			{"preview", boolStr(m.Preview), boolStr(b.Properties.Metadata.Preview)},
			{"file", fileOf[m.File], r.Policy},
			{"requiredParameters", strings.Join(gotRequired, ","), strings.Join(required, ",")},
			{"enabled", boolStr(r.Enabled), boolStr(!b.Properties.Metadata.Deprecated && len(required) == 0)},
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("%s %s = %q, want %q", r.ID, ck.what, ck.got, ck.want)
			}
		}
		if types := typeConditions(b.Properties.PolicyRule.If); !sameTypes(types, r.Targets) {
			t.Errorf("%s targets %v, definition's type condition %v", r.ID, r.Targets, types)
		}
	}
	for guid := range byGUID {
		if !seen[guid] {
			t.Errorf("built-in %s has no rule", guid)
		}
	}
	// The seed's four policies are the built-ins of the same feature.
	for _, f := range c.Features() {
		for _, p := range f.Policies {
			guid := strings.TrimPrefix(p.ID, PolicyDefinitionPrefix)
			r := c.Rule("AZP-" + guid[:8])
			if r == nil || r.Control != f.Control().ID {
				t.Errorf("seed policy %s under %s has no rule in the same control", guid, f.Name)
				continue
			}
			if r.Builtin.Version != p.Version || strings.Join(r.Builtin.Effects, ",") != strings.Join(p.Effects, ",") {
				t.Errorf("seed policy %s: catalog says %s %v, rule says %s %v", guid, p.Version, p.Effects, r.Builtin.Version, r.Builtin.Effects)
			}
		}
	}
}

func boolStr(b bool) string { return map[bool]string{true: "true", false: "false"}[b] }

// dataFS copies the embedded data into a MapFS a test can change.
func dataFS(t testing.TB) fstest.MapFS {
	t.Helper()
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidationErrors(t *testing.T) {
	rule := func(body string) string { return "rules:\n" + body }
	const good = `  - id: PGB-XX-01
    title: "t"
    control: DP-4
    feature: "Data at Rest Encryption Using Platform Keys"
    severity: low
    kind: platform
    targets: [Microsoft.DBforPostgreSQL/flexibleServers]
    message: "m"
    rationale: "r"
    remediation: {summary: "s"}
`
	tests := []struct {
		name  string
		edit  func(m fstest.MapFS)
		wants []string
	}{
		{"unknown control", func(m fstest.MapFS) {
			m["rules/extra.yaml"] = &fstest.MapFile{Data: []byte(rule(strings.Replace(good, "DP-4", "DP-99", 1)))}
		}, []string{"rules/extra.yaml:2:", `rule PGB-XX-01: unknown control "DP-99"`}},
		{"unknown feature", func(m fstest.MapFS) {
			m["rules/extra.yaml"] = &fstest.MapFile{Data: []byte(rule(strings.Replace(good, "Platform Keys", "Magic", 1)))}
		}, []string{"rules/extra.yaml:2:", `control DP-4 has no feature "Data at Rest Encryption Using Magic"`}},
		{"duplicate id", func(m fstest.MapFS) {
			m["rules/extra.yaml"] = &fstest.MapFile{Data: []byte(rule(strings.Replace(good, "PGB-XX-01", "PGB-DP4-01", 1)))}
		}, []string{"rules/extra.yaml:2:", "duplicate rule id PGB-DP4-01 (first defined at rules/attested.yaml:"}},
		{"bad severity and kind", func(m fstest.MapFS) {
			b := strings.Replace(strings.Replace(good, "severity: low", "severity: urgent", 1), "kind: platform", "kind: magic", 1)
			m["rules/extra.yaml"] = &fstest.MapFile{Data: []byte(rule(b))}
		}, []string{`severity "urgent" is not critical, high, medium or low`, `kind "magic" is not one of`}},
		{"unknown field", func(m fstest.MapFS) {
			m["rules/extra.yaml"] = &fstest.MapFile{Data: []byte(rule(good + "    colour: red\n"))}
		}, []string{"rules/extra.yaml:", "field colour not found"}},
		{"feature without rules", func(m fstest.MapFS) {
			delete(m, "rules/attested.yaml")
		}, []string{`feature DP-4 "Data at Rest Encryption Using Platform Keys" has no rule`, "catalog.yaml:"}},
		{"custom targets disagree", func(m fstest.MapFS) {
			f := m["rules/controlplane.yaml"]
			f.Data = []byte(strings.Replace(string(f.Data), "definition: pgbaseline-vnet-integration.json\n    targets: [Microsoft.DBforPostgreSQL/flexibleServers]",
				"definition: pgbaseline-vnet-integration.json\n    targets: [Microsoft.DBforPostgreSQL/servers]", 1))
		}, []string{"rule PGB-NS1-01: targets [Microsoft.DBforPostgreSQL/servers] do not agree with the definition's type condition"}},
		{"custom definition without default", func(m fstest.MapFS) {
			f := m["policies/pgbaseline-backup-retention.json"]
			f.Data = []byte(strings.Replace(string(f.Data), `"defaultValue": 7,`, ``, 1))
		}, []string{"policies/pgbaseline-backup-retention.json: parameter minRetentionDays has no defaultValue"}},
		{"deprecated builtin enabled", func(m fstest.MapFS) {
			f := m["rules/builtin.yaml"]
			f.Data = []byte(strings.Replace(string(f.Data), "  policy: dacf07fa-0eea-4486-80bc-b93fae88ac40\n  enabled: false\n", "  policy: dacf07fa-0eea-4486-80bc-b93fae88ac40\n", 1))
		}, []string{"rule AZP-dacf07fa: the built-in is deprecated: set enabled: false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := dataFS(t)
			tt.edit(m)
			_, err := LoadFS(m)
			if err == nil {
				t.Fatal("LoadFS accepted an invalid catalog")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
	if _, err := LoadFS(dataFS(t)); err != nil {
		t.Fatalf("an unchanged copy must load: %v", err)
	}
}
