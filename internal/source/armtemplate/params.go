package armtemplate

import (
	"github.com/pgbaseline/pgbaseline/internal/source/load"

	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/arm/expr"
	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/internal/source/armexport"
	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// secretName matches parameter and property names that hold a secret
// value: adminPassword, administratorLoginPassword, clientSecret,
// connectionString. Names that end otherwise (passwordAuth, secretName)
// do not hold one.
var secretName = regexp.MustCompile(`(?i)(password|passwd|pwd|secret|connectionstring)$`)

// paramValue is one value of a parameter file.
type paramValue struct {
	name     string
	value    any  // the literal value, or keyVaultUnknown
	keyVault bool // a Key Vault reference
	file     string
	line     int // line of the parameter in the file
	bicep    bool
}

// pendingFinding is a literal secret found before the resources that use
// it are known.
type pendingFinding struct {
	param    string        // lower-case parameter name, "" for a resource property
	resource *arm.Resource // set for a resource property
	file     string
	line     int
	msg      string
	evidence map[string]any
}

func expandDocument(name string, doc any, idx *jsonpos.Index, o Options, bs *bicepSource) *source.Input {
	o = o.withDefaults()
	in := &source.Input{Kind: source.KindARMTemplate, Location: name}
	if bs != nil {
		in.Location = bs.file
	}
	tmpl, ok := doc.(map[string]any)
	if !ok || !IsTemplate(doc) {
		in.Errors = append(in.Errors, &source.Error{File: in.Location, Line: 1, Msg: `not a deployment template: expected an object whose "$schema" names deploymentTemplate.json`})
		return in
	}
	if idx == nil {
		idx = &jsonpos.Index{}
	}
	x := &expansion{o: o, in: in, out: &jsonpos.Index{}, budget: expr.NewBudget(o.Limits.Limits), parsed: map[string]parsedExpr{},
		bicep: bs, resolving: map[string]bool{}}
	origin := name
	if bs != nil {
		origin = bs.file
	}
	d := &deployment{x: x, file: name, idx: idx, tmpl: tmpl, kind: kindOf(tmpl), sub: o.Subscription,
		rg: o.ResourceGroup, mg: "managementGroup", loc: o.Location,
		name: strings.TrimSuffix(filepath.Base(origin), filepath.Ext(origin))}
	d.ctx = d

	var values []paramValue
	for _, pf := range pairedParamFiles(origin) {
		values = append(values, x.readParamFile(pf, true)...)
	}
	for _, pf := range o.ParamFiles {
		values = append(values, x.readParamFile(pf, false)...)
	}
	declared := map[string]map[string]any{}
	if m, ok := lookupObject(tmpl, "parameters"); ok {
		for k, v := range m {
			def, _ := v.(map[string]any)
			declared[strings.ToLower(k)] = def
		}
	}
	given := map[string]any{}
	for _, pv := range values {
		def, ok := declared[strings.ToLower(pv.name)]
		if !ok {
			continue
		}
		given[pv.name] = pv.value
		x.paramFileSecret(pv, def)
	}
	d.params = given
	d.vals = newValues(d, given)
	x.templateSecrets(d)
	d.run()
	x.finish()
	x.maskSecrets()
	return in
}

// kindOf tells the level a template deploys to from its $schema.
func kindOf(tmpl map[string]any) scopeKind {
	s, _ := tmpl["$schema"].(string)
	s = strings.ToLower(s)
	switch {
	case strings.Contains(s, "subscriptiondeploymenttemplate"):
		return atSubscription
	case strings.Contains(s, "managementgroupdeploymenttemplate"):
		return atManagementGroup
	case strings.Contains(s, "tenantdeploymenttemplate"):
		return atTenant
	}
	return atResourceGroup
}

// pairedParamFiles returns the parameter files that pair with a template
// by name and exist: main.parameters.json, then main.bicepparam.
func pairedParamFiles(template string) []string {
	base := strings.TrimSuffix(template, filepath.Ext(template))
	var out []string
	for _, p := range []string{base + ".parameters.json", base + ".bicepparam"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// readParamFile reads a parameter file (or compiles a .bicepparam).
// paired says it was found by name; an explicit file that cannot be read
// is an error either way.
func (x *expansion) readParamFile(file string, paired bool) []paramValue {
	isBicep := strings.EqualFold(filepath.Ext(file), ".bicepparam")
	var data []byte
	var err error
	switch {
	case isBicep:
		data, err = compileBicepParams(file)
	case paired:
		// Found by name beside a template: a regular file only (a named
		// pipe there would block the scan), within the size cap.
		data, err = load.ReadFile(file, 0)
	default:
		data, err = os.ReadFile(file) // named by the user: a pipe is theirs to give
	}
	if err != nil {
		x.in.Errors = append(x.in.Errors, &source.Error{File: file, Msg: readError(err)})
		return nil
	}
	doc, idx, err := jsonpos.Decode(data)
	if err != nil {
		x.in.Errors = append(x.in.Errors, syntaxError(file, err))
		return nil
	}
	if err := armexport.EncodingError(file, data); err != nil {
		x.in.Errors = append(x.in.Errors, err)
	}
	if m, ok := doc.(map[string]any); ok && isBicep {
		// bicep build-params --stdout prints {"parametersJson": "...", ...}.
		if pj, ok := m["parametersJson"].(string); ok {
			if doc, idx, err = jsonpos.Decode([]byte(pj)); err != nil {
				x.in.Errors = append(x.in.Errors, &source.Error{File: file, Msg: "bicep printed invalid parameters JSON"})
				return nil
			}
		}
	}
	root, _ := doc.(map[string]any)
	params, ok := lookupObject(root, "parameters")
	if !ok {
		x.in.Errors = append(x.in.Errors, &source.Error{File: file, Line: 1, Msg: `not a parameter file: expected {"parameters": {"name": {"value": ...}}}`})
		return nil
	}
	var text []string
	if isBicep {
		if raw, err := os.ReadFile(file); err == nil {
			text = strings.Split(string(raw), "\n")
		}
	}
	var out []paramValue
	for _, name := range sortedByLine(params, idx) {
		pv := paramValue{name: name, file: file, bicep: isBicep}
		if isBicep {
			pv.line = bicepLine(text, `param\s+`+regexp.QuoteMeta(name)+`\b`)
		} else if p := idx.Lookup(params); p != nil {
			pv.line = p.Keys[name]
		}
		e, _ := params[name].(map[string]any)
		if v, ok := arm.Lookup(e, "value"); ok {
			pv.value = v
		} else if _, ok := arm.Lookup(e, "reference"); ok {
			pv.value, pv.keyVault = keyVaultUnknown, true
		} else {
			x.in.Errors = append(x.in.Errors, &source.Error{File: file, Line: pv.line, Path: "parameters." + name,
				Msg: `a parameter must be {"value": ...} or a Key Vault {"reference": ...}`})
			continue
		}
		if !isBicep && !pv.keyVault {
			if p := idx.Lookup(e); p != nil {
				pv.line = p.Keys["value"]
			}
		}
		out = append(out, pv)
	}
	return out
}

func sortedByLine(m map[string]any, idx *jsonpos.Index) []string {
	d := &deployment{idx: idx}
	return d.sortedKeys(m)
}

func readError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// isSecure reports whether a parameter definition is securestring or
// secureObject.
func isSecure(def map[string]any) bool {
	t, _ := arm.Lookup(def, "type")
	s, _ := t.(string)
	return strings.EqualFold(s, "securestring") || strings.EqualFold(s, "secureobject")
}

// isLiteralSecret reports whether v is a secret written out: a non-empty
// string that is not an expression, or a non-empty object.
func isLiteralSecret(v any) bool {
	switch t := v.(type) {
	case string:
		return t != "" && !expr.IsExpression(t)
	case map[string]any:
		return len(t) > 0
	}
	return false
}

// paramFileSecret flags a secret written in plain text into a parameter
// file.
func (x *expansion) paramFileSecret(pv paramValue, def map[string]any) {
	if pv.keyVault || !isLiteralSecret(pv.value) || !(isSecure(def) || secretName.MatchString(pv.name)) {
		return
	}
	what := "parameter file"
	if pv.bicep {
		what = ".bicepparam file"
	}
	x.findings = append(x.findings, pendingFinding{param: strings.ToLower(pv.name), file: pv.file, line: pv.line,
		msg:      fmt.Sprintf("The %s sets the secret parameter %q to a plain-text value; reference the secret in Key Vault instead.", what, pv.name),
		evidence: map[string]any{"parameter": pv.name, "file": pv.file}})
}

// templateSecrets flags secure parameters with a literal default value.
func (x *expansion) templateSecrets(d *deployment) {
	m, ok := lookupObject(d.tmpl, "parameters")
	if !ok {
		return
	}
	for _, name := range d.sortedKeys(m) {
		def, _ := m[name].(map[string]any)
		dv, ok := arm.Lookup(def, "defaultValue")
		if !ok || !isSecure(def) || !isLiteralSecret(dv) {
			continue
		}
		x.findings = append(x.findings, pendingFinding{param: strings.ToLower(name), file: d.file,
			line:     d.lineOf(def, "defaultValue", d.lineOf(m, name, 0)),
			msg:      fmt.Sprintf("The secure parameter %q has a literal default value in the template; the secret is kept in source control and deployment history.", name),
			evidence: map[string]any{"parameter": name}})
	}
}

// literalSecrets flags secret properties (administratorLoginPassword, ...)
// written as literals into a template resource.
func (x *expansion) literalSecrets(d *deployment, src map[string]any, r *arm.Resource) {
	props, ok := lookupObject(src, "properties")
	if !ok {
		return
	}
	var walk func(m map[string]any, path string)
	walk = func(m map[string]any, path string) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(sub, joinPath(path, k))
				continue
			}
			if secretName.MatchString(k) && isLiteralSecret(v) {
				x.findings = append(x.findings, pendingFinding{resource: r, file: d.file, line: d.lineOf(m, k, r.Origin.Line),
					msg:      fmt.Sprintf("The template writes %s of %s as a literal; pass it as a secure parameter from Key Vault instead.", joinPath(path, k), r.Name),
					evidence: map[string]any{"property": joinPath(path, k)}})
			}
		}
	}
	walk(props, "properties")
}

// finish turns the pending findings into findings on the resources that
// read the secret, or on the file when none does.
func (x *expansion) finish() {
	for _, f := range x.findings {
		base := source.Finding{RuleID: RuleLiteralSecret, Status: "NonCompliant", File: f.file, Line: f.line, Message: f.msg, Evidence: f.evidence}
		if f.resource != nil {
			base.Resource = f.resource
			x.in.Findings = append(x.in.Findings, base)
			continue
		}
		attached := false
		for _, u := range x.uses {
			if u.used[f.param] && u.r.Synthesized == "" {
				fi := base
				fi.Resource = u.r
				x.in.Findings = append(x.in.Findings, fi)
				attached = true
			}
		}
		if !attached {
			x.in.Findings = append(x.in.Findings, base)
		}
	}
}
