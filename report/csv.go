package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
)

// CSVHeader is the CSV report's header row: every field of a JSON result,
// flattened. evidence is the JSON object as text; remediation falls back
// to the rule's when the result has none.
var CSVHeader = []string{
	"ruleId", "controlId", "feature", "title", "severity", "policyDefinitionId",
	"resourceId", "resourceType", "resourceName", "status", "effect", "message",
	"evidence", "file", "startLine", "endLine",
	"remediationSummary", "remediationAzureCli", "remediationTerraform", "remediationBicep", "remediationSql",
}

// writeCSV writes one row per result, streaming. Cells that a spreadsheet
// would run as a formula (starting with =, +, -, @, tab or carriage return)
// are prefixed with a single quote, as OWASP advises against CSV injection:
// resource names and values come from the scanned inputs.
func writeCSV(w *bufio.Writer, r *Report, o Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	row := make([]string, len(CSVHeader))
	for i := range r.Results {
		res := &r.Results[i]
		for j := range row {
			row[j] = ""
		}
		row[0], row[1], row[2], row[3] = res.RuleID, res.ControlID, res.Feature, res.Title
		row[4], row[5] = string(res.Severity), res.PolicyDefinitionID
		row[6], row[7], row[8] = res.ResourceID, res.ResourceType, res.ResourceName
		row[9], row[10], row[11] = string(res.Status), res.Effect, CleanMessage(res.Message)
		if ev := NamedEvidence(res.Evidence); len(ev) > 0 {
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			row[12] = string(b)
		}
		if l := res.Location; l != nil {
			row[13] = l.File
			if l.StartLine > 0 {
				row[14] = strconv.Itoa(l.StartLine)
			}
			if l.EndLine > 0 {
				row[15] = strconv.Itoa(l.EndLine)
			}
		}
		if m := remediationFor(res, o); m != nil {
			row[16], row[17], row[18], row[19], row[20] = m.Summary, m.AzureCLI, m.Terraform, m.Bicep, m.SQL
		}
		for j := range row {
			row[j] = defuseCell(row[j])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuseCell keeps a spreadsheet from reading a cell as a formula.
func defuseCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
