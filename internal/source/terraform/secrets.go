package terraform

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
)

// RuleLiteralSecret is the source-text rule this package reports: literal
// PostgreSQL credentials in .tf and .tfvars files (control IM-8).
const RuleLiteralSecret = "PGB-IM8-01"

// The rule is about PostgreSQL credentials only: the server administrator
// password (azurerm and azapi), connection strings and URLs to PostgreSQL,
// and PostgreSQL configuration values. A secret of another resource (a
// virtual machine's admin_password, an app setting, an unrelated Key Vault
// secret) is out of its scope.
//
// A literal is a PostgreSQL credential when it is written on the server's
// password argument, or when it reaches that argument through variables:
// a variable default, a module argument or a .tfvars entry (loaded, given
// with --var-file, or lying beside the module) is reported when the
// variable flows into a PostgreSQL password and either its name says it is
// a secret or its literal is the password's value.

// secretName matches attribute, variable and key names that hold a
// secret: administrator_password, administrator_password_wo,
// administratorLoginPassword, client_secret, db_pwd, ...
var secretName = regexp.MustCompile(`(?i)(^|_|[a-z])(password|passwd|pwd|secret)(_wo)?$`)

// Secrets inside string values: a URL with a password in its user info or
// query, and "Password=..." / "pwd=..." in a connection string.
var (
	urlPassword = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-:]*://(?:[^\s:/@]+:[^\s@/]+@|[^\s]*[?&]password=[^&\s])`)
	kvPassword  = regexp.MustCompile(`(?i)(?:^|[;\s"'&?])(?:password|pwd)\s*=\s*[^;\s'"&]`)
	// pgURL is a URL whose scheme is PostgreSQL's (libpq, JDBC).
	pgURL = regexp.MustCompile(`(?i)\b(?:jdbc:)?postgres(?:ql)?://`)
	// pgHint marks a string or a name as about PostgreSQL: the product,
	// psql/pgsql host names, libpq keywords, the default port.
	pgHint = regexp.MustCompile(`(?i)postgres|psql|pgsql|(^|[^a-z])pg([^a-z]|$)|\bdbname\s*=|\bsslmode\s*=|\bport\s*=\s*5432\b|:5432\b`)
)

// pgTypes are the resource types whose literal strings are PostgreSQL's.
var pgTypes = map[string]bool{
	"azurerm_postgresql_flexible_server":                                true,
	"azurerm_postgresql_flexible_server_configuration":                  true,
	"azurerm_postgresql_flexible_server_database":                       true,
	"azurerm_postgresql_flexible_server_active_directory_administrator": true,
	"azurerm_postgresql_flexible_server_virtual_endpoint":               true,
	"azurerm_postgresql_server":                                         true,
	"azurerm_postgresql_configuration":                                  true,
	"azurerm_postgresql_database":                                       true,
}

// passwordAttrs are the server arguments that hold the administrator
// password.
var passwordAttrs = map[string][]string{
	"azurerm_postgresql_flexible_server": {"administrator_password", "administrator_password_wo"},
	"azurerm_postgresql_server":          {"administrator_login_password", "administrator_login_password_wo"},
}

// isPGAzapi reports whether an azapi_resource block's type (as written)
// is a Microsoft.DBforPostgreSQL type.
func isPGAzapi(b *hclsyntax.Block) bool {
	a := b.Body.Attributes["type"]
	if a == nil {
		return false
	}
	v, d := a.Expr.Value(nil)
	return !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String &&
		strings.HasPrefix(strings.ToLower(v.AsString()), "microsoft.dbforpostgresql/")
}

// literalString reports whether expr is a string written literally (no
// interpolation), and that string is not empty.
func literalString(expr hcl.Expression) bool {
	_, ok := literalValue(expr)
	return ok
}

// literalValue returns the string expr writes literally.
func literalValue(expr hcl.Expression) (string, bool) {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		if e.Val.Type() == cty.String && !e.Val.IsNull() && strings.TrimSpace(e.Val.AsString()) != "" {
			return e.Val.AsString(), true
		}
	case *hclsyntax.TemplateExpr:
		s := ""
		for _, p := range e.Parts {
			lit, ok := p.(*hclsyntax.LiteralValueExpr)
			if !ok || lit.Val.Type() != cty.String {
				return "", false
			}
			s += lit.Val.AsString()
		}
		if strings.TrimSpace(s) != "" {
			return s, true
		}
	case hclsyntax.Expression:
	default:
		// A .tfvars.json value: literal by nature.
		if v, d := expr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String && strings.TrimSpace(v.AsString()) != "" {
			return v.AsString(), true
		}
	}
	return "", false
}

// secretFinder collects IM-8 findings without repeating one.
type secretFinder struct {
	r    *reader
	seen map[string]bool
	// pgVars holds the variables (declaration file and name) whose values
	// reach a PostgreSQL password; pgValues the passwords' values that are
	// known before apply.
	pgVars   map[varOrigin]bool
	pgValues map[string]bool
	// tfvars are the .tfvars files read, for scanTfvarsEntries.
	tfvars []tfvarsFile
}

type tfvarsFile struct {
	name string
	body *tfvarsBody
}

func newSecretFinder(r *reader) *secretFinder {
	return &secretFinder{r: r, seen: map[string]bool{}, pgVars: map[varOrigin]bool{}, pgValues: map[string]bool{}}
}

func (sf *secretFinder) add(file string, line int, res *arm.Resource, attr, msg string) {
	key := fmt.Sprintf("%s:%d:%s:%p", filepath.Clean(file), line, attr, res)
	if sf.seen[key] {
		return
	}
	sf.seen[key] = true
	if res == nil && sf.r.isVarFile(file) && sf.r.opts.shared != nil {
		// A --var-file is read by every root of the scan: its finding is
		// reported once.
		sh := sf.r.opts.shared
		sh.mu.Lock()
		done := sh.varFilesScanned[key]
		sh.varFilesScanned[key] = true
		sh.mu.Unlock()
		if done {
			return
		}
	}
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

// scanFile reports literal PostgreSQL credentials in a parsed .tf file.
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
		pgBlock := false
		switch {
		case b.Type == "variable" && len(b.Labels) == 1:
			if a := b.Body.Attributes["default"]; a != nil {
				sf.scanLiteralFor(varOrigin{file: f.name, name: b.Labels[0]}, a.Expr, f.name, "variable."+b.Labels[0],
					func(line int) string {
						return fmt.Sprintf("Variable %q has a literal default value in %s:%d. Remove the default and mark the variable sensitive; %s",
							b.Labels[0], f.name, line, secretAdvice)
					})
			}
		case b.Type == "resource" && pgTypes[typ]:
			pgBlock = true
			for _, name := range passwordAttrs[typ] {
				if a := b.Body.Attributes[name]; a != nil && literalString(a.Expr) {
					line := a.SrcRange.Start.Line
					sf.addFor(res, f.name, line, name, fmt.Sprintf("%s is set to a literal value in %s:%d. %s", name, f.name, line, secretAdvice))
				}
			}
		case b.Type == "resource" && typ == "azapi_resource" && isPGAzapi(b):
			pgBlock = true
			for _, name := range []string{"body", "sensitive_body"} {
				if a := b.Body.Attributes[name]; a != nil {
					sf.scanObjectKeys(f, a.Expr, res)
				}
			}
		case b.Type == "resource" && typ == "azurerm_key_vault_secret":
			// A Key Vault secret is PostgreSQL's when its name says so;
			// its value is reported when it is a literal.
			if n := b.Body.Attributes["name"]; n != nil {
				if name, ok := literalValue(n.Expr); ok && pgHint.MatchString(name) {
					if a := b.Body.Attributes["value"]; a != nil && literalString(a.Expr) {
						line := a.SrcRange.Start.Line
						sf.addFor(res, f.name, line, "value", fmt.Sprintf("The PostgreSQL secret %q has a literal value in %s:%d. %s", name, f.name, line, secretAdvice))
					}
				}
			}
		}
		sf.scanStrings(f, b.Body, res, pgBlock)
	}
}

// scanObjectKeys reports secret-named keys with literal values in the
// object expressions of an azapi body (administratorLoginPassword).
func (sf *secretFinder) scanObjectKeys(f *tfFile, expr hcl.Expression, res []*arm.Resource) {
	_ = hclsyntax.VisitAll(expr.(hclsyntax.Node), func(n hclsyntax.Node) hcl.Diagnostics {
		oc, ok := n.(*hclsyntax.ObjectConsExpr)
		if !ok {
			return nil
		}
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
	})
}

// scanStrings reports PostgreSQL connection strings and URLs with a
// password in the literal parts of any string; in a PostgreSQL block
// (pgBlock), any connection string or URL with a password.
func (sf *secretFinder) scanStrings(f *tfFile, body hclsyntax.Node, res []*arm.Resource, pgBlock bool) {
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok || lit.Val.Type() != cty.String || lit.Val.IsNull() {
			return nil
		}
		s := lit.Val.AsString()
		what := ""
		switch {
		case urlPassword.MatchString(s) && (pgBlock || pgURL.MatchString(s)):
			what = "a URL with a password in it"
		case kvPassword.MatchString(s) && (pgBlock || pgHint.MatchString(s)):
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
// file) flows into the argument. It records which variables reach a
// password, for the checks of the literals given to them.
func (sf *secretFinder) scanEvaluated(inst *instance, res []*arm.Resource) {
	type cred struct {
		name string
		v    cty.Value
		line int
		expr hcl.Expression // the expression written for it, when known
	}
	var creds []cred
	for _, name := range passwordAttrs[inst.typ] {
		if a, ok := inst.attrs[name]; ok {
			var expr hcl.Expression
			if x := inst.decl.block.Body.Attributes[name]; x != nil {
				expr = x.Expr
			}
			creds = append(creds, cred{name, a.v, a.line, expr})
		}
	}
	if inst.typ == "azapi_resource" && isPGAzapi(inst.decl.block) {
		for _, name := range []string{"body", "sensitive_body"} {
			if a, ok := inst.attrs[name]; ok {
				if v, ok := azapiPassword(a.v); ok {
					var expr hcl.Expression
					if x := inst.decl.block.Body.Attributes[name]; x != nil {
						expr = objectItem(x.Expr, "properties", "administratorLoginPassword")
					}
					creds = append(creds, cred{name + ".properties.administratorLoginPassword", v, a.line, expr})
				}
			}
		}
	}
	for _, c := range creds {
		v, marks := c.v.UnmarkDeep()
		for mk := range marks {
			if o, ok := mk.(varOrigin); ok {
				sf.pgVars[o] = true
			}
		}
		if c.expr != nil && literalString(c.expr) {
			continue // reported as a literal already
		}
		if _, runtime := marks[runtimeMark{}]; runtime || !v.IsKnown() || v.IsNull() || v.Type() != cty.String || v.AsString() == "" {
			continue
		}
		sf.pgValues[v.AsString()] = true
		sf.addFor(res, inst.file, c.line, c.name, fmt.Sprintf(
			"%s of %s resolves to a value written in the configuration (a local, a variable default or a .tfvars file), at %s:%d. %s",
			c.name, inst.address, inst.file, c.line, secretAdvice))
	}
}

// azapiPassword returns properties.administratorLoginPassword of an azapi
// body (an object, or its JSON), with the body's marks.
func azapiPassword(body cty.Value) (cty.Value, bool) {
	u, marks := body.Unmark()
	if !u.IsKnown() || u.IsNull() {
		return cty.NilVal, false
	}
	if u.Type() == cty.String {
		d, err := stdlib.JSONDecode(u)
		if err != nil {
			return cty.NilVal, false
		}
		u = d
	}
	for _, k := range []string{"properties", "administratorLoginPassword"} {
		uu, m := u.Unmark()
		for mk := range m {
			marks[mk] = struct{}{}
		}
		if !uu.IsKnown() || uu.IsNull() || !(uu.Type().IsObjectType() && uu.Type().HasAttribute(k) || uu.Type().IsMapType()) {
			return cty.NilVal, false
		}
		if uu.Type().IsMapType() {
			if !uu.HasIndex(cty.StringVal(k)).True() {
				return cty.NilVal, false
			}
			u = uu.Index(cty.StringVal(k))
		} else {
			u = uu.GetAttr(k)
		}
	}
	return u.WithMarks(marks), true
}

// scanLiteralFor reports the literal strings of expr, given to the
// variable o, when the variable reaches a PostgreSQL password and its name
// says it is a secret or the literal is a password's value.
func (sf *secretFinder) scanLiteralFor(o varOrigin, expr hcl.Expression, file, attr string, msg func(line int) string) {
	if !sf.pgVars[o] {
		return
	}
	named := secretName.MatchString(o.name)
	if s, ok := literalValue(expr); ok {
		if named || sf.pgValues[s] {
			line := expr.Range().Start.Line
			sf.add(file, line, nil, attr, msg(line))
		}
		return
	}
	// An object or tuple: its secret-named keys, and its literals that
	// are a password's value.
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		// A .tfvars.json object: its strings that are a password's value.
		v, _ := expr.Value(nil)
		line := expr.Range().Start.Line
		walkStrings(v, 0, func(s string) {
			if sf.pgValues[s] {
				sf.add(file, line, nil, attr, msg(line))
			}
		})
		return
	}
	_ = hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, it := range e.Items {
				if key := hcl.ExprAsKeyword(it.KeyExpr); key != "" && secretName.MatchString(key) && literalString(it.ValueExpr) {
					line := it.ValueExpr.Range().Start.Line
					sf.add(file, line, nil, attr, msg(line))
				}
			}
		case *hclsyntax.TemplateExpr, *hclsyntax.LiteralValueExpr:
			if s, ok := literalValue(e.(hcl.Expression)); ok && sf.pgValues[s] {
				line := e.Range().Start.Line
				sf.add(file, line, nil, attr, msg(line))
			}
		}
		return nil
	})
}

// scanCalls reports literals given as module arguments to variables that
// reach a PostgreSQL password.
func (sf *secretFinder) scanCalls() {
	calls := make([]*moduleCall, 0, len(sf.r.calls))
	for c := range sf.r.calls {
		calls = append(calls, c)
	}
	for c := range sf.r.unread {
		calls = append(calls, c)
	}
	sort.Slice(calls, func(i, j int) bool {
		if calls[i].file != calls[j].file {
			return calls[i].file < calls[j].file
		}
		return calls[i].block.DefRange().Start.Line < calls[j].block.DefRange().Start.Line
	})
	for _, c := range calls {
		if sf.r.unread[c] {
			// A module that is not downloaded, whose source names
			// PostgreSQL: its secret-named literal arguments are its
			// credentials.
			if !pgHint.MatchString(c.source) {
				continue
			}
			for an, a := range c.block.Body.Attributes {
				if !moduleMeta[an] && secretName.MatchString(an) && literalString(a.Expr) {
					line := a.SrcRange.Start.Line
					sf.add(c.file, line, nil, "module."+c.name+"."+an, fmt.Sprintf("%s of module.%s is set to a literal value in %s:%d. %s",
						an, c.name, c.file, line, secretAdvice))
				}
			}
			continue
		}
		cfg := sf.r.calls[c]
		for an, a := range c.block.Body.Attributes {
			d := cfg.variables[an]
			if moduleMeta[an] || d == nil {
				continue
			}
			sf.scanLiteralFor(varOrigin{file: d.file, name: an}, a.Expr, c.file, "module."+c.name+"."+an, func(line int) string {
				return fmt.Sprintf("%s of module.%s is set to a literal value in %s:%d, and sets a PostgreSQL administrator password. %s",
					an, c.name, c.file, line, secretAdvice)
			})
		}
	}
}

// scanTfvars records a .tfvars file (loaded or not) for
// scanTfvarsEntries, and reports the PostgreSQL connection strings in it.
func (sf *secretFinder) scanTfvars(name string, body *tfvarsBody) {
	sf.tfvars = append(sf.tfvars, tfvarsFile{name: name, body: body})
	if body.syntax != nil {
		sf.scanStrings(&tfFile{name: name}, body.syntax, nil, false)
		return
	}
	for _, a := range body.attrs {
		v, _ := a.Expr.Value(nil)
		line := a.Range.Start.Line
		walkStrings(v, 0, func(s string) {
			if (urlPassword.MatchString(s) && pgURL.MatchString(s)) || (kvPassword.MatchString(s) && pgHint.MatchString(s)) {
				sf.add(name, line, nil, "string", fmt.Sprintf("%s:%d holds a connection string with a password in it. %s", name, line, secretAdvice))
			}
		})
	}
}

// walkStrings calls f on every known string in a value.
func walkStrings(v cty.Value, depth int, f func(string)) {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() || v.IsNull() || depth > maxValueDepth {
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		f(v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			walkStrings(e, depth+1, f)
		}
	}
}

// scanTfvarsEntries reports the literals of the .tfvars files that are
// given to root variables reaching a PostgreSQL password.
func (sf *secretFinder) scanTfvarsEntries(root *moduleConfig) {
	for _, tv := range sf.tfvars {
		names := make([]string, 0, len(tv.body.attrs))
		for n := range tv.body.attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := root.variables[n]
			if d == nil {
				continue
			}
			sf.scanLiteralFor(varOrigin{file: d.file, name: n}, tv.body.attrs[n].Expr, tv.name, n, func(line int) string {
				return fmt.Sprintf("%s is set to a literal value in %s:%d. Do not commit secrets in .tfvars files; pass them at apply time (TF_VAR_%s) or read them from Key Vault, and rotate the exposed value.", n, tv.name, line, n)
			})
		}
	}
}

// objectItem returns the expression at a path of keys in an object
// expression (or jsonencode of one), or nil.
func objectItem(expr hcl.Expression, keys ...string) hcl.Expression {
	for _, k := range keys {
		if fc, ok := expr.(*hclsyntax.FunctionCallExpr); ok && fc.Name == "jsonencode" && len(fc.Args) == 1 {
			expr = fc.Args[0]
		}
		oc, ok := expr.(*hclsyntax.ObjectConsExpr)
		if !ok {
			return nil
		}
		var next hcl.Expression
		for _, it := range oc.Items {
			key := hcl.ExprAsKeyword(it.KeyExpr)
			if key == "" {
				if kv, d := it.KeyExpr.Value(nil); !d.HasErrors() && kv.IsKnown() && !kv.IsNull() && kv.Type() == cty.String {
					key = kv.AsString()
				}
			}
			if key == k {
				next = it.ValueExpr
			}
		}
		if next == nil {
			return nil
		}
		expr = next
	}
	return expr
}
