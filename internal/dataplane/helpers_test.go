package dataplane

import "github.com/pgbaseline/pgbaseline/report"

var testResource = report.Resource{ID: "db:5432", Type: TypeSelfHosted, Name: "db:5432"}
