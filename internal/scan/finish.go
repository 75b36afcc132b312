package scan

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// A verdict is one result as a producer made it, before the finish step:
// a rule's result on a resource (policy rules, Go checks, platform,
// unsupported and manual rules), a source's finding, or a database check.
type verdict struct {
	res report.Result
	// r is the resource judged, whose inline suppressions apply; nil when
	// the result is not on a resource of the model (a file, a database
	// connection).
	r *arm.Resource
	// rule is the rule's settings; nil looks them up by res.RuleID.
	rule *ruleSettings
	// scratch is the producer's scratch space (evalRule); a verdict
	// belongs to one worker.
	scratch scratch
}

// ruleSettings is what the catalog and the configuration file decide about
// one rule, once per scan engine.
type ruleSettings struct {
	// enabled is the catalog's choice, or the configuration's.
	enabled bool
	// severity overrides the result's severity when set.
	severity report.Severity
	// manual is set for rules no input can show, whose Unknown result an
	// attestation turns Compliant.
	manual bool
	// needs are the types of related data the rule's verdict reads
	// (baseline.Rule.Needs).
	needs []string
}

// finishing is what the finish step needs of one scan.
type finishing struct {
	now time.Time
	// refused indexes the inputs' refusals by the id of the resource,
	// in ASCII lower case; nil when there are none.
	refused map[string][]source.Refusal
}

// newFinishing indexes the inputs' refusals.
func newFinishing(inputs []*source.Input, now time.Time) *finishing {
	f := &finishing{now: now}
	for _, in := range inputs {
		for _, r := range in.Refused {
			if f.refused == nil {
				f.refused = map[string][]source.Refusal{}
			}
			k := string(lowerASCII(nil, r.Resource))
			f.refused[k] = append(f.refused[k], r)
		}
	}
	return f
}

// refusal returns the refusal of data of one of the types needs about the
// resource id, or nil. It allocates nothing for ids up to 256 bytes.
func (f *finishing) refusal(id string, needs []string) *source.Refusal {
	var buf [256]byte
	list := f.refused[string(lowerASCII(buf[:0], id))]
	for i := range list {
		for _, t := range needs {
			if strings.EqualFold(list[i].Type, t) {
				return &list[i]
			}
		}
	}
	return nil
}

// lowerASCII appends s in ASCII lower case to dst.
func lowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// newRuleSettings decides a catalog rule's settings under cfg.
func newRuleSettings(r *baseline.Rule, cfg *config.Config) *ruleSettings {
	rc := cfg.Rule(r.ID)
	s := &ruleSettings{enabled: r.Enabled, manual: r.Kind == baseline.KindManual, needs: r.Needs}
	if rc.Enabled != nil {
		s.enabled = *rc.Enabled
	}
	if rc.Severity != "" {
		s.severity = report.Severity(strings.ToLower(rc.Severity))
	}
	return s
}

// settings returns the settings of the rule with the given id: the
// catalog's rules are decided once, in NewEngine; any other id (a user's
// policy, a rule a newer source reports) is on, with the configuration's
// severity.
func (e *Engine) settings(ruleID string) *ruleSettings {
	if s, ok := e.byRule[ruleID]; ok {
		return s
	}
	if r := e.Catalog.Rule(ruleID); r != nil {
		return newRuleSettings(r, e.Config)
	}
	s := &ruleSettings{enabled: true}
	rc := e.Config.Rule(ruleID)
	if rc.Enabled != nil {
		s.enabled = *rc.Enabled
	}
	if rc.Severity != "" {
		s.severity = report.Severity(strings.ToLower(rc.Severity))
	}
	return s
}

// finish is the one step every verdict passes through before it is
// counted and written, whatever produced it. It applies the configuration
// (a rule turned off gives no result: finish reports false; a severity
// override), data a source was refused (a verdict that needs it becomes
// Error), attestations (a manual rule's Unknown becomes Compliant),
// inline suppressions (NonCompliant or Unknown becomes Exempt) and the
// remediation a result shows (none on Compliant and NotApplicable
// results: a fleet's report would otherwise repeat each rule's fix
// thousands of times; `pgbaseline rules ID` shows it). It allocates
// nothing for a result that none of these change.
func (e *Engine) finish(v *verdict, f *finishing) bool {
	s := v.rule
	if s == nil {
		s = e.settings(v.res.RuleID)
	}
	if !s.enabled {
		return false
	}
	res := &v.res
	if s.severity != "" {
		res.Severity = s.severity
	}
	if f.refused != nil && len(s.needs) > 0 && v.r != nil &&
		(res.Status == report.Compliant || res.Status == report.NonCompliant || res.Status == report.Unknown) {
		// NotApplicable (the rule's conditions on the resource itself do
		// not hold) and Exempt do not depend on the hidden data.
		if ref := f.refusal(v.r.ID, s.needs); ref != nil {
			ev := make(map[string]any, len(ref.Evidence)+1)
			for k, x := range ref.Evidence {
				ev[k] = x
			}
			ev["unreadable"] = ref.Type
			res.Status, res.Evidence, res.Message = report.Error, ev, "Cannot be judged: "+ref.Reason+"."
		}
	}
	if s.manual && res.Status == report.Unknown {
		id := res.ResourceID
		if v.r != nil {
			id = v.r.ID // attestations name ARM ids, also for Terraform code
		}
		e.attest(res, id, f.now)
	}
	if v.r != nil && len(v.r.Suppressions) > 0 {
		applySuppression(res, v.r, f.now)
	}
	if res.Status == report.Compliant || res.Status == report.NotApplicable {
		res.Remediation = nil
	}
	return true
}

// attest turns a manual rule's Unknown result Compliant when an attestation
// of the rule for the resource is in force, and names an expired one.
func (e *Engine) attest(res *report.Result, id string, now time.Time) {
	if a := e.Config.Attestation(res.RuleID, id, now); a != nil {
		res.Status = report.Compliant
		res.Message = fmt.Sprintf("Attested by %s on %s, valid until %s.", a.By, a.Date.Format("2006-01-02"), a.Expires.Format("2006-01-02"))
		res.Evidence = map[string]any{"attestedBy": a.By, "date": a.Date.Format("2006-01-02"),
			"expires": a.Expires.Format("2006-01-02"), "evidence": a.Evidence}
	} else if exp := e.expiredAttestation(res.RuleID, id, now); exp != nil {
		res.Message = fmt.Sprintf("The attestation by %s expired on %s; renew it. ", exp.By, exp.Expires.Format("2006-01-02")) + res.Message
	}
}

func (e *Engine) expiredAttestation(rule, id string, now time.Time) *config.Attestation {
	if e.Config == nil {
		return nil
	}
	for i := range e.Config.Attestations {
		a := &e.Config.Attestations[i]
		if strings.EqualFold(a.Rule, rule) && (a.Resource == "" || a.Resource == "*" || strings.EqualFold(a.Resource, id)) && !now.Before(a.Expires.Time) {
			return a
		}
	}
	return nil
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
