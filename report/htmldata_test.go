package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// TestHTMLDataRoundTrip decodes the HTML report's data as the page's
// script does and checks that every result comes back: rule, control,
// status, resource ID and name, message and file:line.
func TestHTMLDataRoundTrip(t *testing.T) {
	fleet, fleetOpts := fleetReport(60)
	for name, c := range map[string]struct {
		r *Report
		o Options
	}{"fixture": {fixtureReport(), fixtureOptions()}, "big": {bigReport(500), fixtureOptions()}, "fleet": {fleet, fleetOpts}} {
		t.Run(name, func(t *testing.T) {
			views := buildView(c.r, c.o)
			enc, err := htmlDataJSON(buildHTMLData(c.r, views, c.o))
			if err != nil {
				t.Fatal(err)
			}
			var d htmlData
			if err := json.Unmarshal([]byte(enc), &d); err != nil {
				t.Fatal(err)
			}
			str := func(v any) string {
				i := int(v.(float64))
				if i < 0 {
					return ""
				}
				return d.S[i]
			}
			var idOf func(n int) string
			idOf = func(n int) string {
				if n < 0 {
					return ""
				}
				p, s := d.N[2*n], d.S[d.N[2*n+1]]
				if p < 0 {
					return s
				}
				return idOf(p) + "/" + s
			}
			var got []string
			for _, g := range d.G {
				last := -1
				var list []int
				for _, x := range g[htmlGroupFields].([]any) {
					n := int(x.(float64))
					if n > 0 {
						last += n
						list = append(list, last)
						continue
					}
					for k := 0; k < -n; k++ {
						last++
						list = append(list, last)
					}
				}
				for _, r := range list {
					id := idOf(d.R[5*r])
					nm := ""
					if k := d.R[5*r+1]; k >= 0 {
						nm = d.S[k]
					} else if n := d.R[5*r]; n >= 0 {
						nm = d.S[d.N[2*n+1]]
					}
					loc := ""
					if f := str(g[10]); f != "" {
						loc = f
						if g[11] != nil {
							start := d.R[5*r+4] + int(g[11].(float64))
							loc += ":" + strconv.Itoa(start)
							if e := int(g[12].(float64)); e > 0 {
								loc += "-" + strconv.Itoa(start+e)
							}
						}
					}
					got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", str(g[0]), str(g[1]), str(g[4]), id, nm, str(g[5]), loc))
				}
			}
			var want []string
			for _, v := range views {
				for _, i := range v.Results {
					res := &c.r.Results[i]
					nm := res.ResourceName
					if nm == "" {
						nm = lastSegment(res.ResourceID)
					}
					want = append(want, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", res.RuleID, v.ID, res.Status, res.ResourceID, nm,
						CleanMessage(res.Message), locationLabel(res.Location)))
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("%d results decoded, %d in the report; first difference:\n got %s\nwant %s", len(got), len(want), got[i], want[i])
					}
				}
				t.Fatalf("%d results decoded, %d in the report", len(got), len(want))
			}
		})
	}
}

func lastSegment(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}

func TestRuns(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want []int
	}{
		{[]int{0, 1, 2, 3}, []int{1, -3}},
		{[]int{5}, []int{6}},
		{[]int{2, 3, 7, 9, 10, 11}, []int{3, 1, 4, 2, -2}},
		{nil, nil},
	} {
		if got := runs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("runs(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
