// Package verdict is pgbaseline's vocabulary for judging a rule on a
// resource: the Status of a result, the Severity of a rule, the Outcome a
// rule's code reaches, the Remediation that says how to fix it, and Rule,
// the metadata of a rule that the report writers show. Package report (the JSON report and its writers) names these
// types through aliases, and the baseline catalog and the data-plane checks
// use them, so each is defined once.
//
// The package imports nothing of the project, so that every other package
// may import it.
package verdict

// Status is a result's compliance state, spelled as Azure Policy spells it.
type Status string

// The statuses.
const (
	Compliant     Status = "Compliant"
	NonCompliant  Status = "NonCompliant"
	NotApplicable Status = "NotApplicable"
	Exempt        Status = "Exempt"
	Unknown       Status = "Unknown"
	Error         Status = "Error"
)

// Statuses lists every status in report order.
var Statuses = []Status{Compliant, NonCompliant, NotApplicable, Exempt, Unknown, Error}

// Severity ranks a rule.
type Severity string

// The severities, highest first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
)

// Rank orders severities: critical 4 ... low 1, unknown 0.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// Outcome is a verdict as a rule's code reaches it, before the scan's
// finish step completes it into a result (rule metadata, configuration,
// suppressions, remediation): the status, the message, the evidence and
// where it points. R is the type of the related thing that decided the
// verdict when it is not the judged resource itself (check.Outcome, the
// Go checks' verdict, is an Outcome[*arm.Resource]); rules that never name
// one use Outcome[struct{}].
type Outcome[R any] struct {
	Status  Status
	Message string
	// Evidence maps what was read to the value observed.
	Evidence map[string]any
	// Path is the property of the judged resource that decided the
	// verdict, for pointing at a line; "" for the resource itself.
	Path string
	// Related is what decided the verdict when it is not the judged
	// resource (a network security group, say); its zero value otherwise.
	Related R
}

// Remediation says how to fix a failing rule: a summary, and snippets in
// the languages that can apply the fix. Snippets may hold placeholders
// ($SERVER, $RG, ...) that Fill replaces. The field names are those of the
// report's JSON (docs/contract.md) and of the catalog's YAML.
type Remediation struct {
	Summary   string `yaml:"summary,omitempty" json:"summary,omitempty"`
	AzureCLI  string `yaml:"azureCli,omitempty" json:"azureCli,omitempty"`
	Terraform string `yaml:"terraform,omitempty" json:"terraform,omitempty"`
	Bicep     string `yaml:"bicep,omitempty" json:"bicep,omitempty"`
	SQL       string `yaml:"sql,omitempty" json:"sql,omitempty"`
}

// Empty reports whether m says nothing; a nil m is empty.
func (m *Remediation) Empty() bool {
	return m == nil || m.Summary == "" && m.AzureCLI == "" && m.Terraform == "" && m.Bicep == "" && m.SQL == ""
}

// Fill returns the remediation with each $NAME placeholder of its snippets
// whose value vals holds replaced by that value; a name is the longest run
// of capitals, digits and underscores after the $, so $SERVER does not
// touch $NEW_SERVER or $SERVER_ID. The summary is left as written. m
// itself is returned when nothing is filled; nil stays nil.
func (m *Remediation) Fill(vals map[string]string) *Remediation {
	if m == nil || len(vals) == 0 {
		return m
	}
	out := *m
	out.AzureCLI = fillPlaceholders(m.AzureCLI, vals)
	out.Terraform = fillPlaceholders(m.Terraform, vals)
	out.Bicep = fillPlaceholders(m.Bicep, vals)
	out.SQL = fillPlaceholders(m.SQL, vals)
	if out == *m {
		return m
	}
	return &out
}

// fillPlaceholders replaces each $NAME in s whose value vals holds.
func fillPlaceholders(s string, vals map[string]string) string {
	i := 0
	for i < len(s) && s[i] != '$' {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b = append(b, s[i])
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
			j++
		}
		if v, ok := vals[s[i+1:j]]; ok {
			b = append(b, v...)
			i = j - 1
			continue
		}
		b = append(b, '$')
	}
	return string(b)
}

// Rule is what the report writers know about a rule beyond its results:
// its identity, the control and feature of the baseline it assesses, why
// it matters and how to fix it. Callers fill it from the baseline catalog
// (baseline.Rule.Info); a writer describes the results of a rule it has no
// Rule for from the results themselves.
type Rule struct {
	ID          string
	Title       string
	Description string
	Rationale   string
	// HelpURI is a page that explains the rule.
	HelpURI      string
	ControlID    string
	ControlTitle string
	Feature      string
	Severity     Severity
	Remediation  *Remediation
	// PolicyDefinitionID is the id of the Azure Policy built-in the rule
	// runs, or "".
	PolicyDefinitionID string
}
