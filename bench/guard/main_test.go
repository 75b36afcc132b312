package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/bench/internal/measure"
)

// fake runs no process: the i-th call of the decode (counting the warm-up)
// takes decode(i) seconds of CPU, the scan scan(i).
func fake(decode, scan func(i int) float64) (func([]string) (measure.Sample, error), *int) {
	var nd, ns int
	return func(argv []string) (measure.Sample, error) {
		var cpu float64
		switch filepath.Base(argv[0]) {
		case "jsondecode":
			cpu = decode(nd)
			nd++
		case "pgbaseline":
			cpu = scan(ns)
			ns++
		}
		d := time.Duration(cpu * float64(time.Second))
		return measure.Sample{Wall: d, User: d * 9 / 10, Sys: d / 10, MaxRSSKB: 1000}, nil
	}, &nd
}

func steady(v float64) func(int) float64 {
	return func(i int) float64 { return v * (1 + 0.01*float64(i%3)) }
}

// noisy alternates v and twice v: a 67% spread.
func noisy(v float64) func(int) float64 {
	return func(i int) float64 { return v * float64(1+i%2) }
}

type outcome struct {
	code           int
	stdout, stderr string
}

func guardRun(t *testing.T, baseline string, decode, scan func(int) float64, args ...string) (outcome, int) {
	t.Helper()
	runner, calls := fake(decode, scan)
	var out, errOut bytes.Buffer
	args = append([]string{"-servers", "10", "-baseline", baseline, "-work", t.TempDir(),
		"-pgbaseline", "/fake/pgbaseline", "-jsondecode", "/fake/jsondecode"}, args...)
	code := run(args, &out, &errOut, runner)
	return outcome{code, out.String(), errOut.String()}, *calls
}

func TestGuard(t *testing.T) {
	t.Setenv("UPDATE", "")
	t.Setenv("GOMAXPROCS", os.Getenv("GOMAXPROCS")) // the guard sets it for its commands; put it back
	base := filepath.Join(t.TempDir(), "baseline.json")

	// No baseline yet.
	if o, _ := guardRun(t, base, steady(0.1), steady(0.3)); o.code != 2 || !strings.Contains(o.stderr, "-update") {
		t.Errorf("without a baseline: %+v", o)
	}

	// -update -provisional writes one: the scan costs 3 decodes.
	o, _ := guardRun(t, base, steady(0.1), steady(0.3), "-update", "-provisional")
	if o.code != 0 || !strings.Contains(o.stdout, "wrote "+base+" (provisional): CPU ratio 3.000") {
		t.Fatalf("-update: %+v", o)
	}
	var b Baseline
	data, _ := os.ReadFile(base)
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if !b.Provisional || b.Servers != 10 || b.Pairs != 7 || b.CPURatio != 3 || b.Machine == "" || b.Date == "" ||
		!strings.Contains(b.Note, "Provisional") || b.ScanCPUPerServerMs < 30 || b.ScanCPUPerServerMs > 31 {
		t.Errorf("baseline: %+v", b)
	}

	// 10% worse: within the 25%.
	if o, _ := guardRun(t, base, steady(0.1), steady(0.33)); o.code != 0 || !strings.Contains(o.stdout, "ok: CPU ratio 3.300") ||
		!strings.Contains(o.stdout, "1.10×") || !strings.Contains(o.stdout, "PROVISIONAL") {
		t.Errorf("10%% worse: %+v", o)
	}
	// 33% worse: a regression.
	if o, _ := guardRun(t, base, steady(0.1), steady(0.4)); o.code != 1 || !strings.Contains(o.stderr, "REGRESSION") || !strings.Contains(o.stderr, "1.33×") {
		t.Errorf("33%% worse: %+v", o)
	}
	// Much better: passes, and suggests a new baseline.
	if o, _ := guardRun(t, base, steady(0.1), steady(0.15)); o.code != 0 || !strings.Contains(o.stdout, "much cheaper") {
		t.Errorf("twice as fast: %+v", o)
	}

	// A yardstick that moves: three attempts, then inconclusive, passing
	// with a warning, even though the ratio looks like a regression.
	o, calls := guardRun(t, base, noisy(0.1), steady(0.6))
	if o.code != 0 || !strings.Contains(o.stderr, "warning: INCONCLUSIVE") || !strings.Contains(o.stderr, "passing without a verdict") ||
		!strings.Contains(o.stdout, "inconclusive, passed with a warning") || strings.Count(o.stdout, "NOT steady") != 3 || strings.Contains(o.stderr, "REGRESSION") {
		t.Errorf("noisy yardstick: %+v", o)
	}
	if calls != 1+3*7 {
		t.Errorf("noisy yardstick: %d decodes, want the warm-up and 3 attempts of 7", calls)
	}
	// One odd pair (a decode twice as slow) is not noise enough to retry.
	odd := func(i int) float64 {
		if i == 3 {
			return 0.2
		}
		return 0.1
	}
	if o, _ := guardRun(t, base, odd, steady(0.33)); o.code != 0 || !strings.Contains(o.stdout, "ok: CPU ratio") || strings.Contains(o.stdout, "attempt 2") {
		t.Errorf("one odd pair: %+v", o)
	}
	// A noisy first attempt, then a steady one: judged on the second.
	first := noisy(0.1)
	settles := func(i int) float64 {
		if i <= 7 {
			return first(i)
		}
		return 0.1
	}
	if o, _ := guardRun(t, base, settles, steady(0.4)); o.code != 1 || !strings.Contains(o.stdout, "attempt 2:") || !strings.Contains(o.stderr, "REGRESSION") {
		t.Errorf("noisy, then steady: %+v", o)
	}
	// -update refuses to write a baseline from noise.
	before, _ := os.ReadFile(base)
	if o, _ := guardRun(t, base, noisy(0.1), steady(0.6), "-update"); o.code != 1 || !strings.Contains(o.stderr, "not writing") {
		t.Errorf("-update on noise: %+v", o)
	}
	if after, _ := os.ReadFile(base); !bytes.Equal(before, after) {
		t.Error("-update on noise changed the baseline")
	}
	// UPDATE=1 is -update; without -provisional the mark goes.
	t.Setenv("UPDATE", "1")
	if o, _ := guardRun(t, base, steady(0.1), steady(0.35)); o.code != 0 {
		t.Errorf("UPDATE=1: %+v", o)
	}
	t.Setenv("UPDATE", "")
	if data, _ := os.ReadFile(base); !strings.Contains(string(data), `"provisional": false`) || !strings.Contains(string(data), `"cpuRatio": 3.5`) {
		t.Errorf("baseline after UPDATE=1:\n%s", data)
	}

	// A baseline of another size is not compared.
	if o, _ := guardRun(t, base, steady(0.1), steady(0.3), "-servers", "20"); o.code != 2 || !strings.Contains(o.stderr, "measured at 10 servers") {
		t.Errorf("other size: %+v", o)
	}
	// Fewer than 5 pairs is refused.
	if o, _ := guardRun(t, base, steady(0.1), steady(0.3), "-pairs", "4"); o.code != 2 {
		t.Errorf("-pairs 4: %+v", o)
	}
}
