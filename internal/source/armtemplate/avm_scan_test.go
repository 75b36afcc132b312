package armtemplate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/source/armtemplate"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestAVMVerdicts scans the Azure Verified Module reproduction with its
// e2e-shaped parameter sets. With nullable parameters read as null, the
// VNet-integrated server's network is known (no Unknown, and the
// private-endpoint built-in does not apply to it), and the private
// endpoint passed through whole-expression parameters is linked.
func TestAVMVerdicts(t *testing.T) {
	dir := filepath.Join("testdata", "avm-flexible-server")
	const server = "Microsoft.DBforPostgreSQL/flexibleServers "
	cases := []struct {
		set  string
		want map[string]report.Status
	}{
		{"private", map[string]report.Status{
			"PGB-NS1-01 " + server + "psql-avm-private":   report.Compliant,
			"AZP-5e1de0e3 " + server + "psql-avm-private": report.Compliant,
			"AZP-5375a5bb " + server + "psql-avm-private": report.Exempt, // mitigated: VNet-integrated
			"PGB-LT4-01 " + server + "psql-avm-private":   report.Compliant,
			"AZP-cee2f9fd " + server + "psql-avm-private": report.Compliant,
		}},
		{"public-with-pe", map[string]report.Status{
			"AZP-5375a5bb " + server + "psql-avm-pe": report.Compliant,
			"AZP-5e1de0e3 " + server + "psql-avm-pe": report.Compliant,
			"AZP-ce39a96d " + server + "psql-avm-pe": report.Compliant,
			"PGB-NS1-01 " + server + "psql-avm-pe":   report.NonCompliant,
			"PGB-NS1-02 " + server + "psql-avm-pe":   report.NotApplicable,
		}},
		{"defaults", map[string]report.Status{
			// publicNetworkAccess passed as null takes the default Disabled.
			"AZP-5e1de0e3 " + server + "psql-avm-min": report.Compliant,
			"AZP-5375a5bb " + server + "psql-avm-min": report.NonCompliant,
			"PGB-IM1-01 " + server + "psql-avm-min":   report.Compliant,
		}},
	}
	main := filepath.Join(dir, "main.json")
	data, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			in := armtemplate.Expand(main, data, armtemplate.Options{ParamFiles: []string{filepath.Join(dir, "tests", c.set+".parameters.json")}})
			rep := runScan(t, in)
			if len(rep.Errors) > 0 {
				t.Fatalf("errors: %+v", rep.Errors)
			}
			got := ruleVerdicts(rep)
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s: %q, want %s", k, got[k], want)
				}
			}
			for k, s := range got {
				if s == report.Unknown && k[:4] == "AZP-" {
					t.Errorf("%s: Unknown; every built-in is decidable on this module's output", k)
				}
			}
		})
	}
}
