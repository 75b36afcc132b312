package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pgbaseline/pgbaseline/baseline"
)

func newRulesCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules [ID ...]",
		Short: "List the rules, or show rules in full",
		Long: `rules lists every rule: its control and feature, severity, kind (builtin,
custom, go, platform, unsupported, manual), whether it runs by default and, for
Azure Policy definitions, the version, default effect and deprecated/preview flags.

With rule IDs (e.g. AZP-5e1de0e3, PGB-NS2-01) or control IDs (all the control's
rules) it shows the rules in full, remediation included.`,
		Example: `  pgbaseline rules
  pgbaseline rules PGB-NS2-01
  pgbaseline rules DP-3 --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(baseline.RuleFormats, format) {
				return usageError("unknown format %q for rules (want %s)", format, strings.Join(baseline.RuleFormats, ", "))
			}
			cat, err := baseline.Load()
			if err != nil {
				return err
			}
			rules, err := cat.SelectRules(args)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			opt := baseline.Options{Format: format, Width: terminalWidth(), Detail: len(args) > 0}
			return cat.WriteRules(cmd.OutOrStdout(), rules, opt)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(baseline.RuleFormats, ", "))
	return cmd
}
