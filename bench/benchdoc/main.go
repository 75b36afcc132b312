// Command benchdoc turns the measurements bench/run.sh takes into
// docs/benchmarks.md's results section and its growth chart, checks that
// the yardstick held still while they were taken, and counts the findings
// in pgbaseline's and Trivy's JSON reports:
//
//	benchdoc count-pgbaseline REPORT.json   # prints "onServers total"
//	benchdoc count-trivy TRIVY.json          # prints "onServers total"
//	benchdoc check -results results.tsv [-size 20000]   # summary; exit 1 when the yardstick moved
//	benchdoc render -results results.tsv -doc docs/benchmarks.md -chart docs/benchmarks-curve.png
//
// results.tsv has one run a line, tab-separated: group (export, terraform,
// single), size (servers, or the example's name), tool, wall seconds, user
// CPU seconds, system CPU seconds, peak RSS in KB, findings and a note. A
// command measured several times has a line per run, in the order they were
// taken; at an export size the i-th runs of the decode and of the scans were
// taken in the same round, back to back, and their ratios are computed per
// round as well as from the medians. check and render refuse (exit 1) when,
// at some export size, the decode's wall or CPU time spreads, (max - min) /
// median, by more than -max-spread (15%). render replaces the part of the
// document between the lines <!-- bench:begin --> and <!-- bench:end -->
// and leaves the rest alone.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pgbaseline/pgbaseline/bench/internal/measure"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchdoc:", err)
		if errors.Is(err, errUnsteady) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

// errUnsteady is the error of check and render when the yardstick moved.
var errUnsteady = errors.New("the yardstick moved")

// defaultMaxSpread is the largest spread of the yardstick's runs, (max -
// min) / median, that a measurement may have.
const defaultMaxSpread = 0.15

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: benchdoc count-pgbaseline|count-trivy FILE | check -results FILE [-size N] | render -results FILE -doc FILE -chart FILE")
	}
	switch args[0] {
	case "count-pgbaseline", "count-trivy":
		if len(args) != 2 {
			return fmt.Errorf("usage: benchdoc %s FILE", args[0])
		}
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		count := countPgbaseline
		if args[0] == "count-trivy" {
			count = countTrivy
		}
		onServers, total, err := count(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "%d %d\n", onServers, total)
		return nil
	case "check":
		fs := flag.NewFlagSet("check", flag.ContinueOnError)
		results := fs.String("results", "", "measurements (TSV)")
		size := fs.String("size", "", "check only this export size (default: every one)")
		maxSpread := fs.Float64("max-spread", defaultMaxSpread, "largest spread of the yardstick's runs, (max-min)/median")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ms, err := readResults(*results)
		if err != nil {
			return err
		}
		summarize(stdout, ms, *size)
		return checkErr(ms, *size, *maxSpread)
	case "render":
		fs := flag.NewFlagSet("render", flag.ContinueOnError)
		results := fs.String("results", "", "measurements (TSV)")
		doc := fs.String("doc", "docs/benchmarks.md", "document to update")
		chart := fs.String("chart", "docs/benchmarks-curve.png", "chart to write")
		machine := fs.String("machine", "", "the machine, for the section's first line")
		maxSpread := fs.Float64("max-spread", defaultMaxSpread, "largest spread of the yardstick's runs, (max-min)/median")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ms, err := readResults(*results)
		if err != nil {
			return err
		}
		if err := checkErr(ms, "", *maxSpread); err != nil {
			return fmt.Errorf("not writing %s: %w", *doc, err)
		}
		if err := writeChart(*chart, ms); err != nil {
			return err
		}
		old, err := os.ReadFile(*doc)
		if err != nil {
			return err
		}
		updated, err := splice(string(old), renderMarkdown(ms, *machine, *chart, *maxSpread))
		if err != nil {
			return fmt.Errorf("%s: %w", *doc, err)
		}
		return os.WriteFile(*doc, []byte(updated), 0o644)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

const serverType = "Microsoft.DBforPostgreSQL/flexibleServers"

// countPgbaseline counts NonCompliant results on flexible servers and their
// child resources (configurations, firewall rules, ...) and in all, reading
// the results array one result at a time.
func countPgbaseline(r io.Reader) (onServers, total int, err error) {
	dec := json.NewDecoder(r)
	if err := seekKey(dec, "results"); err != nil {
		return 0, 0, err
	}
	for dec.More() {
		var res struct {
			ResourceType string `json:"resourceType"`
			Status       string `json:"status"`
		}
		if err := dec.Decode(&res); err != nil {
			return 0, 0, err
		}
		if res.Status == "NonCompliant" {
			total++
			if t := res.ResourceType; len(t) >= len(serverType) && strings.EqualFold(t[:len(serverType)], serverType) {
				onServers++
			}
		}
	}
	return onServers, total, nil
}

// seekKey advances dec past the opening bracket of the top-level member key.
func seekKey(dec *json.Decoder, key string) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == key {
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("%s is not an array", key)
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return fmt.Errorf("no %s member", key)
}

// countTrivy counts the failed checks of a `trivy config --format json`
// report on flexible servers and their child resources
// (azurerm_postgresql_flexible_server*) and in all.
func countTrivy(r io.Reader) (onServers, total int, err error) {
	var rep struct {
		Results []struct {
			Misconfigurations []struct {
				Status        string
				CauseMetadata struct{ Resource string }
			}
		}
	}
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return 0, 0, err
	}
	for _, res := range rep.Results {
		for _, m := range res.Misconfigurations {
			if m.Status != "FAIL" {
				continue
			}
			total++
			if strings.HasPrefix(m.CauseMetadata.Resource, "azurerm_postgresql_flexible_server") {
				onServers++
			}
		}
	}
	return onServers, total, nil
}

// measurement is one line of results.tsv: one run of one command.
type measurement struct {
	group, size, tool string
	wall, user, sys   float64
	rssKB             int
	findings, note    string
}

func (m measurement) cpu() float64 { return m.user + m.sys }
func (m measurement) servers() int { n, _ := strconv.Atoi(m.size); return n }

func readResults(path string) ([]measurement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []measurement
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 9 {
			f = append(f, "")
		}
		m := measurement{group: f[0], size: f[1], tool: f[2], findings: f[7], note: f[8]}
		var errs [4]error
		m.wall, errs[0] = strconv.ParseFloat(f[3], 64)
		m.user, errs[1] = strconv.ParseFloat(f[4], 64)
		m.sys, errs[2] = strconv.ParseFloat(f[5], 64)
		m.rssKB, errs[3] = strconv.Atoi(f[6])
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// runs are the runs of one command at one size, in the order they were
// taken: the i-th runs of two commands at a size were taken in the same
// round, back to back.
type runs []measurement

func (r runs) values(f func(measurement) float64) []float64 {
	out := make([]float64, len(r))
	for i, m := range r {
		out[i] = f(m)
	}
	return out
}

func (r runs) walls() []float64 { return r.values(func(m measurement) float64 { return m.wall }) }
func (r runs) cpus() []float64  { return r.values(measurement.cpu) }
func (r runs) rss() []float64 {
	return r.values(func(m measurement) float64 { return float64(m.rssKB) })
}

func (r runs) wall() measure.Summary  { return measure.Summarize(r.walls()) }
func (r runs) cpu() measure.Summary   { return measure.Summarize(r.cpus()) }
func (r runs) rssKB() measure.Summary { return measure.Summarize(r.rss()) }

// last is the last run (findings and notes are the same in every run).
func (r runs) last() measurement {
	if len(r) == 0 {
		return measurement{}
	}
	return r[len(r)-1]
}

// pick returns the runs of a group and tool keyed by size.
func pick(ms []measurement, group, tool string) map[string]runs {
	out := map[string]runs{}
	for _, m := range ms {
		if m.group == group && m.tool == tool {
			out[m.size] = append(out[m.size], m)
		}
	}
	return out
}

// sizes returns the group's sizes, numeric ones in numeric order.
func sizes(ms []measurement, group string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		if m.group == group && !seen[m.size] {
			seen[m.size] = true
			out = append(out, m.size)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, errA := strconv.Atoi(out[i])
		b, errB := strconv.Atoi(out[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return false
	})
	return out
}

// yardstick is the command every export measurement is compared with.
const yardstick = "decode"

// unsteady checks the yardstick's runs at each export size (or only at
// size, when it is not empty) and returns a sentence for each size where
// the spread, (max - min) / median, of its wall or CPU time exceeds
// maxSpread. A size with a single run has no spread and passes.
func unsteady(ms []measurement, size string, maxSpread float64) []string {
	var out []string
	dec := pick(ms, "export", yardstick)
	for _, s := range sizes(ms, "export") {
		if size != "" && s != size {
			continue
		}
		r := dec[s]
		if len(r) == 0 {
			out = append(out, fmt.Sprintf("at %s servers there is no %s run to compare with", thousands(r.last().servers()), yardstick))
			continue
		}
		for _, k := range []struct {
			what string
			sum  measure.Summary
		}{{"wall", steadySummary(r.walls())}, {"CPU", steadySummary(r.cpus())}} {
			if sp := k.sum.Spread(); sp > maxSpread {
				over := fmt.Sprintf("%d runs", k.sum.N)
				if k.sum.N < len(r) {
					over = fmt.Sprintf("the middle %d of %d runs", k.sum.N, len(r))
				}
				out = append(out, fmt.Sprintf("at %s servers the %s's %s time spreads %.0f%% (%s–%s s over %s, median %s s), above %.0f%%",
					thousands(r.last().servers()), yardstick, k.what, 100*sp, secs(k.sum.Min), secs(k.sum.Max), over, secs(k.sum.Median), 100*maxSpread))
			}
		}
	}
	return out
}

// steadySummary is the summary the spread rule judges: from 7 runs up, the
// fastest and the slowest run are left out (as bench/guard does), so that
// one run disturbed by the machine does not void the others; below 7 runs,
// every run counts.
func steadySummary(xs []float64) measure.Summary {
	if len(xs) >= 7 {
		return measure.Summarize(measure.Trim(xs, 1))
	}
	return measure.Summarize(xs)
}

// checkErr is unsteady's sentences as one error, or nil.
func checkErr(ms []measurement, size string, maxSpread float64) error {
	u := unsteady(ms, size, maxSpread)
	if len(u) == 0 {
		return nil
	}
	return fmt.Errorf("%w, so these runs are not a measurement: %s; measure again on a quiet machine", errUnsteady, strings.Join(u, "; "))
}

// summarize writes a line per command at each export size (or only at
// size): min / median / max of wall and CPU time, spreads and ratios.
func summarize(w io.Writer, ms []measurement, size string) {
	dec := pick(ms, "export", yardstick)
	for _, s := range sizes(ms, "export") {
		if size != "" && s != size {
			continue
		}
		for _, tool := range exportTools {
			r := pick(ms, "export", tool.name)[s]
			if len(r) == 0 {
				continue
			}
			line := fmt.Sprintf("export %s %-10s %d runs: wall %s s (spread %s), CPU %s s (spread %s), RSS %s",
				s, tool.name, len(r), minMedMax(r.wall()), pct(r.wall().Spread()), minMedMax(r.cpu()), pct(r.cpu().Spread()), mb(int(r.rssKB().Median)))
			if tool.name != yardstick {
				line += fmt.Sprintf("; ÷ %s: wall %s, CPU %s", yardstick, ratioCell(r, dec[s], runs.walls), ratioCell(r, dec[s], runs.cpus))
			}
			fmt.Fprintln(w, line)
		}
	}
}

// exportTools are the commands of the export table, in its order.
var exportTools = []struct{ name, label string }{
	{yardstick, "`jsondecode` (the yardstick)"},
	{"pgbaseline", "`pgbaseline scan --format json -o FILE`"},
	{"null", "the same, `-o /dev/null`"},
}

// secs formats seconds: three decimals below 10 s, two above.
func secs(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.3f", s)
	}
	return fmt.Sprintf("%.2f", s)
}

func minMedMax(s measure.Summary) string {
	if s.N == 1 {
		return secs(s.Median)
	}
	return secs(s.Min) + " / " + secs(s.Median) + " / " + secs(s.Max)
}

func pct(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

// ratioCell is a's median over b's, then the median and range of the
// ratios of the runs taken in the same round: "0.85× (0.84×, 0.80–0.88)".
func ratioCell(a, b runs, f func(runs) []float64) string {
	am, bm := measure.Summarize(f(a)).Median, measure.Summarize(f(b)).Median
	if bm == 0 || len(a) == 0 {
		return ""
	}
	cell := fmt.Sprintf("%.2f×", am/bm)
	if pairs := measure.Summarize(measure.Ratios(f(a), f(b))); pairs.N > 1 {
		cell += fmt.Sprintf(" (%.2f×, %.2f–%.2f)", pairs.Median, pairs.Min, pairs.Max)
	}
	return cell
}

func mb(kb int) string { return fmt.Sprintf("%d MiB", (kb+512)/1024) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// minRuns is the number of rounds below which the document says that a
// size had fewer.
const minRuns = 5

func renderMarkdown(ms []measurement, machine, chart string, maxSpread float64) string {
	var b strings.Builder
	b.WriteString("<!-- Generated by bench/run.sh (bench/benchdoc); edit the script, not this section. -->\n\n")
	if machine != "" {
		fmt.Fprintf(&b, "Measured on %s.\n\n", machine)
	}
	if sz := sizes(ms, "export"); len(sz) > 0 {
		dec := pick(ms, "export", yardstick)
		b.WriteString("### Fleet exports: `pgbaseline scan` against one `encoding/json` decode\n\n")
		b.WriteString("| servers | export | command | runs | wall (s): min / median / max | CPU (s): min / median / max | peak RSS (median) | spread: wall, CPU | wall ÷ decode | CPU ÷ decode | memory ÷ decode | s per 1,000 servers |\n")
		b.WriteString("|---:|---|---|---:|---|---|---:|---|---|---|---:|---:|\n")
		var few []string
		for _, s := range sz {
			first := true
			for _, tool := range exportTools {
				r := pick(ms, "export", tool.name)[s]
				if len(r) == 0 {
					continue
				}
				n := r.last().servers()
				servers, export := "", ""
				if first {
					servers, export = thousands(n), r.last().note
					if len(r) < minRuns {
						few = append(few, fmt.Sprintf("%s (%d)", thousands(n), len(r)))
					}
				}
				first = false
				wallRatio, cpuRatio, memRatio := "—", "—", "—"
				if tool.name != yardstick {
					wallRatio, cpuRatio = ratioCell(r, dec[s], runs.walls), ratioCell(r, dec[s], runs.cpus)
					if d := dec[s].rssKB().Median; d > 0 {
						memRatio = fmt.Sprintf("%.2f×", r.rssKB().Median/d)
					}
				}
				per := ""
				if n > 0 {
					per = fmt.Sprintf("%.3f", r.wall().Median/float64(n)*1000)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s | %s, %s | %s | %s | %s | %s |\n",
					servers, export, tool.label, len(r), minMedMax(r.wall()), minMedMax(r.cpu()), mb(int(r.rssKB().Median)),
					pct(r.wall().Spread()), pct(r.cpu().Spread()), wallRatio, cpuRatio, memRatio, per)
			}
		}
		fmt.Fprintf(&b, "\nEach size: the export read once and each command run once untimed (a warm page cache), then rounds of the three commands back to back in the order shown; min / median / max over the rounds. CPU is user + system time: on 2 cores a process that keeps both busy shows about twice its wall time. Spread is (max − min) ÷ median; the decode's, at every size, is at most %.0f%% in both wall and CPU time, or `bench/run.sh` writes nothing. A ratio is the ratio of the medians, then in brackets the median and range of each round's own ratio (a command's run over the decode's run of the same round).\n", 100*maxSpread)
		if len(few) > 0 {
			fmt.Fprintf(&b, "\nFewer than %d rounds (servers, rounds): %s.\n", minRuns, strings.Join(few, ", "))
		}
		b.WriteString("\nThe report is written to a file on `/dev/shm` (memory-backed, so that the disk's write-back of earlier runs' reports does not disturb the timings), and again to `/dev/null`. The report is about 12 times the export: at 100,000 servers 6.3 GB, whose storing costs the kernel more than the scan itself.\n")
		fmt.Fprintf(&b, "\n![Wall time (median, bars from min to max) and peak memory against fleet size](%s)\n\n", chartRef(chart))
	}
	if sz := sizes(ms, "terraform"); len(sz) > 0 {
		pgb, tri := pick(ms, "terraform", "pgbaseline"), pick(ms, "terraform", "trivy")
		b.WriteString("### Terraform: `pgbaseline scan` against `trivy config`\n\n")
		b.WriteString("| servers | runs | pgbaseline: wall / CPU / peak RSS | pgbaseline findings: on servers (all) | trivy: wall / CPU / peak RSS | trivy failed checks: on servers (all) | speed-up |\n|---:|---:|---|---|---|---|---:|\n")
		for _, s := range sz {
			p, t := pgb[s], tri[s]
			trivy, tf, speed := "not run", "", ""
			if len(t) > 0 {
				trivy, tf, speed = medians(t), findings(t.last().findings), fmt.Sprintf("%.1f×", ratio(t.wall().Median, p.wall().Median))
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", thousands(p.last().servers()), len(p), medians(p), findings(p.last().findings), trivy, tf, speed)
		}
		b.WriteString("\npgbaseline's findings are NonCompliant results; Trivy's are FAIL misconfigurations; \"on servers\" counts those on flexible servers and their child resources (`azurerm_postgresql_flexible_server*`: configurations, firewall rules, ...). With more than one run, the medians; the two tools run in turn.\n\n")
	}
	if sz := sizes(ms, "single"); len(sz) > 0 {
		b.WriteString("### One server's files, end to end (pre-commit)\n\n| input | wall (mean ± σ) | peak RSS |\n|---|---|---|\n")
		for _, s := range sz {
			for _, m := range ms {
				if m.group == "single" && m.size == s {
					spread := "± " + m.note
					if !strings.HasSuffix(m.note, " ms") {
						spread = "(" + m.note + ")" // "1 run" without hyperfine
					}
					fmt.Fprintf(&b, "| `%s` | %.0f ms %s | %s |\n", s, m.wall*1000, spread, mb(m.rssKB))
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// medians is "wall / CPU / peak RSS", each the median of the runs.
func medians(r runs) string {
	return fmt.Sprintf("%.2f s / %.2f s / %s", r.wall().Median, r.cpu().Median, mb(int(r.rssKB().Median)))
}

func findings(s string) string {
	f := strings.Fields(s)
	if len(f) == 2 {
		return f[0] + " (" + f[1] + ")"
	}
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// chartRef is the chart's path relative to docs/.
func chartRef(chart string) string {
	if i := strings.LastIndex(chart, "/"); i >= 0 {
		return chart[i+1:]
	}
	return chart
}

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// splice replaces the text between the markers, or appends the markers and
// the section when the document has none.
func splice(doc, section string) (string, error) {
	i, j := strings.Index(doc, beginMarker), strings.Index(doc, endMarker)
	switch {
	case i < 0 && j < 0:
		return strings.TrimRight(doc, "\n") + "\n\n" + beginMarker + "\n" + section + endMarker + "\n", nil
	case i < 0 || j < i:
		return "", errors.New("the bench:begin and bench:end markers are missing or out of order")
	}
	return doc[:i+len(beginMarker)] + "\n" + section + doc[j:], nil
}
