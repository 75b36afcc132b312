package main

import (
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/pgbaseline/pgbaseline/internal/source/azure"
)

// azureFlags are scan's live-Azure flags.
type azureFlags struct {
	enabled                 bool
	subscriptions, groups   []string
	tenant, cloud, endpoint string
	snapshot                string
	concurrency             int
	timeout                 time.Duration
}

// register adds the flags to scan's flag set.
func (f *azureFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.enabled, "azure", false, "scan live Azure: every flexible server the credential can see (default Azure credential chain, or the bearer token in AZURE_ACCESS_TOKEN)")
	fs.StringArrayVar(&f.subscriptions, "subscription", nil, "with --azure: scan only this subscription `ID` (repeatable)")
	fs.StringArrayVar(&f.groups, "resource-group", nil, "with --azure: scan only servers in this resource group `NAME` (repeatable)")
	fs.StringVar(&f.tenant, "tenant", "", "with --azure: the Microsoft Entra tenant `ID` to authenticate in and scan")
	fs.StringVar(&f.cloud, "cloud", "", "with --azure: `CLOUD` AzurePublic (default), AzureChina or AzureUSGovernment")
	fs.StringVar(&f.endpoint, "arm-endpoint", "", "with --azure: Resource Manager endpoint `URL` (Azure Stack Hub, a test server; plain http only on loopback)")
	fs.StringVar(&f.snapshot, "save-snapshot", "", "with --azure: also write everything read to `FILE`, which `pgbaseline scan FILE` reads back")
	fs.IntVar(&f.concurrency, "azure-concurrency", 16, "with --azure: Resource Manager calls in flight at once")
	fs.DurationVar(&f.timeout, "azure-timeout", 30*time.Minute, "with --azure: give up reading Azure after this long")
}

// validate checks the flags before anything is read.
func (f *azureFlags) validate() error {
	if !f.enabled {
		if len(f.subscriptions)+len(f.groups) > 0 || f.tenant != "" || f.cloud != "" || f.endpoint != "" || f.snapshot != "" {
			return usageError("--subscription, --resource-group, --tenant, --cloud, --arm-endpoint and --save-snapshot need --azure")
		}
		return nil
	}
	if f.concurrency < 1 {
		return usageError("--azure-concurrency must be at least 1")
	}
	return nil
}

// options are the live scan's options. Progress goes to stderr when it is
// a terminal and not quiet.
func (f *azureFlags) options(stderr io.Writer, quiet bool) *azure.Options {
	o := &azure.Options{Subscriptions: f.subscriptions, ResourceGroups: f.groups, Tenant: f.tenant, Cloud: f.cloud,
		ARMEndpoint: f.endpoint, Concurrency: f.concurrency}
	if !quiet && isTerminal(stderr) {
		o.Progress = stderr
	}
	return o
}
