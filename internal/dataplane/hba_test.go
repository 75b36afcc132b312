package dataplane

import (
	"reflect"
	"strings"
	"testing"
)

func rule(line int, typ, db, user, addr, mask, method string) hbaRule {
	return hbaRule{Line: line, Type: typ, Databases: strings.Split(db, ","), Users: strings.Split(user, ","), Address: addr, Netmask: mask, Method: method}
}

func TestReachable(t *testing.T) {
	nonTLS := func(r hbaReach) bool { return r.Classes&classPlain != 0 && r.Rule.Method != "reject" }
	md5 := func(r hbaReach) bool { return r.Rule.Method == "md5" }
	for _, tc := range []struct {
		name  string
		rules []hbaRule
		bad   func(hbaReach) bool
		want  []int // lines reported
	}{
		{"host md5 behind hostnossl reject is TLS-only",
			[]hbaRule{rule(1, "hostnossl", "all", "all", "0.0.0.0", "0.0.0.0", "reject"), rule(2, "host", "all", "all", "10.0.0.0", "255.0.0.0", "md5")},
			nonTLS, nil},
		{"same md5 line is still reachable over TLS",
			[]hbaRule{rule(1, "hostnossl", "all", "all", "0.0.0.0", "0.0.0.0", "reject"), rule(2, "host", "all", "all", "10.0.0.0", "255.0.0.0", "md5")},
			md5, []int{2}},
		{"narrower reject does not shadow a wider rule",
			[]hbaRule{rule(1, "hostnossl", "all", "all", "10.0.0.0", "255.0.0.0", "reject"), rule(2, "host", "all", "all", "0.0.0.0", "0.0.0.0", "scram-sha-256")},
			nonTLS, []int{2}},
		{"earlier rule for one database does not shadow all",
			[]hbaRule{rule(1, "host", "app", "all", "all", "", "scram-sha-256"), rule(2, "host", "all", "all", "all", "", "md5")},
			md5, []int{2}},
		{"fully shadowed md5 rule is ignored",
			[]hbaRule{rule(1, "host", "all", "all", "all", "", "scram-sha-256"), rule(2, "host", "app", "bob", "10.1.0.0", "255.255.0.0", "md5")},
			md5, nil},
		{"all does not cover replication",
			[]hbaRule{rule(1, "host", "all", "all", "all", "", "scram-sha-256"), rule(2, "host", "replication", "all", "all", "", "md5")},
			md5, []int{2}},
		{"hostssl does not shadow host for plaintext",
			[]hbaRule{rule(1, "hostssl", "all", "all", "all", "", "scram-sha-256"), rule(2, "host", "all", "all", "all", "", "scram-sha-256")},
			nonTLS, []int{2}},
		{"local rules never accept TCP",
			[]hbaRule{rule(1, "local", "all", "all", "", "", "trust")},
			nonTLS, nil},
		{"ipv6 any",
			[]hbaRule{rule(1, "hostnossl", "all", "all", "::", "::", "reject"), rule(2, "host", "all", "all", "2001:db8::", "ffff:ffff::", "scram-sha-256")},
			nonTLS, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, r := range reachable(tc.rules) {
				if r.Classes != 0 && tc.bad(r) {
					got = append(got, r.Rule.Line)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("reported lines %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHBARuleString(t *testing.T) {
	got := rule(7, "host", "all", "all", "0.0.0.0", "0.0.0.0", "md5").String()
	if got != "line 7: host all all 0.0.0.0/0 md5" {
		t.Errorf("String() = %q", got)
	}
}
