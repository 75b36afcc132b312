package armtemplate

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
)

// The values of secure parameters (securestring, secureObject, and plain
// parameters of a nested deployment given such a value) are secrets. The
// expansion evaluates with them as they are, so that what depends only on
// whether a secret is set (passwordAuth: [if(empty(parameters('pw')),
// 'Disabled', 'Enabled')]) is judged; then, before the input is handed
// on, every string in the resources that holds a secret becomes an
// arm.Unknown, and every error, note and reason has the secret replaced
// by "***".
//
// An Unknown, rather than a placeholder string such as "***", because
// rules compare values: "***" would be judged as the value (a login named
// "***" that is not empty, a connection string without "sslmode"), while
// an Unknown makes a rule that reads it Unknown, like any value not known
// before deployment, and nothing prints it. It is NotNull, and NonEmpty
// when the value was not empty, so that what is certain about it is kept.

// sensitiveReason is the Reason of a masked value.
const sensitiveReason = "a sensitive value: it holds the value of a secure parameter, which is never shown"

// minSecretLen is the length from which a secret is found inside longer
// strings. A shorter secret (rare: Azure's passwords take at least 8
// characters) is masked only where it is a whole value of a resource that
// reads the parameter, so that a two-letter secret does not mask every
// "on" of the template.
const minSecretLen = 4

// addSecret records the string values in v, the value of a secure
// parameter.
func (x *expansion) addSecret(v any) {
	switch t := v.(type) {
	case string:
		if t == "" || x.secretSet[t] {
			return
		}
		if x.secretSet == nil {
			x.secretSet, x.formSet = map[string]bool{}, map[string]bool{}
		}
		x.secretSet[t] = true
		if len(t) >= minSecretLen {
			for _, form := range secretForms(t) {
				if !x.formSet[form] {
					x.formSet[form] = true
					x.secretForms = append(x.secretForms, form)
				}
			}
		}
	case []any:
		for _, e := range t {
			x.addSecret(e)
		}
	case map[string]any:
		for _, e := range t {
			x.addSecret(e)
		}
	}
}

// secretForms returns s and the forms template functions commonly give
// it: lower and upper case, base64, URI and JSON escaping.
func secretForms(s string) []string {
	forms := []string{s, strings.ToLower(s), strings.ToUpper(s), base64.StdEncoding.EncodeToString([]byte(s)), expr.EscapeDataString(s)}
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	out := forms[:0]
	seen := map[string]bool{}
	for _, f := range forms {
		if len(f) >= minSecretLen && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// holdsSecret reports whether a string in v holds a secret known so far.
func (x *expansion) holdsSecret(v any) bool {
	switch t := v.(type) {
	case string:
		return x.secretSet[t] || x.containsSecret(t)
	case []any:
		for _, e := range t {
			if x.holdsSecret(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if x.holdsSecret(e) {
				return true
			}
		}
	}
	return false
}

func (x *expansion) containsSecret(s string) bool {
	for _, f := range x.secretForms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// redact replaces the secrets in a message with "***". A short secret is
// replaced where it is quoted, as error messages quote values.
func (x *expansion) redact(s string) string {
	if len(x.secretSet) == 0 {
		return s
	}
	for _, f := range x.secretForms {
		s = strings.ReplaceAll(s, f, "***")
	}
	for sec := range x.secretSet {
		if len(sec) < minSecretLen {
			s = strings.ReplaceAll(s, strconv.Quote(sec), `"***"`)
		}
	}
	return s
}

// maskSecrets masks the secrets in the resources and redacts them from
// the errors, notes and reasons of the input. It runs once, when the
// expansion is done and every secret it read is known.
func (x *expansion) maskSecrets() {
	if len(x.secretSet) == 0 {
		return
	}
	// Longest first, so that a secret is replaced whole before a shorter
	// one that it contains.
	sort.SliceStable(x.secretForms, func(i, j int) bool { return len(x.secretForms[i]) > len(x.secretForms[j]) })
	short := map[*arm.Resource]map[string]bool{}
	for _, u := range x.uses {
		for name := range u.used {
			p := u.vals.params[name]
			if p == nil || !p.secret {
				continue
			}
			for _, sec := range stringLeaves(p.value, nil) {
				if len(sec) < minSecretLen {
					if short[u.r] == nil {
						short[u.r] = map[string]bool{}
					}
					short[u.r][sec] = true
				}
			}
		}
	}
	for _, r := range x.in.Resources {
		for _, k := range []string{"id", "name", "type"} {
			if s, ok := r.Object[k].(string); ok {
				r.Object[k] = x.redact(s)
			}
		}
		for k, v := range r.Object {
			switch strings.ToLower(k) {
			case "id", "name", "type":
				continue
			}
			r.Object[k] = x.mask(v, short[r])
		}
		r.ID, r.Name = x.redact(r.ID), x.redact(r.Name)
		r.MaybeAbsent = x.redact(r.MaybeAbsent)
	}
	for _, e := range x.in.Errors {
		e.Msg = x.redact(e.Msg)
	}
	for i, n := range x.in.Notes {
		x.in.Notes[i] = x.redact(n)
	}
	for i := range x.in.Unresolved {
		x.in.Unresolved[i].Reason = x.redact(x.in.Unresolved[i].Reason)
	}
}

// mask replaces, in place, the strings of v that hold a secret by an
// Unknown, and redacts the reasons of Unknowns.
func (x *expansion) mask(v any, short map[string]bool) any {
	switch t := v.(type) {
	case string:
		if short[t] || x.containsSecret(t) {
			return arm.Unknown{Reason: sensitiveReason, NotNull: true, NonEmpty: t != ""}
		}
	case arm.Unknown:
		t.Reason = x.redact(t.Reason)
		t.Prefix = x.redact(t.Prefix)
		return t
	case []any:
		for i, e := range t {
			t[i] = x.mask(e, short)
		}
	case map[string]any:
		for k, e := range t {
			m := x.mask(e, short)
			if rk := x.redact(k); rk != k {
				delete(t, k)
				k = rk
			}
			t[k] = m
		}
	}
	return v
}

func stringLeaves(v any, out []string) []string {
	switch t := v.(type) {
	case string:
		out = append(out, t)
	case []any:
		for _, e := range t {
			out = stringLeaves(e, out)
		}
	case map[string]any:
		for _, e := range t {
			out = stringLeaves(e, out)
		}
	}
	return out
}
