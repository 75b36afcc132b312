package scan

import (
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// sourceVerdicts turns the sources' findings into verdicts, completed
// from the catalog. A source rule also reports Compliant on each resource
// it targets, from an input kind it reads, that has no finding.
func (e *Engine) sourceVerdicts(inputs []*source.Input) []verdict {
	var out []verdict
	for _, in := range inputs {
		flagged := map[string]map[*arm.Resource]bool{} // rule id -> resources with a finding
		for _, f := range in.Findings {
			rule := e.Catalog.Rule(f.RuleID)
			res := report.Result{RuleID: f.RuleID, Title: f.RuleID, Severity: report.Medium,
				Status: f.Status, Message: f.Message, Evidence: f.Evidence,
				ResourceID: f.File, ResourceType: "file", ResourceName: f.File}
			if rule != nil {
				res.RuleID, res.Title, res.ControlID, res.Feature, res.Severity = rule.ID, rule.Title, rule.Control, rule.Feature, rule.Severity
				if rule.Remediation != (baseline.Remediation{}) {
					res.Remediation = new(rule.Remediation)
				}
			}
			if f.Resource != nil {
				res.ResourceID, res.ResourceType, res.ResourceName = resourceID(f.Resource), f.Resource.Type, f.Resource.Name
				if flagged[res.RuleID] == nil {
					flagged[res.RuleID] = map[*arm.Resource]bool{}
				}
				flagged[res.RuleID][f.Resource] = true
			}
			if f.File != "" {
				res.Location = &report.Location{File: f.File, StartLine: f.Line, EndLine: f.Line}
			}
			out = append(out, verdict{res: res, r: f.Resource})
		}
		for _, rule := range e.Catalog.Rules {
			if rule.Kind != baseline.KindSource || !containsFold(rule.Inputs, in.Kind) || !e.enabled(rule) {
				continue
			}
			for _, r := range in.Resources {
				if r.Synthesized != "" || !rule.TargetsType(r.Type) || flagged[rule.ID][r] {
					continue
				}
				res := e.newResult(&compiledRule{rule: rule}, r)
				res.Status = report.Compliant
				res.Message = firstNonEmpty(rule.Message, fmt.Sprintf("No literal secret was found in the %s source of this resource.", in.Kind))
				res.Location = location(r, "")
				out = append(out, verdict{res: res, r: r})
			}
		}
	}
	return out
}

// enabled reports whether the catalog and the configuration turn r on.
func (e *Engine) enabled(r *baseline.Rule) bool { return e.settings(r.ID).enabled }

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
