package scan

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/report"
)

func TestJoinDatabaseResults(t *testing.T) {
	id := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/Orders"
	srv := arm.New(map[string]any{"id": id, "type": "Microsoft.DBforPostgreSQL/flexibleServers", "name": "Orders"}, arm.Origin{})
	set := arm.NewSet(srv)
	resources := []report.Resource{
		{ID: "orders.postgres.database.azure.com:5432", Type: "Microsoft.DBforPostgreSQL/flexibleServers", Name: "orders"},
		{ID: "db.internal:5432", Type: "PostgreSQL", Name: "db.internal:5432"},
		{ID: "other.postgres.database.azure.com:5432", Type: "Microsoft.DBforPostgreSQL/flexibleServers", Name: "other"},
	}
	results := []report.Result{
		{RuleID: "PGB-DB-DP-3-01", ResourceID: resources[0].ID, ResourceName: "orders"},
		{RuleID: "PGB-DB-DP-3-01", ResourceID: resources[1].ID, ResourceName: resources[1].Name},
		{RuleID: "PGB-DB-DP-3-01", ResourceID: resources[2].ID, ResourceName: "other"},
	}
	keep, out := joinDatabaseResults(set, resources, results)
	if len(keep) != 2 || keep[0].ID != "db.internal:5432" || keep[1].Name != "other" {
		t.Errorf("resources kept: %+v", keep)
	}
	if out[0].ResourceID != id || out[0].ResourceName != "Orders" || out[0].Evidence["connection"] != resources[0].ID {
		t.Errorf("joined result: %+v", out[0])
	}
	if out[1].ResourceID != "db.internal:5432" || out[2].ResourceID != resources[2].ID {
		t.Errorf("unmatched results changed: %+v %+v", out[1], out[2])
	}
	if results[0].ResourceID != resources[0].ID {
		t.Error("the input slice was modified")
	}
}
