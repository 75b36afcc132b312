package verdict

import "testing"

func TestRank(t *testing.T) {
	for s, want := range map[Severity]int{Critical: 4, High: 3, Medium: 2, Low: 1, "": 0, "severe": 0} {
		if got := s.Rank(); got != want {
			t.Errorf("%q.Rank() = %d, want %d", s, got, want)
		}
	}
}

func TestRemediationFill(t *testing.T) {
	m := &Remediation{Summary: "Fix $SERVER.", AzureCLI: "az x --name $SERVER --id $SERVER_ID", SQL: "SELECT 1;"}
	got := m.Fill(map[string]string{"SERVER": "db1"})
	if got.AzureCLI != "az x --name db1 --id $SERVER_ID" || got.Summary != m.Summary || got.SQL != m.SQL {
		t.Errorf("Fill = %+v", got)
	}
	if m.AzureCLI != "az x --name $SERVER --id $SERVER_ID" {
		t.Error("Fill changed its receiver")
	}
	if m.Fill(map[string]string{"RG": "rg"}) != m || m.Fill(nil) != m {
		t.Error("Fill with nothing to fill must return its receiver")
	}
	if (*Remediation)(nil).Fill(map[string]string{"SERVER": "db1"}) != nil {
		t.Error("nil.Fill != nil")
	}
	if !(*Remediation)(nil).Empty() || !(&Remediation{}).Empty() || m.Empty() {
		t.Error("Empty")
	}
}
