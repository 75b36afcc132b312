package terraform

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzReadPlan feeds arbitrary JSON to the plan reader: a plan is read or
// refused, with errors for what is malformed; never a panic.
func FuzzReadPlan(f *testing.F) {
	if data, err := os.ReadFile("testdata/plan.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"type": "azurerm_postgresql_flexible_server", "values": null}]}}}`))
	f.Add([]byte(`{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {"child_modules": [{"child_modules": [{}]}]}}}`))
	f.Add([]byte(`{"format_version": 1, "resource_changes": [{"change": {"after_unknown": true}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc any
		if json.Unmarshal(data, &doc) != nil {
			return
		}
		in, ok := ReadPlan("plan.json", doc)
		if ok && in == nil {
			t.Fatal("a plan read without an input")
		}
	})
}
