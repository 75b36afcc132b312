package scan

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/policy"
)

func TestAppendEvidenceFactMatchesDescribeEvidence(t *testing.T) {
	r := &arm.Resource{ID: "/s/r", Type: "Microsoft.DBforPostgreSQL/flexibleServers", Name: "a"}
	rel := &arm.Resource{ID: "/s/r/c", Type: "Microsoft.DBforPostgreSQL/flexibleServers/configurations", Name: "log_checkpoints"}
	for _, e := range []policy.Evidence{
		{Path: "properties.value", Value: "ON"},
		{Field: "Microsoft.X/y", Value: true},
		{Path: "p", Value: 1.5e300},
		{Path: "p", Value: nil},
		{Path: "p", Missing: true},
		{Path: "p", Value: arm.Unknown{Reason: "later"}},
		{Path: "p", Value: []any{"a", 1.0}},
		{Path: "p", Value: "quote \" and \u2028 and \xff"},
	} {
		for _, holder := range []*arm.Resource{r, rel} {
			if got, want := string(appendEvidenceFact([]byte("x"), &e, holder, r)), "x"+describeEvidence(e, holder, r); got != want {
				t.Errorf("appendEvidenceFact(%+v) = %q, want %q", e, got, want)
			}
		}
	}
}

// describeEvidence is what appendEvidenceFact appends, as it was first
// written.
func describeEvidence(e policy.Evidence, holder, r *arm.Resource) string {
	what := e.Path
	if what == "" {
		what = e.Field
	}
	if holder != r {
		what = relatedName(holder) + " " + what
	}
	if e.Missing {
		return what + " is not set"
	}
	return what + " is " + render(e.Value)
}
