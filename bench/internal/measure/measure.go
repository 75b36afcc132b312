// Package measure times whole processes (wall time, user and system CPU
// time, peak resident set) and summarises repeated runs, for bench/run.sh
// (through bench/benchtime and bench/benchdoc) and the CI guard
// (bench/guard).
package measure

import (
	"fmt"
	"io"
	"math"
	"os/exec"
	"slices"
	"time"
)

// Sample is one run of a command.
type Sample struct {
	Wall, User, Sys time.Duration
	MaxRSSKB        int64 // peak resident set in KiB; 0 where unknown
}

// CPU is user plus system time.
func (s Sample) CPU() time.Duration { return s.User + s.Sys }

// String is "wall user sys rss": seconds with four decimals and KiB, the
// format bench/run.sh records.
func (s Sample) String() string {
	return fmt.Sprintf("%.4f %.4f %.4f %d", s.Wall.Seconds(), s.User.Seconds(), s.Sys.Seconds(), s.MaxRSSKB)
}

// Run runs argv[0] with argv[1:], its standard output and error going to
// stdout and stderr (nil discards them), and measures it. The wall time is
// taken around the start and the wait, so it includes the process's start;
// the CPU times and peak RSS are the kernel's (rusage), in microseconds, not
// the 10 ms that /usr/bin/time prints. A command that fails (non-zero exit)
// returns its sample and an error.
func Run(stdout, stderr io.Writer, argv ...string) (Sample, error) {
	if len(argv) == 0 {
		return Sample{}, fmt.Errorf("measure: no command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return Sample{}, err
	}
	s := Sample{Wall: wall, User: cmd.ProcessState.UserTime(), Sys: cmd.ProcessState.SystemTime(), MaxRSSKB: maxRSSKB(cmd.ProcessState)}
	return s, err
}

// Summary is the minimum, median and maximum of a set of values.
type Summary struct {
	N                int
	Min, Median, Max float64
}

// Summarize returns the summary of xs (the median of an even count is the
// mean of the middle two). An empty xs gives the zero Summary.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Summary{N: len(s), Min: s[0], Median: m, Max: s[len(s)-1]}
}

// Spread is (max-min)/median: 0.15 means the slowest run took 15% of the
// median longer than the fastest. It is NaN for fewer than two values or a
// zero median: no spread can be known.
func (s Summary) Spread() float64 {
	if s.N < 2 || s.Median == 0 {
		return math.NaN()
	}
	return (s.Max - s.Min) / s.Median
}

// Trim returns xs sorted, without its k smallest and k largest values (all
// of them when that would leave fewer than one).
func Trim(xs []float64, k int) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if k <= 0 || len(s)-2*k < 1 {
		return s
	}
	return s[k : len(s)-k]
}

// Ratios returns a[i]/b[i] for each pair (the shorter length wins); a pair
// whose b is 0 is left out.
func Ratios(a, b []float64) []float64 {
	var out []float64
	for i := 0; i < len(a) && i < len(b); i++ {
		if b[i] != 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// Seconds maps samples to one of their times in seconds, e.g.
// Seconds(ss, Sample.CPU).
func Seconds(ss []Sample, f func(Sample) time.Duration) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s).Seconds()
	}
	return out
}

// Wall is Sample.Wall as a function, for Seconds.
func Wall(s Sample) time.Duration { return s.Wall }
