package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/assess"
	"github.com/pgbaseline/pgbaseline/internal/config"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/report"
)

type scanFlags struct {
	format, output, failOn, configFile string
	policies, exemptions               []string
	noColor, quiet, full               bool
	postgres                           postgresFlags
	azure                              azureFlags
	vars, varFiles, paramFiles         []string
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH ...]",
		Short: "Assess resources against the baseline",
		Long: `Scan files and directories (searched recursively; .terraform, .git and
node_modules are skipped) and report a verdict per rule and resource, grouped by
the baseline's controls. Each file's kind is detected from its content:
Terraform modules (.tf, .tfvars; a directory is a module; registry and git
modules as terraform init downloaded them to .terraform/modules) and plans
(terraform show -json), ARM templates and parameter files (Bicep output; a lone
.bicep when a bicep executable is on PATH, one beside its compiled JSON is
skipped with a note), snapshots written by --save-snapshot, and exported ARM
resources (one object, an array, {"value": [...]} or {"data": [...]}). --azure
reads live subscriptions and --postgres databases, in the same run. Values known
only at deployment give Unknown, never a guessed verdict.

Exit codes: 0 when no NonCompliant result is at or above --fail-on, 1 when one
is, 2 for a usage error, an input that could not be read (a module not
downloaded, a read Azure refused), or inputs that hold nothing to scan (the
report is still written, with an entry in "errors" for each failure).`,
		Example: `  pgbaseline scan examples/
  az postgres flexible-server show -g rg -n server > server.json && pgbaseline scan server.json
  pgbaseline scan exports/ --format json --output report.json --fail-on high
  pgbaseline scan infra/ --var-file prod.tfvars --format sarif -o results.sarif
  pgbaseline scan main.json --param-file main.parameters.prod.json
  pgbaseline scan --azure --subscription 00000000-0000-0000-0000-000000000000`,
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, args, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "", "report format: table, json, sarif, junit, csv, markdown or html (default: from --output's extension, else table on a terminal and json otherwise)")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fl.StringVar(&f.failOn, "fail-on", "low", "exit 1 when a NonCompliant result is at or above this `SEVERITY` (critical, high, medium, low, never)")
	fl.StringVar(&f.configFile, "config", "", "configuration `FILE` (rule parameters, attestations)")
	fl.StringArrayVar(&f.policies, "policy", nil, "Azure Policy definitions, initiatives, assignments and exemptions to evaluate too (`PATH`, file or directory; repeatable)")
	fl.StringArrayVar(&f.exemptions, "exemptions", nil, "policy exemptions `FILE` (the JSON `az policy exemption list` prints; repeatable)")
	fl.StringArrayVar(&f.postgres.dsns, "postgres", nil, "assess a database over a PostgreSQL connection (`DSN`: URL or key=value; password from the DSN, PGPASSWORD, ~/.pgpass or a Microsoft Entra token; repeatable)")
	fl.BoolVar(&f.postgres.probeTLS, "probe-tls", false, "with --postgres: probe whether plaintext is refused and which TLS versions are accepted (leaves failed logins in the server log)")
	fl.BoolVar(&f.postgres.entra, "entra", false, "with --postgres: authenticate with a Microsoft Entra token from the default Azure credential chain")
	fl.DurationVar(&f.postgres.connectTimeout, "connect-timeout", 10*time.Second, "with --postgres: how long to wait for each connection")
	fl.IntVar(&f.postgres.concurrency, "postgres-concurrency", 4, "with --postgres: databases assessed at once")
	fl.StringArrayVar(&f.vars, "var", nil, "Terraform: set a variable (`NAME=VALUE`; lists, maps and objects as HCL; repeatable)")
	fl.StringArrayVar(&f.varFiles, "var-file", nil, "Terraform: read variable values from `FILE` (.tfvars or .tfvars.json), after terraform.tfvars and *.auto.tfvars (repeatable)")
	fl.StringArrayVar(&f.paramFiles, "param-file", nil, "ARM templates: deployment parameters `FILE` applied to every template, after the one paired with it by name (repeatable)")
	f.azure.register(fl)
	fl.BoolVar(&f.noColor, "no-color", false, "no colours in the table (also NO_COLOR)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress, summary or notes on stderr")
	fl.BoolVar(&f.full, "full", false, "table: list every failing resource (a rule's resources are folded past 10 otherwise)")
	return cmd
}

func runScan(cmd *cobra.Command, args []string, f scanFlags) error {
	switch f.failOn {
	case "critical", "high", "medium", "low", "never":
	default:
		return usageError("--fail-on: %q is not one of critical, high, medium, low, never", f.failOn)
	}
	if len(args) == 0 && len(f.postgres.dsns) == 0 && !f.azure.enabled {
		return usageError("scan: name at least one file or directory, --azure or --postgres DSN (for example: pgbaseline scan examples/)")
	}
	if err := f.azure.validate(); err != nil {
		return err
	}
	sources, err := sourceOptions(f)
	if err != nil {
		return err
	}
	if f.postgres.concurrency < 1 {
		return usageError("--postgres-concurrency must be at least 1")
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	format, err := chooseFormat(f.format, f.output, stdout)
	if err != nil {
		return err
	}
	req := &assess.Request{Paths: args, Sources: sources, Policies: append(slices.Clone(f.policies), f.exemptions...),
		ToolVersion: version, FailOn: f.failOn, TuneGC: true,
		Postgres: f.postgres.targets(), PostgresConcurrency: f.postgres.concurrency}
	// The report being written is never read back: stdout redirected to
	// a file in the scanned tree, or --output there.
	req.Skip = outputSkip(stdout, f.output)
	prog := newScanProgress(nil)
	if !f.quiet && isTerminal(stderr) {
		prog = newScanProgress(stderr)
	}
	defer prog.finish()
	req.Progress = prog
	if !f.quiet {
		req.Note = func(n string) {
			prog.print(func() { fmt.Fprintln(stderr, "pgbaseline:", notePrefix(n)+n) })
		}
	}
	if f.configFile != "" {
		if req.Config, err = config.Load(f.configFile); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	if req.Catalog, err = baseline.Load(); err != nil {
		return err
	}
	if f.azure.enabled {
		req.Azure, req.AzureTimeout, req.SaveSnapshot = f.azure.options(stderr, f.quiet), f.azure.timeout, f.azure.snapshot
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var out *os.File
	var bw *bufio.Writer
	var counter *failureCounter
	if format == report.FormatJSON {
		// The JSON report is written while the rules run, so a fleet's
		// results are never all held in memory.
		w := stdout
		if f.output != "" {
			if out, err = os.Create(f.output); err != nil {
				return &exitError{code: 2, err: err}
			}
			defer out.Close()
			w = out
		}
		counter = &failureCounter{w: w}
		bw = bufio.NewWriterSize(counter, 1<<20)
		req.JSON = bw
	}
	rep, code, err := assess.Run(ctx, req)
	if err != nil || bw != nil || (f.output == "" && isTerminal(stdout)) {
		// A report on the terminal is not drawn over.
		prog.finish()
	} else {
		prog.Stage("writing the " + string(format) + " report")
	}
	if err != nil {
		return &exitError{code: 2, err: errors.New(strings.ReplaceAll(err.Error(), "\n", "\npgbaseline: "))}
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			return &exitError{code: 2, err: err}
		}
		if out != nil {
			if err := out.Close(); err != nil {
				return &exitError{code: 2, err: err}
			}
		}
	} else {
		err := writeReport(cmd, rep, req.Catalog, format, f)
		prog.finish()
		if err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	if !f.quiet && f.output != "" {
		failures := report.CountFailures(rep.Results)
		if counter != nil {
			failures = counter.f
		}
		fmt.Fprintln(stderr, "pgbaseline:", summaryLine(f.output, prog.servers, rep.Summary, failures))
	}
	if !f.quiet {
		for _, n := range rep.Notes {
			fmt.Fprintln(stderr, "pgbaseline: note:", n)
		}
		// The table on stdout shows the errors itself.
		if format != report.FormatTable || f.output != "" {
			for _, e := range rep.Errors {
				fmt.Fprintln(stderr, "pgbaseline: error:", e.Message)
			}
		}
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// notePrefix is what a note of assess.Request.Note is printed after:
// warnings say so themselves.
func notePrefix(n string) string {
	if strings.HasPrefix(n, "warning: ") {
		return ""
	}
	return "note: "
}

// sourceOptions turns the Terraform and ARM template flags into the
// sources' options.
func sourceOptions(f scanFlags) (detect.Options, error) {
	var o detect.Options
	for _, v := range f.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return o, usageError("--var %q: expected NAME=VALUE", v)
		}
		if o.Terraform.Vars == nil {
			o.Terraform.Vars = map[string]string{}
		}
		o.Terraform.Vars[strings.TrimSpace(name)] = value
	}
	for _, list := range [][]string{f.varFiles, f.paramFiles} {
		for _, file := range list {
			if st, err := os.Stat(file); err != nil || st.IsDir() {
				return o, usageError("%s: not a readable file", file)
			}
		}
	}
	o.Terraform.VarFiles = f.varFiles
	o.ARM.ParamFiles = f.paramFiles
	return o, nil
}

func chooseFormat(name, output string, stdout io.Writer) (report.Format, error) {
	if name != "" {
		ft, err := report.FormatFromName(name)
		if err != nil {
			return "", usageError("--format: %v", err)
		}
		return ft, nil
	}
	if output != "" {
		if ft, err := report.FormatFromPath(output); err == nil {
			return ft, nil
		}
		return report.FormatJSON, nil
	}
	if isTerminal(stdout) {
		return report.FormatTable, nil
	}
	return report.FormatJSON, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func writeReport(cmd *cobra.Command, rep *report.Report, cat *baseline.Catalog, format report.Format, f scanFlags) error {
	w := cmd.OutOrStdout()
	if f.output != "" {
		file, err := os.Create(f.output)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	opts := report.Options{
		Rules:       ruleInfo(cat),
		Color:       !f.noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w),
		Width:       terminalWidth(),
		Full:        f.full,
		ToolVersion: version,
	}
	if err := report.Write(w, rep, format, opts); err != nil {
		return err
	}
	if file, ok := w.(*os.File); ok && f.output != "" {
		return file.Close()
	}
	return nil
}

func ruleInfo(cat *baseline.Catalog) map[string]report.RuleInfo {
	return cat.RuleInfo()
}
