package azure

import (
	"strings"

	"github.com/pgbaseline/pgbaseline/flexserver"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/scan"
)

// Dependents maps the type of a read that can fail on its own (a child
// list of a server, its diagnostic settings, its subnet or network
// security group) to the catalog rules whose verdict on the server reads
// it. When the read is refused, those verdicts would be reached on missing
// data (no diagnostic setting, server parameters at their defaults), so
// MarkHidden turns them into Error results.
var Dependents = map[string][]string{
	flexserver.ConfigurationType: {"AZP-e27a6dfc", "AZP-c29c38cb", "AZP-a43d5475", "AZP-70be9e12", "AZP-086709ac", "AZP-1d14b021",
		"AZP-dacf07fa", "AZP-4eb5e667", "AZP-dd626066", "AZP-eadbb524", "AZP-3bf854e8", "AZP-f5ed3f7a", "AZP-a8f89ff4", "AZP-a7d3e5b1"},
	flexserver.PrivateEndpointConnType: {"AZP-5375a5bb"},
	flexserver.AdministratorType:       {"AZP-ce39a96d"},
	flexserver.ThreatProtectionType:    {"AZP-d38668f5", "AZP-2a6ae02f"},
	flexserver.DiagnosticSettingsType:  {"AZP-78ed47da", "AZP-cdd1dbc6", "AZP-5fbd326d", "AZP-bd0079c6", "AZP-499b7900", "PGB-LT4-01"},
	SubnetType:                         {"PGB-NS1-02"},
	NSGType:                            {"PGB-NS1-02"},
}

// MarkHidden completes a report of a live scan (or of its snapshot): each
// result of a rule that reads data a refused read hid (an AccessRuleID
// Error result on the same resource, whose evidence names the hidden
// type) becomes an Error result saying so, never a verdict reached on
// missing data. NotApplicable and Exempt results stay: they were decided
// without the hidden data. The summary and control rollups are recomputed with the
// engine's catalog. It returns the number of results changed; a report
// without access errors is left as it is.
func MarkHidden(e *scan.Engine, rep *report.Report) int {
	type key struct{ rule, resource string }
	hidden := map[key]report.Result{}
	for _, r := range rep.Results {
		if r.RuleID != AccessRuleID || r.Status != report.Error {
			continue
		}
		typ, _ := r.Evidence["type"].(string)
		for _, rule := range dependentsOf(typ) {
			hidden[key{rule, strings.ToLower(r.ResourceID)}] = r
		}
	}
	if len(hidden) == 0 {
		return 0
	}
	changed := 0
	for i := range rep.Results {
		r := &rep.Results[i]
		acc, ok := hidden[key{r.RuleID, strings.ToLower(r.ResourceID)}]
		// NotApplicable (the rule's conditions on the server itself do
		// not hold) and Exempt do not depend on the hidden data.
		if !ok || (r.Status != report.Compliant && r.Status != report.NonCompliant && r.Status != report.Unknown) {
			continue
		}
		ev := map[string]any{"unreadable": acc.Evidence["type"]}
		for _, k := range []string{"statusCode", "errorCode"} {
			if v, ok := acc.Evidence[k]; ok {
				ev[k] = v
			}
		}
		r.Status = report.Error
		r.Evidence = ev
		r.Message = "Cannot be judged: " + strings.TrimSuffix(acc.Message, "; the rules that need it cannot be judged") + "."
		changed++
	}
	if changed > 0 {
		rep.Controls = scan.Summarize(e, rep.Results)
		rep.Summary = report.Summary{}
		for _, r := range rep.Results {
			rep.Summary.Add(r.Status)
		}
	}
	return changed
}

func dependentsOf(typ string) []string {
	for t, rules := range Dependents {
		if strings.EqualFold(t, typ) {
			return rules
		}
	}
	return nil
}
