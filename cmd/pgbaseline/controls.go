package main

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pgbaseline/pgbaseline/baseline"
)

func newControlsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "controls [ID ...]",
		Short: "List the baseline's controls and features, or show controls in full",
		Long: `controls lists the MCSB v1.0 baseline's controls and features with the seed's
attributes (supported, enabled by default, responsibility), the rules that assess
each feature and the Azure Policy definitions the baseline lists.

With control IDs (e.g. DP-3) it shows those controls in full. --format csv prints
the mapping file: one row per feature.`,
		Example: `  pgbaseline controls
  pgbaseline controls DP-3
  pgbaseline controls --format json
  pgbaseline controls --format csv > mapping.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(baseline.Formats, format) {
				return usageError("unknown format %q for controls (want %s)", format, strings.Join(baseline.Formats, ", "))
			}
			cat, err := baseline.Load()
			if err != nil {
				return err
			}
			controls, err := cat.SelectControls(args)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			opt := baseline.Options{Format: format, Width: terminalWidth(), Detail: len(args) > 0}
			return cat.WriteControls(cmd.OutOrStdout(), controls, opt)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(baseline.Formats, ", "))
	return cmd
}

// pipedWidth is the width of tables written to a pipe or a file.
const pipedWidth = 120

// terminalWidth is the width tables are fitted to: $COLUMNS, else the width
// of the terminal on stdout, else 120 (a pipe or a file: the table stays
// readable in a pager, a CI log or an editor).
func terminalWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	fd := int(os.Stdout.Fd())
	if term.IsTerminal(fd) {
		if w, _, err := term.GetSize(fd); err == nil && w > 0 {
			return w
		}
	}
	return pipedWidth
}
