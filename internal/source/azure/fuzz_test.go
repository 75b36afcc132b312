package azure

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// FuzzReadSnapshot feeds arbitrary JSON to the snapshot reader: it must
// read it, refuse it as not a snapshot, or report errors; never panic.
func FuzzReadSnapshot(f *testing.F) {
	f.Add([]byte(`{"pgbaseline": {"kind": "` + SnapshotKind + `", "version": 1, "subscriptions": []}, "value": []}`))
	f.Add([]byte(`{"pgbaseline": {"kind": "` + SnapshotKind + `", "version": 1, "subscriptions": [{"findings": [{"resourceId": "/subscriptions/x"}]}]}, "value": [{"id": 1}]}`))
	f.Add([]byte(`{"pgbaseline": {"kind": "` + SnapshotKind + `", "version": "1"}}`))
	f.Add([]byte(`{"pgbaseline": {"kind": "` + SnapshotKind + `", "version": 2}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, idx, err := jsonpos.Decode(data)
		if err != nil {
			return
		}
		in, ok := ReadSnapshot("fuzz.json", data, doc, idx)
		if ok && in == nil {
			t.Fatal("accepted without an input")
		}
	})
}
