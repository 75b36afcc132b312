package main

import "github.com/spf13/cobra"

// newRulesCmd is a placeholder until the command is implemented.
func newRulesCmd() *cobra.Command {
	return &cobra.Command{Use: "rules", Short: "(not yet implemented)"}
}
