package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"
)

// htmlData is the HTML report's findings as compact data, embedded in the
// page as JSON (<script type="application/json">) and rendered by the
// page's script a page at a time, so that a fleet's report stays small
// and opens at once. Every string is stored once, in S, and named by its
// index elsewhere (-1 for none).
//
//   - N is the tree of resource IDs, split at "/": pairs (parent node or
//     -1, segment string); a node's ID is its parent's, "/" and its segment.
//   - R is the resources, 5 numbers each: ID node, name (-1: the ID's last
//     segment), type, file, and the line their results' lines count from.
//   - E is the evidence lists, (field, value) string pairs; M is the
//     remediations (summary, Azure CLI, Terraform, Bicep, SQL), as written:
//     the script fills their placeholders from each result's resource ID
//     as RemediationForResource does.
//   - G is the groups of results that differ only in their resource:
//     rule, control, title, severity, status, message, effect, policy,
//     evidence (index in E or -1), remediation (index in M or -1), file,
//     start line (from the resource's line; null for none), end line
//     (from the start; 0 for the start's), what would decide an Unknown
//     or Error (WhatDecides's hint, or -1),
//     then the resources as a list of numbers: each positive n steps n
//     resources on from the last (the first from -1), each negative -k
//     adds the k resources after the last.
type htmlData struct {
	S []string `json:"s"`
	N []int    `json:"n"`
	R []int    `json:"r"`
	E [][]int  `json:"e"`
	M [][]int  `json:"m"`
	G [][]any  `json:"g"`
}

// The fields of a group in htmlData.G, before its resource list.
const htmlGroupFields = 14

type htmlDataBuilder struct {
	d     htmlData
	strs  map[string]int
	nodes map[[2]int]int
	ev    map[string]int
	rem   map[[5]int]int
}

func (b *htmlDataBuilder) str(s string) int {
	if i, ok := b.strs[s]; ok {
		return i
	}
	i := len(b.d.S)
	b.d.S = append(b.d.S, s)
	b.strs[s] = i
	return i
}

func (b *htmlDataBuilder) optStr(s string) int {
	if s == "" {
		return -1
	}
	return b.str(s)
}

// node returns the tree node of an ID.
func (b *htmlDataBuilder) node(id string) int {
	parent := -1
	// An ID starting with "/" begins with an empty segment.
	for _, seg := range strings.Split(id, "/") {
		k := [2]int{parent, b.str(seg)}
		n, ok := b.nodes[k]
		if !ok {
			n = len(b.d.N) / 2
			b.d.N = append(b.d.N, k[0], k[1])
			b.nodes[k] = n
		}
		parent = n
	}
	return parent
}

func (b *htmlDataBuilder) evidence(ev map[string]any) int {
	rows := evidenceRows(ev)
	if len(rows) == 0 {
		return -1
	}
	var key strings.Builder
	for _, r := range rows {
		key.WriteString(r.Key + "\x00" + r.Value + "\x00")
	}
	if i, ok := b.ev[key.String()]; ok {
		return i
	}
	list := make([]int, 0, 2*len(rows))
	for _, r := range rows {
		list = append(list, b.str(r.Key), b.str(r.Value))
	}
	i := len(b.d.E)
	b.d.E = append(b.d.E, list)
	b.ev[key.String()] = i
	return i
}

func (b *htmlDataBuilder) remediation(m *Remediation) int {
	if m == nil {
		return -1
	}
	k := [5]int{b.optStr(m.Summary), b.optStr(m.AzureCLI), b.optStr(m.Terraform), b.optStr(m.Bicep), b.optStr(m.SQL)}
	if i, ok := b.rem[k]; ok {
		return i
	}
	i := len(b.d.M)
	b.d.M = append(b.d.M, k[:])
	b.rem[k] = i
	return i
}

// buildHTMLData gathers the results of the views, in the views' order of
// controls, into htmlData.
func buildHTMLData(r *Report, views []*controlView, o Options) *htmlData {
	b := &htmlDataBuilder{strs: map[string]int{}, nodes: map[[2]int]int{}, ev: map[string]int{}, rem: map[[5]int]int{}}
	// The resources, numbered in the order of their labels, so that a
	// group's resources are mostly runs.
	type resKey struct{ id, name string }
	resIdx := map[resKey]int{}
	var resList []*Result
	for i := range r.Results {
		res := &r.Results[i]
		k := resKey{res.ResourceID, res.ResourceName}
		if _, ok := resIdx[k]; !ok {
			resIdx[k] = len(resList)
			resList = append(resList, res)
		}
	}
	order := make([]int, len(resList))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Compare(resourceLabel(resList[x]), resourceLabel(resList[y]))
	})
	base := make([]int, len(resList)) // each resource's first line
	for pos, i := range order {
		res := resList[i]
		resIdx[resKey{res.ResourceID, res.ResourceName}] = pos
		// The name is left out when it is the ID's last segment.
		name := -1
		if res.ResourceName != "" && (strings.Contains(res.ResourceName, "/") || res.ResourceID == "" ||
			!strings.HasSuffix(res.ResourceID, "/"+res.ResourceName) && res.ResourceID != res.ResourceName) {
			name = b.str(res.ResourceName)
		}
		file, line := -1, 0
		if l := res.Location; l != nil && l.File != "" {
			file, line = b.str(l.File), l.StartLine
		}
		base[pos] = line
		b.d.R = append(b.d.R, b.node(res.ResourceID), name, b.optStr(res.ResourceType), file, line)
	}
	type group struct {
		head  []any
		rank  [3]int
		rule  string
		items []int
	}
	groups := map[string]*group{}
	var list []*group
	var key []byte
	for _, v := range views {
		for _, i := range v.Results {
			res := &r.Results[i]
			ri := resIdx[resKey{res.ResourceID, res.ResourceName}]
			file, start, end := -1, any(nil), 0
			if l := res.Location; l != nil && l.File != "" {
				file = b.str(l.File)
				if l.StartLine > 0 {
					start = l.StartLine - base[ri]
					if l.EndLine > l.StartLine {
						end = l.EndLine - l.StartLine
					}
				}
			}
			rem := -1
			if res.Status == NonCompliant || res.Status == Error || res.Status == Unknown {
				rem = b.remediation(ruleRemediation(res, o))
			}
			head := []any{b.str(res.RuleID), b.str(v.ID), b.optStr(ruleTitle(res, o)), b.optStr(string(res.Severity)),
				b.str(string(res.Status)), b.optStr(CleanMessage(res.Message)), b.optStr(res.Effect),
				b.optStr(res.PolicyDefinitionID), b.evidence(res.Evidence), rem, file, start, end}
			key = key[:0]
			for _, h := range head {
				n, ok := h.(int)
				if !ok {
					n = -1 << 40 // no line
				}
				key = appendInt(key, n)
			}
			g := groups[string(key)]
			if g == nil {
				// What decides the result follows from what the key
				// holds (rule, status, effect, message, evidence).
				head = append(head, b.optStr(WhatDecides(res).Hint))
				g = &group{head: head, rank: [3]int{-statusRank(res.Status), -res.Severity.Rank(), 0}, rule: res.RuleID}
				groups[string(key)] = g
				list = append(list, g)
			}
			g.items = append(g.items, ri)
		}
	}
	// Failures first, then by severity, rule and resource, as the other
	// formats order results.
	slices.SortStableFunc(list, func(x, y *group) int {
		if c := slices.Compare(x.rank[:], y.rank[:]); c != 0 {
			return c
		}
		return cmp.Compare(x.rule, y.rule)
	})
	for _, g := range list {
		slices.Sort(g.items)
		g.items = slices.Compact(g.items)
		row := append(g.head, nil)
		row[htmlGroupFields] = runs(g.items)
		b.d.G = append(b.d.G, row)
	}
	return &b.d
}

// runs encodes ascending numbers as htmlData.G's resource lists do.
func runs(items []int) []int {
	var out []int
	last := -1
	for i := 0; i < len(items); {
		out = append(out, items[i]-last)
		last = items[i]
		i++
		k := 0
		for i < len(items) && items[i] == last+1 {
			last++
			i++
			k++
		}
		if k == 1 {
			out = append(out, 1)
		} else if k > 1 {
			out = append(out, -k)
		}
	}
	return out
}

func appendInt(b []byte, n int) []byte {
	b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24), byte(n>>32), byte(n>>40), byte(n>>48))
	return b
}

// htmlDataJSON encodes the data for a <script type="application/json">
// element: <, > and & are escaped, so the element cannot be closed early.
func htmlDataJSON(d *htmlData) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(d); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}
