package baseline

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Formats lists the formats of the controls listing.
var Formats = []string{"table", "json", "csv", "markdown"}

// RuleFormats lists the formats of the rules listing.
var RuleFormats = []string{"table", "json", "markdown"}

// Options controls rendering.
type Options struct {
	// Format is table, json, csv or markdown (rules: table or json).
	Format string
	// Width is the terminal width the table is fitted to; 0 means unlimited.
	Width int
	// Detail prints every attribute in table format (used when the user
	// names controls or rules).
	Detail bool
}

// UnknownIDError reports ids that name no control or rule.
type UnknownIDError struct {
	What string // "control" or "rule"
	IDs  []string
}

func (e *UnknownIDError) Error() string {
	return fmt.Sprintf("unknown %s %s", e.What, strings.Join(quoteAll(e.IDs), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// SelectControls returns the controls with the ids (case-insensitive), in
// the order given, or every control when ids is empty. Unknown ids give an
// *UnknownIDError listing them all.
func (c *Catalog) SelectControls(ids []string) ([]*Control, error) {
	if len(ids) == 0 {
		return c.Controls, nil
	}
	var out []*Control
	var unknown []string
	for _, id := range ids {
		if ctl := c.Control(id); ctl != nil {
			out = append(out, ctl)
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, &UnknownIDError{What: "control", IDs: unknown}
	}
	return out, nil
}

// SelectRules returns the rules with the ids (case-insensitive), or every
// rule when ids is empty. An id that names a control selects the control's
// rules. Unknown ids give an *UnknownIDError.
func (c *Catalog) SelectRules(ids []string) ([]*Rule, error) {
	if len(ids) == 0 {
		return c.Rules, nil
	}
	var out []*Rule
	var unknown []string
	for _, id := range ids {
		if r := c.Rule(id); r != nil {
			out = append(out, r)
		} else if ctl := c.Control(id); ctl != nil {
			for _, f := range ctl.Features {
				out = append(out, c.RulesFor(f)...)
			}
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, &UnknownIDError{What: "rule", IDs: unknown}
	}
	return out, nil
}

// controlsDoc is the `controls --format json` document.
type controlsDoc struct {
	Benchmark       Benchmark          `json:"benchmark"`
	SecurityProfile []ProfileAttribute `json:"securityProfile,omitempty"`
	Controls        []*Control         `json:"controls"`
}

// WriteControls renders controls in opt.Format.
func (c *Catalog) WriteControls(w io.Writer, controls []*Control, opt Options) error {
	switch opt.Format {
	case "", "table":
		if opt.Detail {
			return c.controlsDetail(w, controls, opt.Width)
		}
		return c.controlsTable(w, controls, opt.Width)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(controlsDoc{Benchmark: c.Benchmark, SecurityProfile: c.SecurityProfile, Controls: controls})
	case "csv":
		return controlsCSV(w, controls)
	case "markdown":
		return c.controlsMarkdown(w, controls)
	}
	return fmt.Errorf("unknown format %q (want %s)", opt.Format, strings.Join(Formats, ", "))
}

// Yes/no words as the seed prints them.
func seedBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func seedDefault(b *bool) string {
	if b == nil {
		return "Not Applicable"
	}
	return seedBool(*b)
}

func policyIDs(ps []PolicyRef) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// CSVHeader is the header row of the mapping file (`controls --format csv`).
var CSVHeader = []string{"Control ID", "Control Title", "Domain", "Feature", "Supported", "Enabled By Default",
	"Responsibility", "Guidance", "Notes", "Reference", "Rules", "Policies"}

func controlsCSV(w io.Writer, controls []*Control) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, ctl := range controls {
		for _, f := range ctl.Features {
			row := []string{ctl.ID, ctl.Title, ctl.Domain, f.Name, seedBool(f.Supported), seedDefault(f.EnabledByDefault),
				f.Responsibility, f.Guidance, f.Notes, f.Reference, strings.Join(f.Rules, ";"), strings.Join(policyIDs(f.Policies), ";")}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// controlsTable lists the features under their controls: a line with the
// control's ID and title, then a row per feature. Cells that do not fit
// the width wrap; nothing is cut.
func (c *Catalog) controlsTable(w io.Writer, controls []*Control, width int) error {
	g := grid{heads: []string{"FEATURE", "SUPPORTED", "DEFAULT", "RESPONSIBILITY", "RULES"}, flex: []int{0}, indent: "  "}
	for _, ctl := range controls {
		g.group(ctl.ID + "  " + ctl.Title)
		for _, f := range ctl.Features {
			g.row(f.Name, seedBool(f.Supported), seedDefault(f.EnabledByDefault), f.Responsibility, fmt.Sprint(len(f.Rules)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%s: %s\n\n", c.Benchmark.ID, c.Benchmark.Version, c.Benchmark.Baseline)
	g.write(&b, width)
	_, err := io.WriteString(w, b.String())
	return err
}

// wrap breaks s into lines of at most width runes (0: no wrapping), each
// prefixed by indent.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	for pi, para := range strings.Split(s, "\n") {
		if pi > 0 {
			b.WriteString("\n")
		}
		words := strings.Fields(para)
		if len(words) == 0 {
			continue
		}
		line := indent
		for _, word := range words {
			if line != indent && width > 0 && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
				b.WriteString(line + "\n")
				line = indent
			}
			if line != indent {
				line += " "
			}
			line += word
		}
		b.WriteString(line)
	}
	return b.String()
}

func (c *Catalog) controlsDetail(w io.Writer, controls []*Control, width int) error {
	var b strings.Builder
	for ci, ctl := range controls {
		if ci > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: %s\nDomain: %s\n", ctl.ID, ctl.Title, ctl.Domain)
		for _, f := range ctl.Features {
			fmt.Fprintf(&b, "\n  Feature: %s\n", f.Name)
			field := func(name, value string) {
				if value == "" {
					return
				}
				fmt.Fprintf(&b, "    %s:\n%s\n", name, wrap(value, width, "      "))
			}
			field("Description", f.Description)
			fmt.Fprintf(&b, "    Supported: %s   Enabled by default: %s   Responsibility: %s\n",
				seedBool(f.Supported), seedDefault(f.EnabledByDefault), f.Responsibility)
			field("Configuration guidance", f.Guidance)
			field("Feature notes", f.Notes)
			field("Reference", f.Reference)
			for _, u := range f.Updates {
				field("Update "+u.Date, u.Note)
			}
			if len(f.Policies) > 0 {
				b.WriteString("    Azure Policy definitions (seed):\n")
				for _, p := range f.Policies {
					fmt.Fprintf(&b, "      %s\n        %s\n        effects: %s   version: %s\n",
						p.DisplayName, p.ID, strings.Join(p.Effects, ", "), p.Version)
				}
			}
			b.WriteString("    Rules:\n")
			rules := c.RulesFor(f)
			idw := 13
			for _, r := range rules {
				idw = max(idw, runeLen(r.ID))
			}
			for _, r := range rules {
				b.WriteString(hang(fmt.Sprintf("      %-*s %-8s %-11s ", idw, r.ID, r.Severity, r.Kind), r.Title, width) + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

func (c *Catalog) controlsMarkdown(w io.Writer, controls []*Control) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s v%s: %s\n", c.Benchmark.ID, c.Benchmark.Version, c.Benchmark.Baseline)
	if len(c.SecurityProfile) > 0 && len(controls) == len(c.Controls) {
		b.WriteString("\n## Security profile\n\n| Service Behavior Attribute | Value |\n|---|---|\n")
		for _, a := range c.SecurityProfile {
			fmt.Fprintf(&b, "| %s | %s |\n", mdEscape(a.Attribute), mdEscape(a.Value))
		}
	}
	domain := ""
	for _, ctl := range controls {
		if ctl.Domain != domain {
			domain = ctl.Domain
			fmt.Fprintf(&b, "\n## %s\n", domain)
		}
		fmt.Fprintf(&b, "\n### %s: %s\n", ctl.ID, ctl.Title)
		for _, f := range ctl.Features {
			fmt.Fprintf(&b, "\n#### %s\n\n%s\n\n", f.Name, f.Description)
			b.WriteString("| Supported | Enabled By Default | Configuration Responsibility |\n|---|---|---|\n")
			fmt.Fprintf(&b, "| %s | %s | %s |\n\n", seedBool(f.Supported), seedDefault(f.EnabledByDefault), f.Responsibility)
			if f.Notes != "" {
				fmt.Fprintf(&b, "**Feature notes:** %s\n\n", strings.ReplaceAll(f.Notes, "\n\n", " "))
			}
			fmt.Fprintf(&b, "**Configuration Guidance:** %s\n\n", f.Guidance)
			if f.Reference != "" {
				fmt.Fprintf(&b, "**Reference:** %s\n\n", f.Reference)
			}
			for _, u := range f.Updates {
				fmt.Fprintf(&b, "> **Update %s:** %s\n\n", u.Date, u.Note)
			}
			if len(f.Policies) > 0 {
				b.WriteString("Azure Policy built-in definitions listed by the baseline:\n\n| Name | Effect(s) | Version |\n|---|---|---|\n")
				for _, p := range f.Policies {
					fmt.Fprintf(&b, "| %s (`%s`) | %s | %s |\n", mdEscape(p.DisplayName), strings.TrimPrefix(p.ID, PolicyDefinitionPrefix),
						strings.Join(p.Effects, ", "), p.Version)
				}
				b.WriteString("\n")
			}
			b.WriteString("Rules:\n\n| Rule | Severity | Kind | Title |\n|---|---|---|---|\n")
			for _, r := range c.RulesFor(f) {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.ID, r.Severity, r.Kind, mdEscape(r.Title))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
