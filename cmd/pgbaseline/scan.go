package main

import "github.com/spf13/cobra"

// newScanCmd is a placeholder until the command is implemented.
func newScanCmd() *cobra.Command {
	return &cobra.Command{Use: "scan", Short: "(not yet implemented)"}
}
