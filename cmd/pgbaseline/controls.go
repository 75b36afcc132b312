package main

import "github.com/spf13/cobra"

// newControlsCmd is a placeholder until the command is implemented.
func newControlsCmd() *cobra.Command {
	return &cobra.Command{Use: "controls", Short: "(not yet implemented)"}
}
