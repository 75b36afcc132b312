package terraform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/source"
)

// RuleLiteralSecret is the source-text rule this package reports: literal
// secrets in .tf and .tfvars files (control IM-8).
const RuleLiteralSecret = "PGB-IM8-01"

// secretName matches attribute, variable and local names that hold a
// secret: administrator_password, administrator_password_wo,
// administrator_login_password, client_secret, db_pwd, ...
var secretName = regexp.MustCompile(`(?i)(^|_)(password|passwd|pwd|secret)(_wo)?$`)

// Secrets inside string values: a URL with a password in its user info, and
// "Password=..." / "pwd=..." in a connection string.
var (
	urlPassword  = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:[^\s@/]+@`)
	kvPassword   = regexp.MustCompile(`(?i)(?:^|[;\s"'])(?:password|pwd)\s*=\s*[^;\s'"]`)
	secretValueT = map[string]bool{"azurerm_key_vault_secret": true}
)

// passwordAttrs are the server arguments whose evaluated value must not be
// a literal written anywhere in the configuration.
var passwordAttrs = map[string][]string{
	"azurerm_postgresql_flexible_server": {"administrator_password", "administrator_password_wo"},
	"azurerm_postgresql_server":          {"administrator_login_password", "administrator_login_password_wo"},
}

// literalString reports whether expr is a string written literally (no
// interpolation), and that string is not empty.
func literalString(expr hcl.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return e.Val.Type() == cty.String && !e.Val.IsNull() && strings.TrimSpace(e.Val.AsString()) != ""
	case *hclsyntax.TemplateExpr:
		s := ""
		for _, p := range e.Parts {
			lit, ok := p.(*hclsyntax.LiteralValueExpr)
			if !ok || lit.Val.Type() != cty.String {
				return false
			}
			s += lit.Val.AsString()
		}
		return strings.TrimSpace(s) != ""
	}
	return false
}

// secretFinder collects IM-8 findings without repeating one.
type secretFinder struct {
	r    *reader
	seen map[string]bool
}

func (sf *secretFinder) add(file string, line int, res *arm.Resource, attr, msg string) {
	key := fmt.Sprintf("%s:%d:%s:%p", file, line, attr, res)
	if sf.seen[key] {
		return
	}
	sf.seen[key] = true
	sf.r.in.Findings = append(sf.r.in.Findings, source.Finding{
		RuleID: RuleLiteralSecret, Resource: res, File: file, Line: line, Status: "NonCompliant",
		Message:  msg,
		Evidence: map[string]any{"attribute": attr, "file": file, "line": line},
	})
}

// addFor reports a finding once per ARM resource made from the block (a
// block in a module called twice, or with count, makes several), or once
// for the file when the block made none.
func (sf *secretFinder) addFor(resources []*arm.Resource, file string, line int, attr, msg string) {
	n := 0
	for _, r := range resources {
		if r.Type == "" || strings.Contains(r.Type, "/privateEndpointConnections") {
			continue
		}
		sf.add(file, line, r, attr, msg)
		n++
	}
	if n == 0 {
		sf.add(file, line, nil, attr, msg)
	}
}

const secretAdvice = "Read it from a sensitive variable without a default, a random_password resource or a Key Vault secret, and rotate the exposed value."

// scanFile reports literal secrets in a parsed .tf file.
func (sf *secretFinder) scanFile(f *tfFile, blockResources func(*hclsyntax.Block) []*arm.Resource) {
	for _, b := range f.body.Blocks {
		var res []*arm.Resource
		if b.Type == "resource" && blockResources != nil {
			res = blockResources(b)
		}
		typ := ""
		if len(b.Labels) > 0 {
			typ = b.Labels[0]
		}
		switch b.Type {
		case "variable":
			if a := b.Body.Attributes["default"]; a != nil && len(b.Labels) == 1 && secretName.MatchString(b.Labels[0]) && literalString(a.Expr) {
				sf.add(f.name, a.SrcRange.Start.Line, nil, "variable."+b.Labels[0],
					fmt.Sprintf("Variable %q has a literal default value in %s:%d. Remove the default and mark the variable sensitive; %s",
						b.Labels[0], f.name, a.SrcRange.Start.Line, secretAdvice))
			}
		default:
			sf.scanBody(f, b.Body, typ, res)
		}
		sf.scanStrings(f, b.Body, res)
	}
}

func (sf *secretFinder) scanBody(f *tfFile, body *hclsyntax.Body, typ string, res []*arm.Resource) {
	for name, a := range body.Attributes {
		if !literalString(a.Expr) {
			continue
		}
		if secretName.MatchString(name) || (secretValueT[typ] && name == "value") {
			line := a.SrcRange.Start.Line
			sf.addFor(res, f.name, line, name, fmt.Sprintf("%s is set to a literal value in %s:%d. %s", name, f.name, line, secretAdvice))
		}
	}
	for _, nb := range body.Blocks {
		sf.scanBody(f, nb.Body, typ, res)
	}
}

// scanStrings reports connection strings and URLs with a password in the
// literal parts of any string.
func (sf *secretFinder) scanStrings(f *tfFile, body hclsyntax.Node, res []*arm.Resource) {
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		if oc, ok := n.(*hclsyntax.ObjectConsExpr); ok {
			for _, it := range oc.Items {
				key := hcl.ExprAsKeyword(it.KeyExpr)
				if key == "" {
					if kv, d := it.KeyExpr.Value(nil); !d.HasErrors() && kv.IsKnown() && !kv.IsNull() && kv.Type() == cty.String {
						key = kv.AsString()
					}
				}
				if key != "" && secretName.MatchString(key) && literalString(it.ValueExpr) {
					line := it.KeyExpr.Range().Start.Line
					sf.addFor(res, f.name, line, key, fmt.Sprintf("%s is set to a literal value in %s:%d. %s", key, f.name, line, secretAdvice))
				}
			}
			return nil
		}
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.Type() != cty.String || lit.Val.IsNull() {
			return nil
		}
		s := lit.Val.AsString()
		what := ""
		switch {
		case urlPassword.MatchString(s):
			what = "a URL with a password in it"
		case kvPassword.MatchString(s):
			what = "a connection string with a password in it"
		default:
			return nil
		}
		line := lit.SrcRange.Start.Line
		sf.addFor(res, f.name, line, "string", fmt.Sprintf("%s:%d holds %s. %s", f.name, line, what, secretAdvice))
		return nil
	})
}

// scanEvaluated reports server passwords whose evaluated value is known
// before apply and was not given on the command line: a literal written
// somewhere in the configuration (a local, a variable default, a .tfvars
// file) flows into the argument.
func (sf *secretFinder) scanEvaluated(inst *instance, res []*arm.Resource) {
	for _, name := range passwordAttrs[inst.typ] {
		a, ok := inst.attrs[name]
		if !ok {
			continue
		}
		if expr := inst.decl.block.Body.Attributes[name]; expr != nil && literalString(expr.Expr) {
			continue // reported as a literal already
		}
		v, marks := a.v.UnmarkDeep()
		if _, runtime := marks[runtimeMark{}]; runtime || !v.IsKnown() || v.IsNull() || v.Type() != cty.String || v.AsString() == "" {
			continue
		}
		sf.addFor(res, inst.file, a.line, name, fmt.Sprintf(
			"%s of %s resolves to a value written in the configuration (a local, a variable default or a .tfvars file), at %s:%d. %s",
			name, inst.address, inst.file, a.line, secretAdvice))
	}
}

// scanTfvars reports literal secrets in a .tfvars file.
func (sf *secretFinder) scanTfvars(name string, body *hclsyntax.Body) {
	for n, a := range body.Attributes {
		if secretName.MatchString(n) && literalString(a.Expr) {
			line := a.SrcRange.Start.Line
			sf.add(name, line, nil, n, fmt.Sprintf("%s is set to a literal value in %s:%d. Do not commit secrets in .tfvars files; pass them at apply time (TF_VAR_%s) or read them from Key Vault, and rotate the exposed value.", n, name, line, n))
		}
	}
	sf.scanStrings(&tfFile{name: name}, body, nil)
}
