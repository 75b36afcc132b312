package baseline

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ruleJSON is one rule in `rules --format json`.
type ruleJSON struct {
	*Rule
	PolicyDefinitionID string          `json:"policyDefinitionId,omitempty"`
	Definition         json.RawMessage `json:"definition,omitempty"`
}

// rulesDoc is the `rules --format json` document.
type rulesDoc struct {
	Benchmark Benchmark  `json:"benchmark"`
	Rules     []ruleJSON `json:"rules"`
}

// WriteRules renders rules in opt.Format (table or json). With opt.Detail
// the table prints every attribute of each rule, remediation included, and
// the JSON includes custom definitions.
func (c *Catalog) WriteRules(w io.Writer, rules []*Rule, opt Options) error {
	switch opt.Format {
	case "", "table":
		if opt.Detail {
			return rulesDetail(w, rules, opt.Width)
		}
		return rulesTable(w, rules, opt.Width)
	case "json":
		doc := rulesDoc{Benchmark: c.Benchmark, Rules: make([]ruleJSON, 0, len(rules))}
		for _, r := range rules {
			rj := ruleJSON{Rule: r, PolicyDefinitionID: r.PolicyDefinitionID()}
			if opt.Detail && len(r.Definition) > 0 {
				rj.Definition = r.Definition
			}
			doc.Rules = append(doc.Rules, rj)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(doc)
	}
	return fmt.Errorf("unknown format %q (want %s)", opt.Format, strings.Join(RuleFormats, ", "))
}

// PolicySummary is the POLICY column of the rules table: version, default
// effect and flags of a built-in or custom definition, or "".
func (r *Rule) PolicySummary() string {
	m := r.Builtin
	if m == nil {
		return ""
	}
	s := fmt.Sprintf("v%s %s", m.Version, m.DefaultEffect)
	if m.Deprecated {
		s += " deprecated"
	}
	if m.Preview {
		s += " preview"
	}
	return s
}

func enabledWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func rulesTable(w io.Writer, rules []*Rule, width int) error {
	rows := [][]string{{"ID", "CONTROL", "FEATURE", "SEVERITY", "KIND", "ENABLED", "POLICY", "TITLE"}}
	for _, r := range rules {
		rows = append(rows, []string{r.ID, r.Control, r.Feature, string(r.Severity), string(r.Kind),
			enabledWord(r.Enabled), r.PolicySummary(), r.Title})
	}
	fitColumns(rows, []int{7, 2}, width, 2)
	return writeTable(w, rows)
}

func rulesDetail(w io.Writer, rules []*Rule, width int) error {
	var b strings.Builder
	for i, r := range rules {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: %s\n", r.ID, r.Title)
		kv := func(k, v string) {
			if v != "" {
				fmt.Fprintf(&b, "  %-12s %s\n", k+":", v)
			}
		}
		kv("Control", r.Control)
		kv("Feature", r.Feature)
		kv("Severity", string(r.Severity))
		kv("Kind", string(r.Kind))
		kv("Enabled", enabledWord(r.Enabled))
		kv("Targets", strings.Join(r.Targets, ", "))
		if m := r.Builtin; m != nil {
			kv("Policy", m.DisplayName)
			kv("Definition", r.PolicyDefinitionID()+r.DefinitionFile)
			kv("Version", m.Version)
			kv("Effects", fmt.Sprintf("%s (default %s)", strings.Join(m.Effects, ", "), m.DefaultEffect))
			if m.Deprecated || m.Preview {
				kv("Status", strings.TrimSpace(map[bool]string{true: "deprecated"}[m.Deprecated]+" "+map[bool]string{true: "preview"}[m.Preview]))
			}
			if len(m.RequiredParameters) > 0 {
				kv("Needs", "parameters "+strings.Join(m.RequiredParameters, ", ")+" (no default)")
			}
		}
		if len(r.Parameters) > 0 {
			p, _ := json.Marshal(r.Parameters)
			kv("Parameters", string(p))
		}
		block := func(name, text string) {
			if text == "" {
				return
			}
			fmt.Fprintf(&b, "  %s:\n%s\n", name, wrap(text, width, "    "))
		}
		code := func(name, text string) {
			if text == "" {
				return
			}
			fmt.Fprintf(&b, "  %s:\n", name)
			for _, line := range strings.Split(text, "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
		block("Message", r.Message)
		block("Rationale", r.Rationale)
		block("Remediation", r.Remediation.Summary)
		code("Azure CLI", r.Remediation.AzureCLI)
		code("Terraform", r.Remediation.Terraform)
		code("Bicep", r.Remediation.Bicep)
		code("SQL", r.Remediation.SQL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
