package check

import (
	"strings"

	"github.com/pgbaseline/pgbaseline/arm"
)

// value reads a dotted property path of r (no indexes). It returns the
// value and whether it is present; a path that runs into a value not known
// before deployment gives that arm.Unknown (without its refinements when
// the unknown is an object above the property), never "absent".
func value(r *arm.Resource, path string) (any, bool) {
	var cur any = r.Object
	segs := strings.Split(path, ".")
	for _, seg := range segs {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := arm.Lookup(c, seg)
			if !ok {
				return nil, false
			}
			cur = next
		case arm.Unknown:
			return arm.Unknown{Reason: c.Reason}, true
		default:
			return nil, false
		}
	}
	return cur, true
}

func isUnknown(v any) bool { _, ok := v.(arm.Unknown); return ok }

// unknownReason is the reason of an arm.Unknown, "" for other values.
func unknownReason(v any) string {
	u, _ := v.(arm.Unknown)
	return u.Reason
}
