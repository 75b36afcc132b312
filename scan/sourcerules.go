package scan

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/source"
)

// sourceResults turns the sources' findings into results, completed from
// the catalog. A source rule also reports Compliant on each resource it
// targets, from an input kind it reads, that has no finding.
func (e *Engine) sourceResults(inputs []*source.Input, now time.Time) []report.Result {
	var out []report.Result
	for _, in := range inputs {
		flagged := map[string]map[*arm.Resource]bool{} // rule id -> resources with a finding
		for _, f := range in.Findings {
			rule := e.Catalog.Rule(f.RuleID)
			res := report.Result{RuleID: f.RuleID, Title: f.RuleID, Severity: report.Medium,
				Status: report.Status(f.Status), Message: f.Message, Evidence: f.Evidence,
				ResourceID: f.File, ResourceType: "file", ResourceName: f.File}
			if rule != nil {
				res.RuleID, res.Title, res.ControlID, res.Feature, res.Severity = rule.ID, rule.Title, rule.Control, rule.Feature, rule.Severity
				if rule.Remediation != (baseline.Remediation{}) {
					res.Remediation = rule.Remediation.Report()
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
			applySuppression(&res, f.Resource, now)
			out = append(out, res)
		}
		for _, rule := range e.Catalog.Rules {
			if rule.Kind != baseline.KindSource || !containsFold(rule.Inputs, in.Kind) || !e.enabled(rule) {
				continue
			}
			for _, r := range in.Resources {
				if r.Synthesized != "" || !rule.TargetsType(r.Type) || flagged[rule.ID][r] {
					continue
				}
				res := e.newResult(&compiledRule{rule: rule, severity: rule.Severity}, r)
				res.Status = report.Compliant
				res.Message = firstNonEmpty(rule.Message, fmt.Sprintf("No literal secret was found in the %s source of this resource.", in.Kind))
				res.Location = location(r, "")
				applySuppression(&res, r, now)
				out = append(out, res)
			}
		}
	}
	return out
}

func (e *Engine) enabled(r *baseline.Rule) bool {
	if rc := e.Config.Rule(r.ID); rc.Enabled != nil {
		return *rc.Enabled
	}
	return r.Enabled
}

// applySuppression makes a result Exempt when its resource carries an
// inline suppression of the rule that has not expired; an expired one is
// named in the message and changes nothing.
func applySuppression(res *report.Result, r *arm.Resource, now time.Time) {
	if r == nil {
		return
	}
	for _, s := range r.Suppressions {
		if !strings.EqualFold(s.RuleID, res.RuleID) {
			continue
		}
		where := s.Origin.File
		if s.Origin.Line > 0 {
			where = fmt.Sprintf("%s:%d", s.Origin.File, s.Origin.Line)
		}
		if !s.Expires.IsZero() && !now.Before(s.Expires) {
			res.Message = fmt.Sprintf("%s (The inline suppression at %s expired on %s.)", res.Message, where, s.Expires.Format("2006-01-02"))
			continue
		}
		if res.Status == report.NonCompliant || res.Status == report.Unknown {
			reason := s.Reason
			if reason == "" {
				reason = "no reason given"
			}
			res.Message = fmt.Sprintf("Suppressed inline at %s: %s. Underlying verdict: %s. %s", where, reason, res.Status, res.Message)
			res.Status = report.Exempt
		}
		return
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
