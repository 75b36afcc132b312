package terraform_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/terraform"
	"github.com/pgbaseline/pgbaseline/report"
)

var (
	hardenedDir = filepath.Join("..", "..", "..", "examples", "terraform", "hardened")
	insecureDir = filepath.Join("..", "..", "..", "examples", "terraform", "insecure")
	moduleMain  = filepath.Join("..", "..", "..", "examples", "terraform", "modules", "postgresql", "main.tf")
	// hardenedExport is what Azure Resource Manager returns for the
	// resources the hardened example deploys, written by hand from Azure's
	// response shapes (server GET with Azure's defaults, configurations
	// with their source, administrators, the embedded private endpoint
	// connections, the diagnostic settings on the server, the private
	// endpoints, the subnet and NSG, and the keys).
	hardenedExport = filepath.Join("..", "..", "..", "examples", "exports", "terraform-hardened.json")
)

// TestHardenedMatchesExport scans the hardened example (variables, locals,
// for_each over a map of server parameters, count, the local module
// called twice, private endpoints, diagnostic settings and Entra
// administrators) and the export of what it deploys, and requires the
// same verdict for every rule on every resource and for every control.
func TestHardenedMatchesExport(t *testing.T) {
	tf := terraform.ReadModule(hardenedDir, nil, terraform.Options{})
	tfRep := runScan(t, tf)
	exRep := runScan(t, scan.LoadPaths([]string{hardenedExport})...)
	if len(tfRep.Errors) > 0 || len(exRep.Errors) > 0 {
		t.Fatalf("errors: %+v %+v", tfRep.Errors, exRep.Errors)
	}
	tv, ev := verdicts(tfRep), verdicts(exRep)

	// The comparison covers the three servers: two from the for_each call
	// of the module and one from its count call.
	servers := map[string]int{}
	for k := range ev {
		servers[strings.Fields(k)[2]]++
	}
	for _, name := range []string{"psql-orders-prod-api", "psql-orders-prod-reporting", "psql-orders-prod-analytics"} {
		if servers[name] < 30 {
			t.Errorf("%s: %d rule verdicts in the export scan, want every server rule", name, servers[name])
		}
	}
	compareVerdicts(t, tv, ev, nil)

	// Per control. IM-8 is the one justified exception: PGB-IM8-01 reads
	// the code's text for literal secrets, which no export shows. The
	// hardened code has none, so on the code that rule is Compliant.
	ec := map[string]report.Status{}
	for _, c := range exRep.Controls {
		ec[c.ID] = c.Status
	}
	if len(exRep.Controls) == 0 || len(exRep.Controls) != len(tfRep.Controls) {
		t.Errorf("controls: %d in the Terraform scan, %d in the export scan", len(tfRep.Controls), len(exRep.Controls))
	}
	for _, c := range tfRep.Controls {
		if c.ID == "IM-8" {
			continue
		}
		if want, ok := ec[c.ID]; !ok || want != c.Status {
			t.Errorf("control %s: Terraform %s, export %s", c.ID, c.Status, want)
		}
	}
	im8 := 0
	for _, r := range tfRep.Results {
		if r.RuleID == terraform.RuleLiteralSecret {
			im8++
			if r.Status != report.Compliant {
				t.Errorf("%s on %s: %s, want Compliant (no literal secret in the hardened code)", r.RuleID, r.ResourceName, r.Status)
			}
		}
	}
	if im8 != 3 {
		t.Errorf("%d %s results, want one per server", im8, terraform.RuleLiteralSecret)
	}
	t.Logf("%d rule verdicts and %d controls compared", len(ev), len(ec))
}

// compareVerdicts fails on every key whose Terraform status differs from
// the export's, or that only one side has. exceptions overrides the
// export's status where the code legitimately differs (an inline
// suppression).
func compareVerdicts(t *testing.T, tv, ev map[string]report.Status, exceptions map[string]report.Status) {
	t.Helper()
	var keys []string
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := ev[k]
		if w, ok := exceptions[k]; ok {
			want = w
		}
		got, ok := tv[k]
		if !ok {
			t.Errorf("%s: no Terraform result (export: %s)", k, want)
			continue
		}
		if got != want {
			t.Errorf("%s: Terraform %s, export %s", k, got, want)
		}
	}
	for k, s := range tv {
		if _, ok := ev[k]; !ok {
			t.Errorf("%s: only in the Terraform scan (%s)", k, s)
		}
	}
}

// tfFile is a .tf file split into lines, with the blocks found by text.
type tfFile struct {
	path  string
	lines []string
}

func readTF(t *testing.T, path string) *tfFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := &tfFile{path: path}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out.lines = append(out.lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// block returns the first and last line (1-based) of the top-level block
// whose header starts with header, e.g. `resource "azurerm_x" "this"`.
func (f *tfFile) block(t *testing.T, header string) (int, int) {
	t.Helper()
	for i, l := range f.lines {
		if strings.HasPrefix(l, header+" ") || l == header+"{" {
			for j := i + 1; j < len(f.lines); j++ {
				if f.lines[j] == "}" {
					return i + 1, j + 1
				}
			}
			t.Fatalf("%s: block %q is not closed", f.path, header)
		}
	}
	t.Fatalf("%s: no block %q", f.path, header)
	return 0, 0
}

// line returns the line of attribute (or nested block header) attr inside
// the top-level block header, or the block's own line when attr is "".
func (f *tfFile) line(t *testing.T, header, attr string) int {
	t.Helper()
	start, end := f.block(t, header)
	if attr == "" {
		return start
	}
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(attr) + `(\s|=|\{|$)`)
	for i := start; i < end; i++ {
		if re.MatchString(f.lines[i]) {
			return i + 1
		}
	}
	t.Fatalf("%s: no %q in %q", f.path, attr, header)
	return 0
}

// topLevel returns the header of the top-level block that holds line n.
func (f *tfFile) topLevel(n int) string {
	for i := n - 1; i >= 0 && i < len(f.lines); i-- {
		l := f.lines[i]
		if l != "" && l[0] != ' ' && l[0] != '\t' && l[0] != '#' && l[0] != '}' {
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "{"))
		}
	}
	return ""
}

var (
	attrLine  = regexp.MustCompile(`^\s*"?[A-Za-z_][\w.-]*"?\s*=`)
	blockLine = regexp.MustCompile(`^\s*[A-Za-z_][\w-]*(\s+"[^"]*")*\s*\{\s*$`)
)

// TestResultLocations checks that every result of a Terraform scan points
// at the file and start line of an attribute, or of a block, in the block
// of the resource it judges (or of the related resource that decided it),
// and that the rules in the table point at exactly the attribute that
// decides them, or at the block when the code leaves the attribute out.
// The expected lines are found by searching the files' text.
func TestResultLocations(t *testing.T) {
	hardened := runScan(t, terraform.ReadModule(hardenedDir, nil, terraform.Options{}))
	insecure := runScan(t, terraform.ReadModule(insecureDir, nil, terraform.Options{}))
	files := map[string]*tfFile{}
	file := func(p string) *tfFile {
		if files[p] == nil {
			files[p] = readTF(t, p)
		}
		return files[p]
	}
	// Blocks a result may point into, by the type of the resource judged.
	related := regexp.MustCompile(`^resource "azurerm_(postgresql_flexible_server\w*|private_endpoint|monitor_diagnostic_setting)" "\w+"$`)
	for _, rep := range []*report.Report{hardened, insecure} {
		if len(rep.Results) == 0 {
			t.Fatal("no results")
		}
		for _, r := range rep.Results {
			loc := r.Location
			if loc == nil || loc.File == "" || loc.StartLine < 1 {
				t.Errorf("%s %s: no location: %+v", r.RuleID, r.ResourceID, loc)
				continue
			}
			if ext := filepath.Ext(loc.File); ext != ".tf" && ext != ".tfvars" {
				t.Errorf("%s %s: location %s is not Terraform code", r.RuleID, r.ResourceID, loc.File)
				continue
			}
			f := file(loc.File)
			if loc.StartLine > len(f.lines) {
				t.Errorf("%s %s: line %d past the end of %s", r.RuleID, r.ResourceID, loc.StartLine, loc.File)
				continue
			}
			text := f.lines[loc.StartLine-1]
			if !attrLine.MatchString(text) && !blockLine.MatchString(text) {
				t.Errorf("%s %s: %s:%d is neither an attribute nor a block: %q", r.RuleID, r.ResourceID, loc.File, loc.StartLine, text)
			}
			if filepath.Ext(loc.File) == ".tfvars" {
				continue
			}
			top := f.topLevel(loc.StartLine)
			if strings.HasPrefix(r.RuleID, "PGB-IM8") && top == "locals" {
				continue // a literal secret in a local value
			}
			if !related.MatchString(top) {
				t.Errorf("%s %s: %s:%d is in %q, not in the resource or a related one", r.RuleID, r.ResourceID, loc.File, loc.StartLine, top)
			}
			// A result on a server that points at a server block points at
			// that server's own block.
			if strings.HasPrefix(top, `resource "azurerm_postgresql_flexible_server" `) {
				name := strings.Trim(strings.Fields(top)[2], `"`)
				if !strings.HasSuffix(r.ResourceID, "azurerm_postgresql_flexible_server."+name) {
					t.Errorf("%s %s: points into the block of server %q", r.RuleID, r.ResourceID, name)
				}
			}
		}
	}

	const (
		server    = `resource "azurerm_postgresql_flexible_server" "this"`
		config    = `resource "azurerm_postgresql_flexible_server_configuration" "this"`
		endpoint  = `resource "azurerm_private_endpoint" "this"`
		diag      = `resource "azurerm_monitor_diagnostic_setting" "this"`
		legacy    = `resource "azurerm_postgresql_flexible_server" "legacy"`
		legacyCfg = `resource "azurerm_postgresql_flexible_server_configuration" "insecure"`
		everyone  = `resource "azurerm_postgresql_flexible_server_firewall_rule" "everyone"`
	)
	insecureMain := filepath.Join(insecureDir, "main.tf")
	type row struct {
		rep      *report.Report
		rule     string
		resource string // resource name
		file     string
		block    string // top-level block header
		attr     string // attribute or nested block; "" for the block
		// gap explains why the engine points at the resource's block
		// although the code sets the attribute: the policy's deciding
		// condition is a value expression, or its first evidence is a
		// missing field. The row then accepts the server block's line too.
		gap string
	}
	rows := []row{
		// Attributes the module sets from the caller's inputs.
		{hardened, "PGB-IM1-01", "psql-orders-prod-api", moduleMain, server, "password_auth_enabled", ""},
		{hardened, "AZP-fa498b91", "psql-orders-prod-api", moduleMain, server, "active_directory_auth_enabled", ""},
		{hardened, "AZP-cee2f9fd", "psql-orders-prod-reporting", moduleMain, server, "geo_redundant_backup_enabled", ""},
		{hardened, "PGB-BR1-02", "psql-orders-prod-analytics", moduleMain, server, "mode", ""},
		{hardened, "AZP-12c74c95", "psql-orders-prod-api", moduleMain, server, `dynamic "customer_managed_key"`, ""},
		{hardened, "PGB-IM3-01", "psql-orders-prod-api", moduleMain, server, "primary_user_assigned_identity_id", ""},
		{hardened, "PGB-DP5-01", "psql-orders-prod-analytics", moduleMain, server, "geo_backup_key_vault_key_id", ""},
		// Verdicts decided by a related resource point at it.
		{hardened, "AZP-c29c38cb", "psql-orders-prod-api", moduleMain, config, "value", ""},
		{hardened, "AZP-3bf854e8", "psql-orders-prod-reporting", moduleMain, config, "value", ""},
		{hardened, "AZP-5375a5bb", "psql-orders-prod-analytics", moduleMain, endpoint, "private_connection_resource_id", ""},
		{hardened, "PGB-LT4-01", "psql-orders-prod-api", moduleMain, diag, "enabled_log", ""},
		// Absent from the code: the block.
		{hardened, "PGB-NS1-01", "psql-orders-prod-api", moduleMain, server, "", ""},
		{hardened, "AZP-2a6ae02f", "psql-orders-prod-reporting", moduleMain, server, "", ""},
		{insecure, "AZP-5e1de0e3", "psql-legacy", insecureMain, legacy, "", ""},
		{insecure, "PGB-BR1-02", "psql-legacy", insecureMain, legacy, "", ""},
		// The insecure example's own attributes.
		{insecure, "AZP-c29c38cb", "psql-legacy", insecureMain, legacyCfg, "value", ""},
		{insecure, "PGB-IM8-01", "psql-legacy", insecureMain, legacy, "administrator_password", ""},
		{insecure, "PGB-IM1-01", "psql-legacy-reporting", moduleMain, server, "password_auth_enabled", ""},
		{insecure, "AZP-5e1de0e3", "psql-legacy-reporting", moduleMain, server, "public_network_access_enabled", ""},
		{insecure, "PGB-NS2-01", "allow-all", insecureMain, everyone, "start_ip_address", ""},
		// Decided by a comparison after a missing field, or by a value
		// expression over field(): the result points at what was read.
		{hardened, "AZP-5e1de0e3", "psql-orders-prod-api", moduleMain, server, "public_network_access_enabled", ""},
		{hardened, "PGB-BR1-01", "psql-orders-prod-api", moduleMain, server, "backup_retention_days", ""},
		{insecure, "PGB-BR1-01", "psql-legacy", insecureMain, legacy, "backup_retention_days", ""},
		{hardened, "AZP-f5ed3f7a", "psql-orders-prod-api", moduleMain, config, "value", ""},
		{hardened, "PGB-DP6-01", "psql-orders-prod-api", moduleMain, server, "key_vault_key_id", ""},
	}
	for _, w := range rows {
		f := file(w.file)
		want := f.line(t, w.block, w.attr)
		var found *report.Result
		for i := range w.rep.Results {
			r := &w.rep.Results[i]
			if r.RuleID == w.rule && r.ResourceName == w.resource {
				found = r
				break
			}
		}
		if found == nil {
			t.Errorf("%s on %s: no result", w.rule, w.resource)
			continue
		}
		loc := found.Location
		if loc == nil || filepath.Clean(loc.File) != filepath.Clean(w.file) {
			t.Errorf("%s on %s: location %+v, want %s:%d", w.rule, w.resource, loc, w.file, want)
			continue
		}
		switch {
		case loc.StartLine == want && loc.EndLine >= loc.StartLine:
		case w.gap != "" && strings.HasPrefix(f.lines[loc.StartLine-1], `resource "azurerm_postgresql_flexible_server" `):
			t.Logf("%s on %s: points at the server's block (line %d), not at %s (line %d): %s", w.rule, w.resource, loc.StartLine, w.attr, want, w.gap)
		default:
			t.Errorf("%s on %s (%s): %s:%d, want line %d (%q)", w.rule, w.resource, found.Status, loc.File, loc.StartLine, want, f.lines[want-1])
		}
	}
}

// TestAzapiServerMatchesExport scans a flexible server written as an
// azapi_resource whose body sets only what it must, and the export of
// what Azure creates from it: Azure's defaults (public access, password
// authentication only, service-managed keys, no high availability) must
// decide the verdicts, as they do on the export.
func TestAzapiServerMatchesExport(t *testing.T) {
	tf := terraform.ReadModule(filepath.Join("testdata", "azapi"), nil, terraform.Options{})
	tfRep := runScan(t, tf)
	exRep := runScan(t, scan.LoadPaths([]string{filepath.Join("testdata", "azapi-export.json")})...)
	if len(tfRep.Errors) > 0 || len(exRep.Errors) > 0 {
		t.Fatalf("errors: %+v %+v", tfRep.Errors, exRep.Errors)
	}
	tv, ev := verdicts(tfRep), verdicts(exRep)
	for k, want := range map[string]report.Status{
		"AZP-5e1de0e3 Microsoft.DBforPostgreSQL/flexibleServers psql-azapi": report.NonCompliant, // public access
		"PGB-IM1-01 Microsoft.DBforPostgreSQL/flexibleServers psql-azapi":   report.NonCompliant, // password authentication
		"PGB-BR1-02 Microsoft.DBforPostgreSQL/flexibleServers psql-azapi":   report.NonCompliant, // no high availability
		"AZP-c29c38cb Microsoft.DBforPostgreSQL/flexibleServers psql-azapi": report.Compliant,    // the configuration
	} {
		if ev[k] != want {
			t.Errorf("export: %s is %q, want %s", k, ev[k], want)
		}
	}
	compareVerdicts(t, tv, ev, nil)
}
