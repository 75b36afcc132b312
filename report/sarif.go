package report

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

// SARIFFingerprintKey names the partial fingerprint the SARIF results carry.
const SARIFFingerprintKey = "pgbaselineResource/v1"

// sarifSchemaURI is the $schema the SARIF log names.
const sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

// securitySeverity is GitHub code scanning's "security-severity" score of
// each severity (critical >= 9.0, high >= 7.0, medium >= 4.0, low > 0).
var securitySeverity = map[Severity]string{Critical: "9.5", High: "8.0", Medium: "5.5", Low: "3.0"}

// writeSARIF writes a SARIF 2.1.0 log with one run.
//
// Results: NonCompliant results are "error" (critical, high) or "warning"
// (medium, low). Unknown and Error results are included as "note", with a
// message that says the rule could not decide, because a reviewer must look
// at them; Compliant, NotApplicable and Exempt results are left out, as
// code scanning shows only what needs attention. A result on a file input
// has a physicalLocation (relative URI, start and end line); every result
// has a logicalLocation whose fullyQualifiedName is the resource ID (ARM ID
// for live resources, Terraform address for Terraform). partialFingerprints
// carries a SHA-256 of rule ID, resource ID and file, without line numbers,
// so that alerts survive edits that move lines. The report's errors become
// toolExecutionNotifications, and executionSuccessful is false when there
// are any.
//
// The rules, tool and invocation are built with go-sarif; the results are
// encoded one by one into the run, so memory does not grow with them.
func writeSARIF(w *bufio.Writer, r *Report, o Options) error {
	version := o.ToolVersion
	if version == "" {
		version = r.Tool.Version
	}
	name := r.Tool.Name
	if name == "" {
		name = "pgbaseline"
	}
	driver := sarif.NewVersionedDriver(name, version)
	driver.WithInformationURI("https://github.com/pgbaseline/pgbaseline")
	rules, index := sarifRules(r, o)
	driver.Rules = rules
	tool := sarif.NewTool(driver)

	inv := sarif.NewInvocation().WithExecutionSuccess(len(r.Errors) == 0)
	if !r.StartedAt.IsZero() {
		inv.WithStartTimeUTC(r.StartedAt)
	}
	if !r.FinishedAt.IsZero() {
		inv.WithEndTimeUTC(r.FinishedAt)
	}
	for _, e := range r.Errors {
		n := sarif.NewNotification().WithLevel("error").WithTextMessage(errorText(e))
		if e.File != "" {
			pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(sarifURI(e.File)))
			if e.Line > 0 {
				pl.WithRegion(sarif.NewRegion().WithStartLine(e.Line))
			}
			n.AddLocation(sarif.NewLocationWithPhysicalLocation(pl))
		}
		inv.AddTToolExecutionNotification(n)
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	put := func(prefix string, v any) error {
		buf.Reset()
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	w.WriteString("{\n  \"version\": \"2.1.0\",\n  \"$schema\": \"" + sarifSchemaURI + "\",\n  \"runs\": [\n    {\n      \"tool\": ")
	if err := put("      ", tool); err != nil {
		return err
	}
	w.WriteString(",\n      \"invocations\": [\n        ")
	if err := put("        ", inv); err != nil {
		return err
	}
	w.WriteString("\n      ],\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [")
	n := 0
	for i := range r.Results {
		res := &r.Results[i]
		sr := sarifResult(res, index[res.RuleID], o)
		if sr == nil {
			continue
		}
		if n > 0 {
			w.WriteString(",")
		}
		n++
		w.WriteString("\n        ")
		if err := put("        ", sr); err != nil {
			return err
		}
	}
	if n > 0 {
		w.WriteString("\n      ")
	}
	w.WriteString("],\n      \"properties\": ")
	if err := put("      ", sarifRunProperties(r, o)); err != nil {
		return err
	}
	_, err := w.WriteString("\n    }\n  ]\n}\n")
	return err
}

// sarifControl is a control's rollup in the run's properties.
type sarifControl struct {
	ID     string         `json:"id"`
	Title  string         `json:"title,omitempty"`
	Status Status         `json:"status"`
	Counts map[Status]int `json:"counts"`
}

// sarifRunProperties is the run's property bag: each control's status by
// Rollup, as every other format shows it, and the NonCompliant results by
// severity (SARIF itself lists only results that need attention).
func sarifRunProperties(r *Report, o Options) map[string]any {
	views := buildView(r, o)
	controls := make([]sarifControl, 0, len(views))
	for _, v := range views {
		controls = append(controls, sarifControl{ID: v.ID, Title: v.Title, Status: v.Status, Counts: v.Counts})
	}
	f := CountFailures(r.Results)
	failures := map[string]int{"total": f.Total}
	for _, s := range severityOrder {
		failures[string(s)] = f.BySeverity[s]
	}
	return map[string]any{"controls": controls, "failures": failures}
}

func errorText(e ErrorEntry) string {
	if e.Target != "" && !strings.Contains(e.Message, e.Target) {
		return e.Target + ": " + e.Message
	}
	return e.Message
}

// sarifRules describes every rule of the catalog and every rule the
// results name, sorted by ID, and returns each rule's index.
func sarifRules(r *Report, o Options) ([]*sarif.ReportingDescriptor, map[string]int) {
	infos := make(map[string]RuleInfo, len(o.Rules))
	for id, info := range o.Rules {
		if info.ID == "" {
			info.ID = id
		}
		infos[id] = info
	}
	for i := range r.Results {
		res := &r.Results[i]
		if _, ok := infos[res.RuleID]; ok {
			continue
		}
		infos[res.RuleID] = RuleInfo{ID: res.RuleID, Title: res.Title, ControlID: res.ControlID,
			Feature: res.Feature, Severity: res.Severity, Remediation: res.Remediation,
			PolicyDefinitionID: res.PolicyDefinitionID}
	}
	ids := make([]string, 0, len(infos))
	for id := range infos {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, cmp.Compare[string])
	rules := make([]*sarif.ReportingDescriptor, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		rules[i] = sarifRule(infos[id])
		index[id] = i
	}
	return rules, index
}

func sarifRule(info RuleInfo) *sarif.ReportingDescriptor {
	rule := sarif.NewRule(info.ID)
	title := info.Title
	if title == "" {
		title = info.ID
	}
	rule.WithName(ruleName(info.ID))
	rule.WithShortDescription(sarif.NewMultiformatMessageString(title))
	full := info.Description
	if full == "" {
		full = info.Rationale
	}
	if full == "" {
		full = title
	}
	rule.WithFullDescription(sarif.NewMultiformatMessageString(full))
	text, md := ruleHelp(info)
	rule.WithHelp(&sarif.MultiformatMessageString{Text: &text, Markdown: &md})
	if info.HelpURI != "" {
		rule.WithHelpURI(info.HelpURI)
	}
	level := "warning"
	if info.Severity == Critical || info.Severity == High {
		level = "error"
	}
	rule.WithDefaultConfiguration(&sarif.ReportingConfiguration{Level: level})
	props := sarif.Properties{}
	tags := []string{"security", "MCSB"}
	if info.ControlID != "" {
		props["control"] = info.ControlID
		tags = append(tags, info.ControlID)
	}
	if info.ControlTitle != "" {
		props["controlTitle"] = info.ControlTitle
	}
	if info.Feature != "" {
		props["feature"] = info.Feature
		tags = append(tags, info.Feature)
	}
	if info.Severity != "" {
		props["severity"] = string(info.Severity)
	}
	if s, ok := securitySeverity[info.Severity]; ok {
		props["security-severity"] = s
	}
	if info.PolicyDefinitionID != "" {
		props["policyDefinitionId"] = info.PolicyDefinitionID
	}
	props["tags"] = tags
	rule.WithProperties(props)
	return rule
}

// ruleName turns an ID into the PascalCase name SARIF suggests.
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, c := range id {
		if c == '-' || c == '_' || c == '.' || c == ' ' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}

// ruleHelp is the rule's help in text and in Markdown, with the remediation.
func ruleHelp(info RuleInfo) (string, string) {
	var t, m strings.Builder
	title := cmp.Or(info.Title, info.ID)
	t.WriteString(title)
	m.WriteString("**" + mdEscape(title) + "**")
	if info.ControlID != "" {
		ctl := "MCSB " + info.ControlID
		if info.ControlTitle != "" {
			ctl += " " + info.ControlTitle
		}
		if info.Feature != "" {
			ctl += ", feature: " + info.Feature
		}
		t.WriteString("\n\n" + ctl)
		m.WriteString("\n\n" + mdEscape(ctl))
	}
	if info.Rationale != "" {
		t.WriteString("\n\n" + info.Rationale)
		m.WriteString("\n\n" + info.Rationale)
	}
	if rem := info.Remediation; !rem.Empty() {
		t.WriteString("\n\nRemediation:")
		m.WriteString("\n\n### Remediation\n")
		if rem.Summary != "" {
			t.WriteString(" " + rem.Summary)
			m.WriteString("\n" + rem.Summary + "\n")
		}
		for _, s := range remediationSnippets(rem) {
			t.WriteString("\n\n" + s.Label + ":\n" + s.Code)
			m.WriteString("\n" + s.Label + ":\n\n" + fence(s.Lang, s.Code) + "\n")
		}
	}
	if info.PolicyDefinitionID != "" {
		t.WriteString("\n\nAzure Policy: " + info.PolicyDefinitionID)
		m.WriteString("\nAzure Policy: `" + info.PolicyDefinitionID + "`\n")
	}
	return t.String(), strings.TrimRight(m.String(), "\n")
}

// sarifResult converts one result; nil for the statuses SARIF leaves out.
func sarifResult(res *Result, ruleIndex int, o Options) *sarif.Result {
	var level, msg string
	switch res.Status {
	case NonCompliant:
		level = "warning"
		if res.Severity == Critical || res.Severity == High {
			level = "error"
		}
		msg = CleanMessage(res.Message)
	case Unknown:
		level, msg = "note", "Could not be assessed: "+CleanMessage(res.Message)
	case Error:
		level, msg = "note", "The rule failed to evaluate: "+CleanMessage(res.Message)
	default:
		return nil
	}
	if label := resourceLabel(res); label != "" && !strings.Contains(msg, label) {
		msg = strings.TrimSpace(msg) + " (resource: " + label + ")"
	}
	out := sarif.NewRuleResult(res.RuleID).WithRuleIndex(ruleIndex).WithLevel(level).
		WithMessage(sarif.NewTextMessage(msg))
	loc := sarif.NewLocation()
	if l := res.Location; l != nil && l.File != "" {
		pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(sarifURI(l.File)))
		if l.StartLine > 0 {
			reg := sarif.NewRegion().WithStartLine(l.StartLine)
			if l.EndLine >= l.StartLine {
				reg.WithEndLine(l.EndLine)
			}
			pl.WithRegion(reg)
		}
		loc.WithPhysicalLocation(pl)
	}
	if res.ResourceID != "" {
		ll := sarif.NewLogicalLocation().WithFullyQualifiedName(res.ResourceID).WithKind("resource")
		if res.ResourceName != "" {
			ll.WithName(res.ResourceName)
		}
		loc.AddLogicalLocations(ll)
	}
	if loc.PhysicalLocation != nil || len(loc.LogicalLocations) > 0 {
		out.AddLocation(loc)
	}
	out.WithPartialFingerPrints(map[string]any{SARIFFingerprintKey: Fingerprint(res)})
	props := sarif.Properties{"status": string(res.Status)}
	if res.Severity != "" {
		props["severity"] = string(res.Severity)
	}
	if res.ControlID != "" {
		props["control"] = res.ControlID
	}
	if res.Feature != "" {
		props["feature"] = res.Feature
	}
	if res.ResourceType != "" {
		props["resourceType"] = res.ResourceType
	}
	if res.Effect != "" {
		props["effect"] = res.Effect
	}
	if res.PolicyDefinitionID != "" {
		props["policyDefinitionId"] = res.PolicyDefinitionID
	}
	if ev := NamedEvidence(res.Evidence); len(ev) > 0 {
		props["evidence"] = ev
	}
	if m := remediationFor(res, o); m != nil {
		props["remediation"] = m
	}
	out.AttachPropertyBag(&sarif.PropertyBag{Properties: props})
	return out
}

// Fingerprint is a stable hash of a result's rule, resource and file (not
// its lines), in hex: the same finding gets the same value across runs.
func Fingerprint(res *Result) string {
	h := sha256.New()
	h.Write([]byte(res.RuleID))
	h.Write([]byte{0})
	h.Write([]byte(res.ResourceID))
	h.Write([]byte{0})
	if res.Location != nil {
		h.Write([]byte(filepath.ToSlash(res.Location.File)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sarifURI turns a file path into a URI reference: relative paths stay
// relative (with forward slashes, percent-encoded); absolute paths become
// file:// URIs.
func sarifURI(p string) string {
	slash := filepath.ToSlash(p)
	if filepath.IsAbs(p) || strings.HasPrefix(slash, "/") {
		return (&url.URL{Scheme: "file", Path: slash}).String()
	}
	slash = strings.TrimPrefix(slash, "./")
	return (&url.URL{Path: slash}).String()
}
