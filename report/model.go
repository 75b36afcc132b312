// Package report holds the scan report, the JSON document that
// docs/contract.md defines (schemaVersion 1), and the writers that render
// it in each output format.
package report

import (
	"time"

	"github.com/pgbaseline/pgbaseline/verdict"
)

// SchemaVersion is the version of the JSON report.
const SchemaVersion = 1

// Status is a result's compliance state, spelled as Azure Policy spells it.
type Status = verdict.Status

// The statuses.
const (
	Compliant     = verdict.Compliant
	NonCompliant  = verdict.NonCompliant
	NotApplicable = verdict.NotApplicable
	Exempt        = verdict.Exempt
	Unknown       = verdict.Unknown
	Error         = verdict.Error
)

// Statuses lists every status in report order.
var Statuses = verdict.Statuses

// Severity ranks a rule (Rank orders them).
type Severity = verdict.Severity

// The severities, highest first.
const (
	Critical = verdict.Critical
	High     = verdict.High
	Medium   = verdict.Medium
	Low      = verdict.Low
)

// Report is the whole scan report.
type Report struct {
	SchemaVersion int              `json:"schemaVersion"`
	Tool          Tool             `json:"tool"`
	Benchmark     Benchmark        `json:"benchmark"`
	StartedAt     time.Time        `json:"startedAt"`
	FinishedAt    time.Time        `json:"finishedAt"`
	Targets       []Target         `json:"targets"`
	Resources     []Resource       `json:"resources"`
	Results       []Result         `json:"results"`
	Controls      []ControlSummary `json:"controls"`
	Errors        []ErrorEntry     `json:"errors"`
	// Notes are what the user should know that is not an error (no
	// PostgreSQL resource in the inputs, a file skipped), each naming its
	// file or input. An extension of the contract; omitted when empty.
	Notes   []string `json:"notes,omitempty"`
	Summary Summary  `json:"summary"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Benchmark names the baseline the report assesses.
type Benchmark struct {
	ID       string `json:"id"`
	Version  string `json:"version"`
	Baseline string `json:"baseline"`
}

// Target is one input of the scan.
type Target struct {
	Kind     string `json:"kind"` // terraform|arm-template|arm-export|terraform-plan|azure|postgres
	Location string `json:"location"`
}

// Resource is one assessed resource.
type Resource struct {
	ID     string  `json:"id"`
	Type   string  `json:"type"`
	Name   string  `json:"name"`
	Origin *Origin `json:"origin,omitempty"`
}

// Origin is where a resource was read.
type Origin struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Result is the verdict of one rule on one resource.
type Result struct {
	RuleID             string         `json:"ruleId"`
	ControlID          string         `json:"controlId"`
	Feature            string         `json:"feature"`
	Title              string         `json:"title"`
	Severity           Severity       `json:"severity"`
	PolicyDefinitionID string         `json:"policyDefinitionId,omitempty"`
	ResourceID         string         `json:"resourceId"`
	ResourceType       string         `json:"resourceType"`
	ResourceName       string         `json:"resourceName"`
	Status             Status         `json:"status"`
	Effect             string         `json:"effect,omitempty"`
	Message            string         `json:"message"`
	Evidence           map[string]any `json:"evidence,omitempty"`
	Location           *Location      `json:"location,omitempty"`
	Remediation        *Remediation   `json:"remediation,omitempty"`
}

// Location is where in a file a result points.
type Location struct {
	File      string `json:"file"`
	StartLine int    `json:"startLine,omitempty"`
	EndLine   int    `json:"endLine,omitempty"`
}

// Remediation says how to fix a failing rule.
type Remediation = verdict.Remediation

// ControlSummary rolls up the results of one control.
type ControlSummary struct {
	ID     string         `json:"id"`
	Title  string         `json:"title"`
	Domain string         `json:"domain"`
	Status Status         `json:"status"`
	Counts map[Status]int `json:"counts"`
}

// ErrorEntry records an input that could not be read, parsed or reached.
type ErrorEntry struct {
	Target  string `json:"target"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Summary counts results by status.
type Summary struct {
	Total         int `json:"total"`
	Compliant     int `json:"Compliant"`
	NonCompliant  int `json:"NonCompliant"`
	NotApplicable int `json:"NotApplicable"`
	Exempt        int `json:"Exempt"`
	Unknown       int `json:"Unknown"`
	Error         int `json:"Error"`
}

// Add counts one result of status s.
func (s *Summary) Add(st Status) {
	s.Total++
	switch st {
	case Compliant:
		s.Compliant++
	case NonCompliant:
		s.NonCompliant++
	case NotApplicable:
		s.NotApplicable++
	case Exempt:
		s.Exempt++
	case Unknown:
		s.Unknown++
	case Error:
		s.Error++
	}
}

// NewCounts returns a count map with every status present at zero.
func NewCounts() map[Status]int {
	m := make(map[Status]int, len(Statuses))
	for _, s := range Statuses {
		m[s] = 0
	}
	return m
}
