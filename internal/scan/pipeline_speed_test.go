package scan

import (
	"strings"
	"testing"

	"github.com/pgbaseline/pgbaseline/arm"
)

func TestStatusAtMatchesStatusIndex(t *testing.T) {
	for s, want := range statusIndex {
		if got, ok := statusAt(s); !ok || got != want {
			t.Errorf("statusAt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	if _, ok := statusAt("Other"); ok {
		t.Error("statusAt of an unknown status")
	}
}

// keysOfID is foldHash of the id and of its serverPrefix.
func TestKeysOfIDMatchesHashNormal(t *testing.T) {
	for _, id := range []string{
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a/configurations/x",
		"/SUBSCRIPTIONS/s/resourceGroups/rg/providers/microsoft.dbforpostgresql/FLEXIBLESERVERS/A/firewallRules/f",
		"/subscriptions/s/providers/Microsoft.DBforPostgreSQL/flexibleServers/",
		"/subscriptions/s/providers/Microsoft.DBforPostgreSQL/flexibleServers/a/",
		"/subscriptions/s/providers/Microsoft.DBforPostgreSQL/flexibleServers/x/providers/Microsoft.DBforPostgreSQL/flexibleServers/y",
		"/providers/Microsoft.DBforPostgreSQL/flexibleServersX/a",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
		"/subscriptions/s/résumé", "", "x",
	} {
		want := entryKeys{}
		if h, ok := foldHash(id); ok {
			want = entryKeys{id: h, ok: true}
			if n := serverPrefix(id); n > 0 {
				want.server, _ = foldHash(id[:n])
			}
		}
		if got := keysOfID(id); got != want {
			t.Errorf("keysOfID(%q) = %+v, want %+v", id, got, want)
		}
	}
}

// serverPrefix is what keysOfID finds, as it was first written.
// serverPrefix returns the length of the id of the flexible server that id
// is, or lies under; 0 when none.
func serverPrefix(id string) int {
	for i := 0; i+len(serverSegment) < len(id); i++ {
		if id[i] == '/' && strings.EqualFold(id[i:i+len(serverSegment)], serverSegment) {
			end := i + len(serverSegment)
			if j := strings.IndexByte(id[end:], '/'); j >= 0 {
				return end + j
			}
			return len(id)
		}
	}
	return 0
}

// foldHash is keysOfID's hash of an id alone, written on its own: the
// arm.HashNormal of an ASCII id in lower case; ok is false
// for an id that is empty, ends in '/' or is not ASCII.
func foldHash(id string) (h uint64, ok bool) {
	if id == "" || id[len(id)-1] == '/' {
		return 0, false
	}
	var buf [256]byte
	b := buf[:0]
	if len(id) > len(buf) {
		b = make([]byte, 0, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 0x80 {
			return 0, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return arm.HashNormal(b), true
}
