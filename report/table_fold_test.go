package report

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// TestTableFoldsFleet checks that a failing rule's resources are listed up
// to the limit and counted past it, and that Full lists them all.
func TestTableFoldsFleet(t *testing.T) {
	r := bigReport(2000)
	write := func(o Options) string {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		if err := writeTable(w, r, o); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		return b.String()
	}
	o := fixtureOptions()
	folded := write(o)
	if !strings.Contains(folded, "more resources; --full to list them") {
		t.Fatalf("no fold line in the table:\n%s", folded[:min(len(folded), 3000)])
	}
	o.Full = true
	full := write(o)
	if strings.Contains(full, "--full to list them") {
		t.Error("--full still folds")
	}
	if lf, ll := strings.Count(folded, "\n"), strings.Count(full, "\n"); lf*5 > ll {
		t.Errorf("folded table has %d lines, full %d: folding saves too little", lf, ll)
	}
	if Thousands(1990) != "1,990" || Thousands(84000) != "84,000" || Thousands(12) != "12" || Thousands(1234567) != "1,234,567" {
		t.Error("Thousands")
	}
}
