package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestRollup(t *testing.T) {
	cases := []struct {
		counts map[Status]int
		want   Status
	}{
		{map[Status]int{Compliant: 3, NonCompliant: 1, Unknown: 1}, NonCompliant},
		{map[Status]int{Compliant: 3, Error: 1}, Error},
		{map[Status]int{Compliant: 4, Unknown: 4}, Unknown}, // IM-3: undecided is not Compliant
		{map[Status]int{Unknown: 4}, Unknown},               // IM-7
		{map[Status]int{Compliant: 1, Exempt: 2, NotApplicable: 1}, Compliant},
		{map[Status]int{Exempt: 2, NotApplicable: 1}, Exempt},
		{map[Status]int{NotApplicable: 4}, NotApplicable}, // PA-7
		{NewCounts(), NotApplicable},
	}
	for _, c := range cases {
		if got := Rollup(c.counts); got != c.want {
			t.Errorf("Rollup(%v) = %s, want %s", c.counts, got, c.want)
		}
	}
}

func TestCompliancePercent(t *testing.T) {
	cases := []struct {
		counts map[Status]int
		want   string
	}{
		{map[Status]int{Unknown: 4}, "—"},
		{map[Status]int{NotApplicable: 4}, "—"},
		{map[Status]int{Exempt: 1, Error: 2}, "—"},
		{NewCounts(), "—"},
		{map[Status]int{Compliant: 4, Unknown: 4}, "100%"},
		{map[Status]int{Compliant: 1, NonCompliant: 3, Unknown: 9}, "25%"},
		{map[Status]int{NonCompliant: 2}, "0%"},
		{map[Status]int{Compliant: 999, NonCompliant: 1}, "99%"}, // never rounded up to 100%
		{map[Status]int{Compliant: 1, NonCompliant: 999}, "1%"},  // nor down to 0%
	}
	for _, c := range cases {
		if got := CompliancePercent(c.counts); got != c.want {
			t.Errorf("CompliancePercent(%v) = %q, want %q", c.counts, got, c.want)
		}
	}
}

func TestRollupControlsReplacesAStaleStatus(t *testing.T) {
	cs := []ControlSummary{
		{ID: "IM-3", Status: Compliant, Counts: map[Status]int{Compliant: 4, Unknown: 4}},
		{ID: "DP-8", Status: NotApplicable, Counts: NewCounts()},
	}
	RollupControls(cs)
	if cs[0].Status != Unknown || cs[1].Status != NotApplicable {
		t.Errorf("RollupControls gave %s and %s, want Unknown and NotApplicable", cs[0].Status, cs[1].Status)
	}
}

func TestFailuresString(t *testing.T) {
	results := []Result{
		{Status: NonCompliant, Severity: High}, {Status: NonCompliant, Severity: High},
		{Status: NonCompliant, Severity: Low}, {Status: Compliant, Severity: Critical},
		{Status: Error, Severity: Critical}, {Status: NonCompliant},
	}
	want := "Failures: 4 (CRITICAL 0, HIGH 2, MEDIUM 0, LOW 1, UNRATED 1)"
	if got := CountFailures(results).String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCleanMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{`properties.network.publicNetworkAccess is "Enabled"; properties.network.publicNetworkAccess is "Enabled"; properties.network.delegatedSubnetResourceId is null. Current value must not exist.`,
			`properties.network.publicNetworkAccess is "Enabled"; properties.network.delegatedSubnetResourceId is null. Current value must not exist.`},
		{` is "Both"; properties.highAvailability.mode is "Disabled"; properties.highAvailability.mode is "Disabled". Current value must not be equal to the target value.`,
			`properties.highAvailability.mode is "Disabled". Current value must not be equal to the target value.`},
		{`a is "x; y"; a is "x; y". Reason.`, `a is "x; y". Reason.`},
		{`The server uses public access; NS-2 applies.`, `The server uses public access; NS-2 applies.`},
		{`require_secure_transport is off.`, `require_secure_transport is off.`},
		{`Exempt until 2027-01-31 (exemption entra-rollout, Mitigated).`, `Exempt until 2027-01-31 (exemption entra-rollout, Mitigated).`},
		{``, ``},
	}
	for _, c := range cases {
		if got := CleanMessage(c.in); got != c.want {
			t.Errorf("CleanMessage(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// A repeated fact and an unnamed field reach no human-facing format.
func TestWritersShowCleanMessagesAndNamedEvidence(t *testing.T) {
	r := fixtureReport()
	r.Results[0].Message = ` is "Both"; properties.network.publicNetworkAccess is "Enabled"; properties.network.publicNetworkAccess is "Enabled". Current value must be "Disabled".`
	r.Results[0].Evidence = map[string]any{"": "Both", "properties.network.publicNetworkAccess": "Enabled"}
	for _, f := range []Format{FormatTable, FormatHTML, FormatMarkdown, FormatJUnit, FormatSARIF, FormatCSV} {
		var buf bytes.Buffer
		if err := Write(&buf, r, f, Options{Width: 300}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Count(out, `publicNetworkAccess is "Enabled"; properties.network.publicNetworkAccess is`) > 0 ||
			strings.Count(out, `publicNetworkAccess is \"Enabled\"; properties.network.publicNetworkAccess is`) > 0 ||
			strings.Contains(out, `publicNetworkAccess is &#34;Enabled&#34;; properties.network.publicNetworkAccess is`) {
			t.Errorf("%s repeats the evidence fact in the message", f)
		}
		for _, bad := range []string{` is "Both"`, ` is \"Both\"`, `is &#34;Both&#34;`, `is &quot;Both&quot;`, `<td><code></code></td>`, `is ""Both""`, `"": "Both"`, `"":"Both"`, `\"\":\"Both\"`, " = Both;"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s shows a value without its field name: %q", f, bad)
			}
		}
	}
}

// Top findings list each failing rule once, with how many resources fail
// it, however many resources one rule fails on.
func TestMarkdownTopFindingsAreDistinctRules(t *testing.T) {
	r := fixtureReport()
	base := r.Results[0] // PGB-NS2-01, high
	for i := range 12 {
		res := base
		res.ResourceID = prodID + "-" + string(rune('a'+i))
		res.ResourceName = "pg-extra-" + string(rune('a'+i))
		r.Results = append(r.Results, res)
	}
	var buf bytes.Buffer
	if err := Write(&buf, r, FormatMarkdown, fixtureOptions()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	top := out[strings.Index(out, "### Top findings"):]
	top = top[:strings.Index(top, "\n\n<details>")]
	rows := strings.Split(strings.TrimSpace(top), "\n")[4:]
	want := []string{"| :red_circle: critical | PGB-DP3-01 ", "| :orange_circle: high | PGB-NS2-01 ", "| :orange_circle: high | PGB-IM1-01 ", "| :large_blue_circle: low | PGB-LT4-02 "}
	if len(rows) != len(want) {
		t.Fatalf("Top findings has %d rows, want one per failing rule (%d):\n%s", len(rows), len(want), top)
	}
	for i, w := range want {
		if !strings.HasPrefix(rows[i], w) {
			t.Errorf("row %d = %q, want it to start with %q", i+1, rows[i], w)
		}
	}
	if !strings.Contains(rows[1], " | 15 | ") || !strings.Contains(rows[1], " and 12 more: ") {
		t.Errorf("the PGB-NS2-01 row does not count its 15 resources: %q", rows[1])
	}
	if !strings.Contains(out, "**Failures: 18 (CRITICAL 1, HIGH 16, MEDIUM 0, LOW 1)**") {
		t.Errorf("the header does not count the failures by severity:\n%s", out[:min(len(out), 600)])
	}
}

func TestRemediationForResource(t *testing.T) {
	m := &Remediation{
		Summary:  "Delete $RULE.",
		AzureCLI: "az postgres flexible-server firewall-rule delete --resource-group $RG --name $SERVER --rule-name $RULE --yes\naz postgres flexible-server create --name $NEW_SERVER --private-dns-zone $SERVER.private.postgres.database.azure.com --scope /subscriptions/$SUBSCRIPTION_ID $(az account show) $SERVER_ID",
	}
	fw := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-prod-01/firewallRules/allow-all"
	got := RemediationForResource(m, fw)
	want := "az postgres flexible-server firewall-rule delete --resource-group rg-prod --name pg-prod-01 --rule-name allow-all --yes\n" +
		"az postgres flexible-server create --name $NEW_SERVER --private-dns-zone pg-prod-01.private.postgres.database.azure.com --scope /subscriptions/00000000-0000-0000-0000-000000000001 $(az account show) $SERVER_ID"
	if got.AzureCLI != want {
		t.Errorf("filled command\n got %q\nwant %q", got.AzureCLI, want)
	}
	if got.Summary != m.Summary || !strings.Contains(m.AzureCLI, "$RG") {
		t.Error("RemediationForResource changed the summary or the rule's own remediation")
	}
	// Not an ARM ID, or a name a shell would read: placeholders stay.
	for _, id := range []string{tfAddr, "pg-prod-01.postgres.database.azure.com:5432", hostile} {
		if c := RemediationForResource(m, id).AzureCLI; strings.Contains(c, "<script>") || !strings.Contains(c, "--name $SERVER") {
			t.Errorf("ForResource(%q) = %q, want $SERVER left in place", id, c)
		}
	}
	if RemediationForResource(nil, fw) != nil {
		t.Error("a nil remediation must stay nil")
	}
}

// The table fills each resource's command, wraps long commands with
// backslash continuations instead of cutting them, and never cuts a
// file:line.
func TestTableCommandsAreCopyable(t *testing.T) {
	r := fixtureReport()
	long := "infra/modules/postgresql-flexible-server-with-a-very-long-directory-name/main.tf"
	r.Results[0].Location = &Location{File: long, StartLine: 1234}
	o := fixtureOptions()
	o.Width = 80
	var buf bytes.Buffer
	if err := Write(&buf, r, FormatTable, o); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, long+":1234") {
		t.Errorf("the file:line %s:1234 is cut:\n%s", long, out)
	}
	lines := strings.Split(out, "\n")
	var cmd []string
	start := 0
	for i, l := range lines {
		if strings.TrimSpace(l) == "pg-prod-01" {
			start = i
			break
		}
	}
	for i, l := range lines {
		if i > start && start > 0 && strings.Contains(l, "az postgres") {
			for j := i; j < len(lines); j++ {
				cmd = append(cmd, strings.TrimSpace(lines[j]))
				if !strings.HasSuffix(lines[j], "\\") {
					break
				}
			}
			break
		}
	}
	joined := strings.ReplaceAll(strings.Join(cmd, "\n"), "\\\n", "")
	want := "az postgres flexible-server update --resource-group rg-prod --name pg-prod-01 --public-access Disabled"
	if strings.Join(strings.Fields(joined), " ") != want {
		t.Errorf("pg-prod-01's command, with its continuations joined, is %q, want %q", joined, want)
	}
	for _, l := range lines {
		if strings.Contains(l, "az ") && strings.Contains(l, "…") {
			t.Errorf("a command is cut: %q", l)
		}
		if n := len([]rune(l)); n > 80 && !strings.Contains(l, long) {
			t.Errorf("line of %d columns at width 80: %q", n, l)
		}
	}
}
