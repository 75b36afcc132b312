package azure

import (
	"strings"

	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// markRefused records what Azure refused to show in an input read live
// (or from its snapshot), from its AccessRuleID and subscription-rule
// Error findings, in the findings' order:
//   - each refused read is an error of the input: the scan is incomplete
//     (exit 2), and the error names the read and the resource;
//   - each read that hid data of a type (the finding's evidence "type")
//     is a source.Refusal on the resource, so that the rules that need
//     that type (the catalog's Rule.Needs) give Error there instead of a
//     verdict reached on missing data.
//
// A snapshot keeps the errors of the scan it saved; withErrors is false
// when it is read back.
func markRefused(in *source.Input, withErrors bool) {
	seen := map[string]bool{}
	for _, f := range in.Findings {
		if f.Status != report.Error {
			continue
		}
		msg := strings.TrimSuffix(strings.TrimSuffix(f.Message, "; the rules that need it cannot be judged"), "; the rule cannot be judged.")
		if len(msg) > 0 && msg[0] >= 'A' && msg[0] <= 'Z' {
			msg = string(msg[0]+'a'-'A') + msg[1:]
		}
		where := in.Location // the resource whose data was refused
		if f.Resource != nil && f.Resource.ID != "" {
			where = f.Resource.ID
		}
		if withErrors && !seen[where+msg] {
			seen[where+msg] = true
			in.Errors = append(in.Errors, &source.Error{Path: where, Msg: msg})
		}
		typ, _ := f.Evidence["type"].(string)
		if f.RuleID != AccessRuleID || typ == "" || f.Resource == nil {
			continue
		}
		ev := map[string]any{}
		for _, k := range []string{"statusCode", "errorCode"} {
			if v, ok := f.Evidence[k]; ok {
				ev[k] = v
			}
		}
		in.Refused = append(in.Refused, source.Refusal{Resource: f.Resource.ID, Type: typ, Reason: msg, Evidence: ev})
	}
}
