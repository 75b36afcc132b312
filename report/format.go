package report

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pgbaseline/pgbaseline/verdict"
)

// Format names an output format of the report.
type Format string

// The output formats.
const (
	FormatTable    Format = "table"
	FormatJSON     Format = "json"
	FormatSARIF    Format = "sarif"
	FormatJUnit    Format = "junit"
	FormatCSV      Format = "csv"
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
)

// Formats lists every output format, the default first.
var Formats = []Format{FormatTable, FormatJSON, FormatSARIF, FormatJUnit, FormatCSV, FormatMarkdown, FormatHTML}

// formatAliases maps the other accepted spellings to a format.
var formatAliases = map[string]Format{
	"text": FormatTable, "txt": FormatTable,
	"sarif-json": FormatSARIF,
	"xml":        FormatJUnit, "junit-xml": FormatJUnit,
	"md":  FormatMarkdown,
	"htm": FormatHTML,
}

// FormatFromName returns the format a --format value names: one of Formats,
// case-insensitive, or an alias (text, txt, md, xml, htm).
func FormatFromName(name string) (Format, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, f := range Formats {
		if string(f) == n {
			return f, nil
		}
	}
	if f, ok := formatAliases[n]; ok {
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use one of %s", name, formatList())
}

func formatList() string {
	s := make([]string, len(Formats))
	for i, f := range Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// FormatFromPath infers the format from an --output file name's extension:
// .json, .sarif or .sarif.json, .xml (JUnit), .csv, .md or .markdown,
// .html or .htm, and .txt (table). Any other extension is an error.
func FormatFromPath(path string) (Format, error) {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, ".sarif.json"), strings.HasSuffix(base, ".sarif"):
		return FormatSARIF, nil
	case strings.HasSuffix(base, ".json"):
		return FormatJSON, nil
	case strings.HasSuffix(base, ".xml"):
		return FormatJUnit, nil
	case strings.HasSuffix(base, ".csv"):
		return FormatCSV, nil
	case strings.HasSuffix(base, ".md"), strings.HasSuffix(base, ".markdown"):
		return FormatMarkdown, nil
	case strings.HasSuffix(base, ".html"), strings.HasSuffix(base, ".htm"):
		return FormatHTML, nil
	case strings.HasSuffix(base, ".txt"):
		return FormatTable, nil
	}
	return "", fmt.Errorf("%s: cannot tell the report format from the file name (use .json, .sarif, .xml, .csv, .md, .html or .txt, or --format)", path)
}

// RuleInfo is what the report writers know about a rule beyond its
// results: the caller fills it from the baseline catalog.
type RuleInfo = verdict.Rule

// Options tunes the writers.
type Options struct {
	// Rules describes the rules by ID. Results of rules missing here are
	// described from the results themselves.
	Rules map[string]RuleInfo
	// Color turns on ANSI colours in the table. The caller decides
	// (terminal, NO_COLOR, --no-color).
	Color bool
	// Width is the table's width in columns; 0 means 100.
	Width int
	// ToolVersion is the program's version for SARIF's tool.driver.version;
	// when empty the report's tool.version is used.
	ToolVersion string
	// MarkdownLimit caps the Markdown report's size in bytes; 0 means
	// 65,536, the longest comment GitHub accepts.
	MarkdownLimit int
	// TopFindings is how many findings the Markdown report lists in its
	// "Top findings" table; 0 means 10.
	TopFindings int
	// Full lists every failing resource in the table; otherwise a failing
	// rule's resources are folded past FoldAfter with a count (scan --full).
	Full bool
	// FoldAfter is how many resources of a failing rule the table lists
	// before folding the rest; 0 means 10.
	FoldAfter int
}

// Write renders r in format f to w. The JSON, SARIF, JUnit and CSV writers
// stream the results one by one.
func Write(w io.Writer, r *Report, f Format, o Options) error {
	if r == nil {
		return fmt.Errorf("report: no report to write")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch f {
	case FormatJSON:
		err = writeJSON(bw, r)
	case FormatTable, "":
		err = writeTable(bw, r, o)
	case FormatSARIF:
		err = writeSARIF(bw, r, o)
	case FormatJUnit:
		err = writeJUnit(bw, r, o)
	case FormatCSV:
		err = writeCSV(bw, r, o)
	case FormatMarkdown:
		err = writeMarkdown(bw, r, o)
	case FormatHTML:
		err = writeHTML(bw, r, o)
	default:
		return fmt.Errorf("report: unknown format %q: use one of %s", f, formatList())
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}
