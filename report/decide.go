package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// What would decide an undecided result (Unknown, or Error on data Azure
// refused to show).
const (
	DecideAttestation = "attestation" // a manual rule: an attestation in the configuration file
	DecideVariable    = "variable"    // a Terraform variable without a value
	DecidePermission  = "permission"  // a read or privilege that was refused
	DecideDeployment  = "deployment"  // values known only at deployment, or inputs not read
)

// Decider says what would decide an undecided result: its kind (one of
// the Decide constants, "" for a decided result), what to do, and the
// names it concerns (variables, privileges, unreadable types, rules).
type Decider struct {
	Kind  string
	Hint  string
	Names []string
}

var unsetVariable = regexp.MustCompile(`variable "([^"]+)" has no value`)

// WhatDecides tells what would decide res: for a manual rule the
// attestation to add to the configuration file, for a value known only
// at deployment the Terraform variable to pass when the input names one,
// for a read refused the permission to grant. Decided results get the
// zero Decider.
func WhatDecides(res *Result) Decider {
	switch res.Status {
	case Unknown, Error:
	default:
		return Decider{}
	}
	if t, ok := res.Evidence["unreadable"].(string); ok && t != "" {
		return Decider{Kind: DecidePermission, Names: []string{t},
			Hint: "grant the scan's identity read access to " + t + " (the Reader role on the subscription reads it)"}
	}
	if p, ok := res.Evidence["privilegeMissing"].(string); ok && p != "" {
		return Decider{Kind: DecidePermission, Names: []string{p},
			Hint: "grant the connecting role " + p + " (pg_monitor answers almost every check)"}
	}
	if res.Status == Error {
		return Decider{}
	}
	if strings.Contains(res.Message, "not visible to this role") {
		return Decider{Kind: DecidePermission, Names: []string{"pg_read_all_settings"},
			Hint: "grant the connecting role pg_read_all_settings (or pg_monitor)"}
	}
	if res.Effect == "Manual" {
		return Decider{Kind: DecideAttestation, Names: []string{res.RuleID},
			Hint: "no input can show this: attest it in --config (attestations: - rule: " + res.RuleID +
				", resource, by, date, expires, evidence)"}
	}
	var vars []string
	collect := func(s string) {
		if !strings.Contains(s, "has no value") {
			return
		}
		for _, m := range unsetVariable.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(vars, m[1]) {
				vars = append(vars, m[1])
			}
		}
	}
	collect(res.Message)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			collect(x)
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case nil, bool, float64, int, int64:
		default:
			// An unknown value (arm.Unknown) says why it is unknown.
			collect(fmt.Sprintf("%+v", x))
		}
	}
	for _, v := range res.Evidence {
		walk(v)
	}
	if len(vars) > 0 {
		slices.Sort(vars)
		flags := make([]string, len(vars))
		for i, v := range vars {
			flags[i] = "--var " + v + "=VALUE"
		}
		return Decider{Kind: DecideVariable, Names: vars,
			Hint: "pass the Terraform variable" + plural(len(vars), "", "s") + " " + strings.Join(flags, " ") + " (or a --var-file)"}
	}
	return Decider{Kind: DecideDeployment,
		Hint: "depends on values known only at deployment, or on inputs that were not read (the message says which); scan the deployed resources (an export or --azure) to decide it"}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// UnknownSummary is the table footer's account of the Unknown results:
// "12 Unknown: 8 need an attestation (see --config), 4 depend on values
// known only at deployment", then a line per kind naming what to give.
// It is empty when no result is Unknown.
func UnknownSummary(results []Result) []string {
	counts := map[string]int{}
	names := map[string][]string{}
	total := 0
	for i := range results {
		if results[i].Status != Unknown {
			continue
		}
		total++
		d := WhatDecides(&results[i])
		counts[d.Kind]++
		for _, n := range d.Names {
			if !slices.Contains(names[d.Kind], n) {
				names[d.Kind] = append(names[d.Kind], n)
			}
		}
	}
	if total == 0 {
		return nil
	}
	var parts []string
	if n := counts[DecideAttestation]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s need%s an attestation (see --config)", Thousands(n), plural(n, "s", "")))
	}
	if n := counts[DecideVariable]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s need%s a Terraform variable's value (--var)", Thousands(n), plural(n, "s", "")))
	}
	if n := counts[DecidePermission]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s need%s a permission the scan lacked", Thousands(n), plural(n, "s", "")))
	}
	if n := counts[DecideDeployment]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s depend%s on values known only at deployment", Thousands(n), plural(n, "s", "")))
	}
	lines := []string{fmt.Sprintf("%s Unknown: %s", Thousands(total), strings.Join(parts, ", "))}
	list := func(kind string) string {
		ns := slices.Clone(names[kind])
		slices.Sort(ns)
		if len(ns) > 12 {
			ns = append(ns[:12], fmt.Sprintf("and %d more", len(ns)-12))
		}
		return strings.Join(ns, ", ")
	}
	if counts[DecideAttestation] > 0 {
		lines = append(lines, "  attest in --config (attestations: rule, resource, by, date, expires, evidence): "+list(DecideAttestation))
	}
	if counts[DecideVariable] > 0 {
		lines = append(lines, "  pass with --var NAME=VALUE or --var-file: "+list(DecideVariable))
	}
	if counts[DecidePermission] > 0 {
		lines = append(lines, "  grant: "+list(DecidePermission))
	}
	return lines
}
