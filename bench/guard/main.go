// Command guard is the fleet benchmark's CI guard. It generates a small
// fleet export (2,000 servers), then measures the CPU time (user + system)
// of `pgbaseline scan --format json -o /dev/null` as a ratio to the CPU time
// of the decode yardstick (bench/jsondecode, one encoding/json decode of the
// same export) run just before it: pairs of decode and scan, alternated,
// after a warm-up (the export read once and one untimed run of each), and
// the median of the pairs' ratios. It compares that ratio with the one in
// bench/baseline.json and fails when it is worse by more than 25%.
//
//	go run ./bench/guard                          # check against the baseline
//	go run ./bench/guard -update                  # measure and rewrite the baseline (or UPDATE=1)
//	go run ./bench/guard -update -provisional     # ... marked provisional
//
// Both commands run with GOMAXPROCS=1 (-procs). With more, the Go runtime
// runs garbage-collector mark work on whichever cores are idle, so a
// mostly sequential program's CPU time depends on how idle the machine's
// other cores happen to be: on the 2-core machine under other work the
// decode's CPU time spread 35-114% over 7 runs with GOMAXPROCS=2, and 7-10%
// with GOMAXPROCS=1. The scan's parallelism is not what the guard watches
// (its CPU time is the sum over cores anyway); the work per server is.
//
// A ratio of CPU times taken back to back moves much less with the machine's
// load than wall times do, but on a busy machine CPU time moves too. So the
// guard first checks the yardstick itself: when the decode's CPU time over
// the pairs, less the fastest and the slowest run, spreads, (max - min) /
// median, by more than -max-spread (15%), the attempt is not a measurement and is retried (up to -attempts times,
// within -budget). When no attempt is steady the guard reports the result as
// inconclusive and passes with a warning rather than fail on noise; -update
// then refuses to write a baseline.
//
// Exit status: 0 within the tolerance, or inconclusive; 1 a regression, or
// -update that could not measure; 2 an error (a command failed, a baseline
// for another fleet size, bad flags).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/bench/fleet"
	"github.com/pgbaseline/pgbaseline/bench/internal/measure"
)

// Baseline is bench/baseline.json.
type Baseline struct {
	// Provisional marks a baseline measured on a machine that was not
	// quiet; re-measure with -update on a quiet one.
	Provisional bool   `json:"provisional"`
	Note        string `json:"note,omitempty"`
	Servers     int    `json:"servers"`
	Pairs       int    `json:"pairs"`
	// CPURatio is the median over the pairs of the scan's CPU time divided
	// by the decode's: the number the guard compares.
	CPURatio    float64 `json:"cpuRatio"`
	CPURatioMin float64 `json:"cpuRatioMin"`
	CPURatioMax float64 `json:"cpuRatioMax"`
	// For people: the scan's median CPU time per server, the decode's
	// median CPU time, its spread (without the fastest and slowest run),
	// and the wall-time ratio of the medians (not compared).
	ScanCPUPerServerMs float64 `json:"scanCpuPerServerMs"`
	DecodeCPUSeconds   float64 `json:"decodeCpuSeconds"`
	YardstickSpread    float64 `json:"yardstickSpread"`
	WallRatio          float64 `json:"wallRatio"`
	Machine            string  `json:"machine"`
	LoadAverage        string  `json:"loadAverage,omitempty"`
	Date               string  `json:"date"`
	Commit             string  `json:"commit,omitempty"`
}

type config struct {
	servers, pairs, attempts int
	maxSpread, tolerance     float64
	budget                   time.Duration
	baseline                 string
	update, provisional      bool
	pgbaseline, jsondecode   string
	work                     string
	procs                    int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, runOnce))
}

// run is the guard with runCmd to run and measure a command (tests give a
// fake).
func run(args []string, stdout, stderr io.Writer, runCmd func([]string) (measure.Sample, error)) int {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(stderr, "guard:", err)
		return 2
	}
	var c config
	fs := flag.NewFlagSet("guard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.servers, "servers", 2000, "servers in the generated export")
	fs.IntVar(&c.pairs, "pairs", 7, "pairs of decode and scan per attempt (at least 5)")
	fs.IntVar(&c.attempts, "attempts", 3, "attempts before a noisy machine makes the result inconclusive")
	fs.Float64Var(&c.maxSpread, "max-spread", 0.15, "largest spread, (max-min)/median, of the decode's CPU time in a steady attempt, less its fastest and slowest run")
	fs.Float64Var(&c.tolerance, "tolerance", 0.25, "how much worse than the baseline the ratio may be")
	fs.DurationVar(&c.budget, "budget", 30*time.Second, "no new attempt starts after this much time measuring")
	fs.StringVar(&c.baseline, "baseline", filepath.Join(root, "bench", "baseline.json"), "the baseline file")
	fs.BoolVar(&c.update, "update", os.Getenv("UPDATE") == "1", "measure and rewrite the baseline (also UPDATE=1)")
	fs.BoolVar(&c.provisional, "provisional", false, "with -update: mark the baseline provisional (measured on a machine that was not quiet)")
	fs.StringVar(&c.pgbaseline, "pgbaseline", "", "the pgbaseline binary (default: built from this tree)")
	fs.StringVar(&c.jsondecode, "jsondecode", "", "the jsondecode binary (default: built from this tree)")
	fs.IntVar(&c.procs, "procs", 1, "GOMAXPROCS for both commands (0: the machine's default)")
	fs.StringVar(&c.work, "work", "", "work directory (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || c.pairs < 5 || c.servers < 1 || c.attempts < 1 {
		fmt.Fprintln(stderr, "guard: usage: guard [-update [-provisional]] [flags]; -pairs is at least 5")
		return 2
	}
	g := &guard{config: c, root: root, out: stdout, warn: stderr, runCmd: runCmd}
	code, err := g.run()
	if err != nil {
		fmt.Fprintln(stderr, "guard:", err)
		return 2
	}
	return code
}

type guard struct {
	config
	root      string
	out, warn io.Writer
	runCmd    func([]string) (measure.Sample, error)
}

// attempt is the measurement of one series of pairs.
type attempt struct {
	decode, scan []measure.Sample
	ratios       measure.Summary // the scan's CPU over the decode's, per pair
	yard         measure.Summary // the decode's CPU time
	yardMiddle   measure.Summary // the same without the fastest and slowest run
	scanCPU      measure.Summary
	wallRatio    float64 // of the medians
}

// steady reports whether the yardstick held still: the spread of the
// decode's CPU time over the pairs, less the fastest and the slowest run
// (the median of the pairs' ratios shrugs off one odd pair; it cannot
// shrug off a machine whose speed keeps changing).
func (a attempt) steady(maxSpread float64) bool { return a.yardMiddle.Spread() <= maxSpread }

func (g *guard) printf(format string, args ...any) {
	fmt.Fprintf(g.out, "guard: "+format+"\n", args...)
}

func (g *guard) run() (int, error) {
	work := g.work
	if work == "" {
		dir, err := os.MkdirTemp("", "pgbaseline-guard-")
		if err != nil {
			return 2, err
		}
		defer os.RemoveAll(dir)
		work = dir
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return 2, err
	}

	var base *Baseline
	if !g.update {
		b, err := readBaseline(g.baseline)
		if err != nil {
			return 2, fmt.Errorf("%w (measure one with: go run ./bench/guard -update)", err)
		}
		if b.Servers != g.servers {
			return 2, fmt.Errorf("%s was measured at %d servers, this run would be at %d: the ratios differ with the size; run with -servers %d, or -update", g.baseline, b.Servers, g.servers, b.Servers)
		}
		base = b
	}

	pgb, dec := g.pgbaseline, g.jsondecode
	for _, b := range []struct {
		path *string
		pkg  string
	}{{&pgb, "./cmd/pgbaseline"}, {&dec, "./bench/jsondecode"}} {
		if *b.path != "" {
			continue
		}
		*b.path = filepath.Join(work, filepath.Base(b.pkg))
		cmd := exec.Command("go", "build", "-o", *b.path, b.pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = g.root, g.warn, g.warn
		if err := cmd.Run(); err != nil {
			return 2, fmt.Errorf("go build %s: %w", b.pkg, err)
		}
	}
	export := filepath.Join(work, fmt.Sprintf("fleet-%d.json", g.servers))
	if err := writeExport(export, g.servers); err != nil {
		return 2, err
	}
	decodeCmd := []string{dec, export}
	scanCmd := []string{pgb, "scan", export, "--format", "json", "-o", os.DevNull, "--fail-on", "never"}

	procs := "GOMAXPROCS as the machine gives"
	if g.procs > 0 {
		// Both commands run with this GOMAXPROCS (set after the builds,
		// which should use every core).
		if err := os.Setenv("GOMAXPROCS", fmt.Sprint(g.procs)); err != nil {
			return 2, err
		}
		procs = fmt.Sprintf("GOMAXPROCS=%d", g.procs)
	}
	g.printf("%s servers, %d pairs of (decode, scan) per attempt, CPU time (user + system), %s; load average %s",
		thousands(g.servers), g.pairs, procs, loadAverage())
	// Warm-up: the export and both binaries in the page cache, and a check
	// that both commands work.
	if err := readAll(export); err != nil {
		return 2, err
	}
	for _, argv := range [][]string{decodeCmd, scanCmd} {
		if _, err := g.runCmd(argv); err != nil {
			return 2, err
		}
	}

	start := time.Now()
	var got *attempt
	var tried []attempt
	for i := 1; i <= g.attempts; i++ {
		if i > 1 && time.Since(start) > g.budget {
			g.printf("time budget (%s) spent after %d attempts", g.budget, i-1)
			break
		}
		a, err := g.measure(decodeCmd, scanCmd)
		if err != nil {
			return 2, err
		}
		tried = append(tried, a)
		state := "steady"
		if !a.steady(g.maxSpread) {
			state = fmt.Sprintf("NOT steady (spread above %.0f%%)", 100*g.maxSpread)
		}
		g.printf("attempt %d: decode CPU %s s, spread %.1f%% (%.1f%% without the fastest and slowest): %s; scan CPU %s s (%.3f ms per server); scan ÷ decode CPU per pair: median %.3f (%.3f–%.3f); wall ratio of medians %.2f",
			i, minMedMax(a.yard), 100*a.yard.Spread(), 100*a.yardMiddle.Spread(), state, minMedMax(a.scanCPU), a.scanCPU.Median/float64(g.servers)*1000,
			a.ratios.Median, a.ratios.Min, a.ratios.Max, a.wallRatio)
		if a.steady(g.maxSpread) {
			got = &a
			break
		}
	}

	if got == nil {
		msg := fmt.Sprintf("INCONCLUSIVE: the yardstick (the decode's CPU time) spread more than %.0f%% in each of %d attempts (load average now %s): this machine is too busy to tell a regression from noise",
			100*g.maxSpread, len(tried), loadAverage())
		if g.update {
			fmt.Fprintf(g.warn, "guard: %s; not writing %s: measure on a quiet machine\n", msg, g.baseline)
			return 1, nil
		}
		if len(tried) > 0 && base != nil {
			// Say what the noisy attempts showed, without a verdict.
			last := tried[len(tried)-1]
			msg += fmt.Sprintf(" (last attempt's ratio %.3f against the baseline's %.3f: %.2f×, not judged)", last.ratios.Median, base.CPURatio, last.ratios.Median/base.CPURatio)
		}
		fmt.Fprintf(g.warn, "guard: warning: %s; passing without a verdict\n", msg)
		g.printf("inconclusive, passed with a warning")
		return 0, nil
	}

	if g.update {
		b := g.baselineOf(*got)
		if err := writeBaseline(g.baseline, b); err != nil {
			return 2, err
		}
		prov := ""
		if b.Provisional {
			prov = " (provisional)"
		}
		g.printf("wrote %s%s: CPU ratio %.3f (%.3f–%.3f over %d pairs), %s", g.baseline, prov, b.CPURatio, b.CPURatioMin, b.CPURatioMax, b.Pairs, b.Machine)
		return 0, nil
	}

	rel := got.ratios.Median / base.CPURatio
	about := fmt.Sprintf("baseline %.3f of %s on %s", base.CPURatio, base.Date, base.Machine)
	if base.Provisional {
		about += ", PROVISIONAL"
	}
	if m := machine(); m != base.Machine {
		g.printf("note: this machine (%s) is not the baseline's", m)
	}
	limit := 1 + g.tolerance
	if rel > limit {
		fmt.Fprintf(g.warn, "guard: REGRESSION: the scan's CPU time is %.3f times the decode's, against %s: %.2f×, more than %.2f× allowed. Profile with bench/scanprof; if the change is intended, rewrite the baseline on a quiet machine: go run ./bench/guard -update\n",
			got.ratios.Median, about, rel, limit)
		return 1, nil
	}
	g.printf("ok: CPU ratio %.3f against %s: %.2f× (at most %.2f× allowed)", got.ratios.Median, about, rel, limit)
	if rel < 1-g.tolerance {
		g.printf("note: the scan got much cheaper than the baseline says; consider rewriting it on a quiet machine (go run ./bench/guard -update)")
	}
	return 0, nil
}

// measure runs the pairs, decode then scan, back to back.
func (g *guard) measure(decodeCmd, scanCmd []string) (attempt, error) {
	var a attempt
	for range g.pairs {
		d, err := g.runCmd(decodeCmd)
		if err != nil {
			return a, err
		}
		s, err := g.runCmd(scanCmd)
		if err != nil {
			return a, err
		}
		a.decode, a.scan = append(a.decode, d), append(a.scan, s)
	}
	dc, sc := measure.Seconds(a.decode, measure.Sample.CPU), measure.Seconds(a.scan, measure.Sample.CPU)
	a.yard, a.scanCPU = measure.Summarize(dc), measure.Summarize(sc)
	a.yardMiddle = measure.Summarize(measure.Trim(dc, 1))
	a.ratios = measure.Summarize(measure.Ratios(sc, dc))
	if dw := measure.Summarize(measure.Seconds(a.decode, measure.Wall)).Median; dw > 0 {
		a.wallRatio = measure.Summarize(measure.Seconds(a.scan, measure.Wall)).Median / dw
	}
	return a, nil
}

func (g *guard) baselineOf(a attempt) *Baseline {
	b := &Baseline{
		Provisional:        g.provisional,
		Servers:            g.servers,
		Pairs:              g.pairs,
		CPURatio:           round(a.ratios.Median, 4),
		CPURatioMin:        round(a.ratios.Min, 4),
		CPURatioMax:        round(a.ratios.Max, 4),
		ScanCPUPerServerMs: round(a.scanCPU.Median/float64(g.servers)*1000, 4),
		DecodeCPUSeconds:   round(a.yard.Median, 4),
		YardstickSpread:    round(a.yardMiddle.Spread(), 4),
		WallRatio:          round(a.wallRatio, 4),
		Machine:            machine(),
		LoadAverage:        loadAverage(),
		Date:               time.Now().UTC().Format("2006-01-02"),
		Commit:             gitCommit(g.root),
	}
	if b.Provisional {
		b.Note = "Provisional: measured on a shared machine while other work ran. Re-measure on a quiet machine with `go run ./bench/guard -update` (which drops this mark) and commit the file."
	} else {
		b.Note = "Measured with `go run ./bench/guard -update`; the guard fails when the scan's CPU time over the decode's is more than 25% above cpuRatio."
	}
	return b
}

// runOnce runs a command, discarding its output, and returns its sample;
// a failure carries what it printed on standard error.
func runOnce(argv []string) (measure.Sample, error) {
	var stderr strings.Builder
	s, err := measure.Run(nil, &stderr, argv...)
	if err != nil {
		return s, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return s, nil
}

func writeExport(path string, servers int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fleet.WriteExport(w, servers); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readAll(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

func readBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if b.CPURatio <= 0 || b.Servers <= 0 {
		return nil, fmt.Errorf("%s: no cpuRatio or servers", path)
	}
	return &b, nil
}

func writeBaseline(path string, b *Baseline) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// moduleRoot is the directory of the go.mod of the tree the guard runs in.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the pgbaseline module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

// machine describes the machine: cores, memory, CPU model, Go, OS.
func machine() string {
	parts := []string{fmt.Sprintf("%d cores", runtime.NumCPU())}
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		var n float64
		fmt.Sscanf(kb, "%f", &n)
		parts = append(parts, fmt.Sprintf("%.0f GiB", n/1048576))
	}
	if m := procField("/proc/cpuinfo", "model name"); m != "" {
		parts = append(parts, strings.Join(strings.Fields(m), " "))
	}
	parts = append(parts, runtime.Version())
	if os := procField("/etc/os-release", "PRETTY_NAME"); os != "" {
		parts = append(parts, strings.Trim(os, `"`))
	} else {
		parts = append(parts, runtime.GOOS+"/"+runtime.GOARCH)
	}
	return strings.Join(parts, ", ")
}

// procField returns the value of the first line "key: value" or
// "key=value" of a file, or "".
func procField(path, key string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.Contains(k, "=") {
			k, v, ok = strings.Cut(line, "=")
		}
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func gitCommit(dir string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func minMedMax(s measure.Summary) string {
	return fmt.Sprintf("%.3f / %.3f / %.3f", s.Min, s.Median, s.Max)
}

func round(f float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(f*p+0.5)) / p
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
