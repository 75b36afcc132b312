package measure

import (
	"math"
	"os/exec"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want Summary
	}{
		{nil, Summary{}},
		{[]float64{2}, Summary{1, 2, 2, 2}},
		{[]float64{3, 1, 2}, Summary{3, 1, 2, 3}},
		{[]float64{4, 1, 3, 2}, Summary{4, 1, 2.5, 4}},
		{[]float64{1.2, 1.0, 1.1, 5.0, 1.15}, Summary{5, 1.0, 1.15, 5.0}},
	} {
		if got := Summarize(c.in); got != c.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
	in := []float64{3, 1, 2}
	Summarize(in)
	if in[0] != 3 {
		t.Error("Summarize sorted its argument")
	}
}

func TestSpread(t *testing.T) {
	if got := Summarize([]float64{1.0, 1.1, 1.2}).Spread(); math.Abs(got-0.2/1.1) > 1e-12 {
		t.Errorf("Spread = %v", got)
	}
	if got := Summarize([]float64{1.0}).Spread(); !math.IsNaN(got) {
		t.Errorf("Spread of one run = %v, want NaN", got)
	}
}

func TestTrim(t *testing.T) {
	if got := Trim([]float64{5, 1, 3, 2, 4}, 1); len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Errorf("Trim = %v", got)
	}
	if got := Trim([]float64{2, 1}, 1); len(got) != 2 {
		t.Errorf("Trim of 2 by 1 = %v, want both", got)
	}
}

func TestRatios(t *testing.T) {
	got := Ratios([]float64{2, 3, 4, 9}, []float64{1, 0, 2})
	if len(got) != 2 || got[0] != 2 || got[1] != 2 {
		t.Errorf("Ratios = %v", got)
	}
}

func TestRun(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A busy loop, so that some CPU time shows.
	s, err := Run(nil, nil, sh, "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done")
	if err != nil {
		t.Fatal(err)
	}
	if s.Wall <= 0 || s.CPU() <= 0 || s.CPU() > s.Wall+50*time.Millisecond {
		t.Errorf("sample %+v: want positive wall and CPU, CPU within wall", s)
	}
	if s.MaxRSSKB <= 0 {
		t.Errorf("MaxRSSKB = %d", s.MaxRSSKB)
	}
	if _, err := Run(nil, nil, sh, "-c", "exit 3"); err == nil {
		t.Error("a failing command: want an error")
	}
}
