package main

import (
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "pgbaseline",
		Short: "Assess Azure Database for PostgreSQL flexible servers against the MCSB security baseline",
		Long: `pgbaseline assesses Azure Database for PostgreSQL flexible servers against the
Microsoft cloud security benchmark (MCSB) v1.0 security baseline, from exported
ARM resources, Terraform, ARM templates, live Azure and the database itself.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: 2, err: err}
	})
	root.AddCommand(newScanCmd(), newControlsCmd(), newRulesCmd(), newPolicyCmd(), newServeCmd(), newVersionCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.Printf("pgbaseline %s\n", version)
			return nil
		},
	}
}
