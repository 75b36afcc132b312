package terraform

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/source"
)

// suppressionRE matches "# pgbaseline:ignore RULE [reason] [expires=DATE]"
// (also with // as the comment marker).
var suppressionRE = regexp.MustCompile(`^\s*(?:#|//)\s*pgbaseline:ignore\s+(\S+)(.*)$`)

var expiresRE = regexp.MustCompile(`\s*\bexpires=(\S*)`)

// suppressionsFor reads the inline suppressions of a block: those on the
// comment lines directly above it and those on comment lines inside it.
func suppressionsFor(f *tfFile, b *hclsyntax.Block) ([]arm.Suppression, []*source.Error) {
	start := b.DefRange().Start.Line // 1-based
	end := b.Body.SrcRange.End.Line
	var lines []int
	for l := start - 1; l >= 1 && l <= len(f.lines); l-- {
		t := strings.TrimSpace(f.lines[l-1])
		if !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "//") {
			break
		}
		lines = append(lines, l)
	}
	for l := start; l <= end && l <= len(f.lines); l++ {
		if strings.Contains(f.lines[l-1], "pgbaseline:ignore") {
			lines = append(lines, l)
		}
	}
	sort.Ints(lines)
	var out []arm.Suppression
	var errs []*source.Error
	for _, l := range lines {
		s, ok, err := parseSuppression(f.lines[l-1])
		if err != nil {
			errs = append(errs, &source.Error{File: f.name, Line: l, Msg: err.Error()})
			continue
		}
		if ok {
			s.Origin = arm.Origin{File: f.name, Line: l}
			out = append(out, s)
		}
	}
	return out, errs
}

// parseSuppression parses one comment line; ok is false when the line is
// no suppression.
func parseSuppression(line string) (arm.Suppression, bool, error) {
	// A suppression may follow code on the same line: "x = 1 # pgbaseline:ignore ...".
	if i := strings.Index(line, "pgbaseline:ignore"); i >= 0 {
		j := strings.LastIndexAny(line[:i], "#/")
		if j < 0 {
			return arm.Suppression{}, false, nil
		}
		k := j
		if line[j] == '/' && j > 0 && line[j-1] == '/' {
			k = j - 1
		}
		line = line[k:]
	}
	m := suppressionRE.FindStringSubmatch(line)
	if m == nil {
		return arm.Suppression{}, false, nil
	}
	s := arm.Suppression{RuleID: m[1]}
	rest := m[2]
	if em := expiresRE.FindStringSubmatch(rest); em != nil {
		t, err := time.Parse("2006-01-02", em[1])
		if err != nil {
			return s, false, fmt.Errorf("inline suppression of %s: expires=%q is not a date in the form YYYY-MM-DD", s.RuleID, em[1])
		}
		s.Expires = t
		rest = expiresRE.ReplaceAllString(rest, "")
	}
	s.Reason = strings.TrimSpace(rest)
	return s, true, nil
}
