package arm

import (
	"strings"
	"testing"
)

// FuzzParseID checks that any string parses or is refused without a panic,
// and that the helpers built on the parser agree with it.
func FuzzParseID(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a/configurations/b")
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a/providers/Microsoft.Insights/diagnosticSettings/d")
	f.Add("/providers/Microsoft.Management/managementGroups/mg")
	f.Add("/subscriptions//resourceGroups/")
	f.Add("providers/x/y")
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseID(s)
		_ = ParentID(s)
		_ = ScopeID(s)
		_ = TypeOfID(s)
		if ok {
			_ = id.FullType()
			if !strings.EqualFold(TypeOfID(s), id.FullType()) && TypeOfID(s) != "" {
				t.Fatalf("TypeOfID %q != FullType %q", TypeOfID(s), id.FullType())
			}
		}
	})
}
