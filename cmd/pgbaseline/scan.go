package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/config"
	"github.com/pgbaseline/pgbaseline/policy"
	"github.com/pgbaseline/pgbaseline/report"
	"github.com/pgbaseline/pgbaseline/scan"
	"github.com/pgbaseline/pgbaseline/source"
	"github.com/pgbaseline/pgbaseline/source/azure"
	"github.com/pgbaseline/pgbaseline/source/detect"
)

type scanFlags struct {
	format, output, failOn, configFile string
	policies, exemptions               []string
	noColor, quiet                     bool
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
Terraform modules (.tf, .tfvars; a directory is a module) and plans
(terraform show -json), ARM templates and parameter files (Bicep output; .bicep
when a bicep executable is on PATH), snapshots written by --save-snapshot, and
exported ARM resources (one object, an array, {"value": [...]} or
{"data": [...]}). --azure reads live subscriptions and --postgres databases, in
the same run.

Exit codes: 0 when no NonCompliant result is at or above --fail-on, 1 when one
is, 2 for a usage error or an input that could not be read (the report is still
written, with an entry in "errors" for each failure).`,
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
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress or notes on stderr")
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
	loadOpts, err := sourceOptions(f)
	if err != nil {
		return err
	}
	if f.postgres.concurrency < 1 {
		return usageError("--postgres-concurrency must be at least 1")
	}
	stdout := cmd.OutOrStdout()
	format, err := chooseFormat(f.format, f.output, stdout)
	if err != nil {
		return err
	}
	var cfg *config.Config
	if f.configFile != "" {
		if cfg, err = config.Load(f.configFile); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	cat, err := baseline.Load()
	if err != nil {
		return err
	}
	engine, err := scan.NewEngine(cat, cfg)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if len(f.policies)+len(f.exemptions) > 0 {
		coll, errs := policy.LoadFiles(append(append([]string{}, f.policies...), f.exemptions...))
		for _, e := range errs {
			fmt.Fprintln(cmd.ErrOrStderr(), "pgbaseline:", e)
		}
		if len(errs) > 0 {
			return &exitError{code: 2}
		}
		// An assignment of something not loaded (the benchmark initiative
		// itself, say) still applies its exemptions; the rest is used.
		if err := engine.UsePolicies(coll); err != nil && !f.quiet {
			fmt.Fprintln(cmd.ErrOrStderr(), "pgbaseline: warning:", strings.ReplaceAll(err.Error(), "\n", "\npgbaseline: warning: "))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	azInputs, err := azureInputs(ctx, f.azure, cmd.ErrOrStderr(), f.quiet)
	if err != nil {
		return err
	}
	dbInputs, dbResources, dbResults := scanDatabases(ctx, f.postgres)
	loader := detect.Loader(loadOpts)
	if format == report.FormatJSON {
		// Large exports are listed, then read one server at a time
		// while the rules run (Run reads them whole if need be).
		loader.LazyMin = scan.DefaultLazyMin
	}
	inputs := loader.Load(args)
	if os.Getenv("GOGC") == "" && slices.ContainsFunc(inputs, func(in *source.Input) bool { return in.Lazy != nil }) {
		// A fleet scan holds one server at a time: Go's default collector
		// target (see main) costs little memory here and saves time.
		debug.SetGCPercent(100)
	}
	live := len(azInputs) > 0 // live Azure, or a snapshot of it
	for _, in := range inputs {
		live = live || in.Kind == source.KindAzure
	}
	opts := scan.Options{ToolVersion: version, Inputs: append(append(inputs, azInputs...), dbInputs...),
		Resources: dbResources, Results: dbResults}
	var rep *report.Report
	code := -1
	if format == report.FormatJSON && !live {
		// The JSON report is written while the rules run, so a fleet's
		// results are never all held in memory.
		if rep, code, err = streamJSON(ctx, cmd, engine, opts, f); err != nil {
			return err
		}
	} else {
		if rep, err = engine.Run(ctx, opts); err != nil {
			return err
		}
		// Rules that read what Azure refused to show give Error (live
		// scans and their snapshots).
		azure.MarkHidden(engine, rep)
		if err := writeReport(cmd, rep, cat, format, f); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	// The table on stdout shows the errors itself.
	if !f.quiet && (format != report.FormatTable || f.output != "") {
		for _, e := range rep.Errors {
			fmt.Fprintln(cmd.ErrOrStderr(), "pgbaseline: error:", e.Message)
		}
	}
	if code < 0 {
		code = scan.ExitCode(rep, f.failOn)
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// streamJSON runs the scan with the JSON report streamed to --output or
// stdout, and returns the report without its results and the exit code.
func streamJSON(ctx context.Context, cmd *cobra.Command, engine *scan.Engine, opts scan.Options, f scanFlags) (*report.Report, int, error) {
	w := cmd.OutOrStdout()
	var file *os.File
	if f.output != "" {
		var err error
		if file, err = os.Create(f.output); err != nil {
			return nil, 0, &exitError{code: 2, err: err}
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	rep, code, err := engine.RunJSON(ctx, opts, bw, f.failOn)
	if err != nil {
		return nil, 0, &exitError{code: 2, err: err}
	}
	if err := bw.Flush(); err != nil {
		return nil, 0, &exitError{code: 2, err: err}
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return nil, 0, &exitError{code: 2, err: err}
		}
	}
	return rep, code, nil
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
	out := make(map[string]report.RuleInfo, len(cat.Rules))
	for _, r := range cat.Rules {
		info := report.RuleInfo{ID: r.ID, Title: r.Title, Description: r.Rationale, Rationale: r.Rationale,
			ControlID: r.Control, Feature: r.Feature, Severity: r.Severity}
		if c := cat.Control(r.Control); c != nil {
			info.ControlTitle = c.Title
		}
		info.Remediation = r.Remediation.Report()
		info.PolicyDefinitionID = r.PolicyDefinitionID()
		info.HelpURI = "https://github.com/pgbaseline/pgbaseline/blob/main/docs/rules.md#" + strings.ToLower(r.ID)
		out[r.ID] = info
	}
	return out
}
