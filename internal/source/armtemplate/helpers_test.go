package armtemplate

import (
	"testing"

	"github.com/pgbaseline/pgbaseline/jsonpos"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	doc, _, err := jsonpos.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
