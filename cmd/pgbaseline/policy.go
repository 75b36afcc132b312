package main

import "github.com/spf13/cobra"

// newPolicyCmd is a placeholder until the command is implemented.
func newPolicyCmd() *cobra.Command {
	return &cobra.Command{Use: "policy", Short: "(not yet implemented)"}
}
