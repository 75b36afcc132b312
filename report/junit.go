package report

import (
	"bufio"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// writeJUnit writes JUnit XML: one <testsuite> per control and one
// <testcase> per rule and resource (classname = control ID, name = rule ID
// and resource). NonCompliant results are <failure>s with the message and
// the remediation, Error results are <error>s, and NotApplicable, Unknown
// and Exempt results are <skipped>. Report errors (inputs that could not
// be read) become <error> test cases of a suite named "inputs". The XML is
// streamed; only the result indexes per control are held.
func writeJUnit(w *bufio.Writer, r *Report, o Options) error {
	views := buildView(r, o)
	var tests, failures, errs int
	for _, v := range views {
		tests += len(v.Results)
		for _, i := range v.Results {
			switch r.Results[i].Status {
			case NonCompliant:
				failures++
			case Error:
				errs++
			}
		}
	}
	tests += len(r.Errors)
	errs += len(r.Errors)
	stamp := ""
	if !r.StartedAt.IsZero() {
		stamp = r.StartedAt.UTC().Format(time.RFC3339)
	}
	w.WriteString(xml.Header)
	w.WriteString(`<testsuites name="` + attr(suitesName(r)) + `" tests="` + strconv.Itoa(tests) +
		`" failures="` + strconv.Itoa(failures) + `" errors="` + strconv.Itoa(errs) + `">` + "\n")
	if len(r.Errors) > 0 {
		n := strconv.Itoa(len(r.Errors))
		w.WriteString(`  <testsuite name="inputs" tests="` + n + `" failures="0" errors="` + n + `" skipped="0"`)
		if stamp != "" {
			w.WriteString(` timestamp="` + stamp + `"`)
		}
		w.WriteString(">\n")
		for _, e := range r.Errors {
			name := e.Target
			if e.File != "" {
				name = e.File
				if e.Line > 0 {
					name += ":" + strconv.Itoa(e.Line)
				}
			}
			w.WriteString(`    <testcase classname="inputs" name="` + attr(name) + `">` + "\n")
			w.WriteString(`      <error type="input" message="` + attr(e.Message) + `">` + text(e.Message) + "</error>\n")
			w.WriteString("    </testcase>\n")
		}
		w.WriteString("  </testsuite>\n")
	}
	for _, v := range views {
		var f, e, s int
		for _, i := range v.Results {
			switch r.Results[i].Status {
			case NonCompliant:
				f++
			case Error:
				e++
			case NotApplicable, Unknown, Exempt:
				s++
			}
		}
		name := v.ID
		if v.Title != "" {
			name += ": " + v.Title
		}
		w.WriteString(`  <testsuite name="` + attr(name) + `" tests="` + strconv.Itoa(len(v.Results)) +
			`" failures="` + strconv.Itoa(f) + `" errors="` + strconv.Itoa(e) + `" skipped="` + strconv.Itoa(s) + `"`)
		if stamp != "" {
			w.WriteString(` timestamp="` + stamp + `"`)
		}
		w.WriteString(">\n")
		w.WriteString("    <properties>\n")
		w.WriteString(`      <property name="domain" value="` + attr(v.Domain) + `"/>` + "\n")
		w.WriteString(`      <property name="status" value="` + attr(string(v.Status)) + `"/>` + "\n")
		w.WriteString("    </properties>\n")
		for _, i := range v.Results {
			if err := writeTestCase(w, v.ID, &r.Results[i], o); err != nil {
				return err
			}
		}
		w.WriteString("  </testsuite>\n")
	}
	_, err := w.WriteString("</testsuites>\n")
	return err
}

func suitesName(r *Report) string {
	parts := []string{"pgbaseline"}
	if r.Benchmark.ID != "" {
		parts = append(parts, r.Benchmark.ID+" "+r.Benchmark.Version)
	}
	if r.Benchmark.Baseline != "" {
		parts = append(parts, r.Benchmark.Baseline)
	}
	return strings.Join(parts, " - ")
}

func writeTestCase(w *bufio.Writer, control string, res *Result, o Options) error {
	name := res.RuleID + " " + resourceLabel(res)
	if res.ResourceName != "" && res.ResourceID != "" && res.ResourceID != res.ResourceName {
		name += " (" + res.ResourceID + ")"
	}
	w.WriteString(`    <testcase classname="` + attr(control) + `" name="` + attr(name) + `"`)
	switch res.Status {
	case NonCompliant:
		w.WriteString(">\n")
		w.WriteString(`      <failure type="` + attr(string(res.Severity)) + `" message="` + attr(CleanMessage(res.Message)) + `">`)
		w.WriteString(text(junitDetail(res, o)))
		w.WriteString("</failure>\n    </testcase>\n")
	case Error:
		w.WriteString(">\n")
		w.WriteString(`      <error type="Error" message="` + attr(res.Message) + `">`)
		w.WriteString(text(junitDetail(res, o)))
		w.WriteString("</error>\n    </testcase>\n")
	case NotApplicable, Unknown, Exempt:
		w.WriteString(">\n")
		w.WriteString(`      <skipped type="` + attr(string(res.Status)) + `" message="` + attr(string(res.Status)+": "+CleanMessage(res.Message)) + `"/>` + "\n")
		w.WriteString("    </testcase>\n")
	default:
		w.WriteString("/>\n")
	}
	return nil
}

// junitDetail is the body of a <failure> or <error>: what, where, the
// evidence and how to fix it.
func junitDetail(res *Result, o Options) string {
	var b strings.Builder
	b.WriteString(CleanMessage(res.Message))
	b.WriteString("\n\nRule: " + res.RuleID)
	if t := ruleTitle(res, o); t != "" {
		b.WriteString(" - " + t)
	}
	b.WriteString("\nSeverity: " + string(res.Severity))
	b.WriteString("\nResource: " + res.ResourceID)
	if res.ResourceType != "" {
		b.WriteString(" (" + res.ResourceType + ")")
	}
	if l := locationLabel(res.Location); l != "" {
		b.WriteString("\nLocation: " + l)
	}
	if ev := NamedEvidence(res.Evidence); len(ev) > 0 {
		if ev, err := jsonMarshalNoEscape(ev); err == nil {
			b.WriteString("\nEvidence: " + ev)
		}
	}
	if m := remediationFor(res, o); m != nil {
		b.WriteString("\n\nRemediation:")
		if m.Summary != "" {
			b.WriteString(" " + m.Summary)
		}
		for _, s := range remediationSnippets(m) {
			b.WriteString("\n\n" + s.Label + ":\n" + s.Code)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// attr escapes s for an XML attribute value.
func attr(s string) string { return xmlEscape(s, true) }

// text escapes s for XML character data.
func text(s string) string { return xmlEscape(s, false) }

// xmlEscape escapes markup characters; characters XML 1.0 cannot hold
// become U+FFFD. In attributes, quotes and line breaks become references.
func xmlEscape(s string, inAttr bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '&':
			b.WriteString("&amp;")
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case inAttr && c == '"':
			b.WriteString("&quot;")
		case inAttr && c == '\'':
			b.WriteString("&apos;")
		case inAttr && c == '\n':
			b.WriteString("&#xA;")
		case inAttr && c == '\r':
			b.WriteString("&#xD;")
		case inAttr && c == '\t':
			b.WriteString("&#x9;")
		case c == '\n' || c == '\r' || c == '\t':
			b.WriteRune(c)
		case c < 0x20, c == 0xFFFE, c == 0xFFFF, c >= 0xD800 && c <= 0xDFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
