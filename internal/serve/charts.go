package serve

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// The dashboard's charts are inline SVG whose geometry is computed here;
// the templates only place numbers into attributes, and the colours come
// from the stylesheet by status class.

// segment is one status's part of a stacked bar.
type segment struct {
	Status report.Status
	X, W   float64
	N      int
}

// barWidth is the width, in SVG units, of a stacked bar.
const barWidth = 300.0

// stack lays counts out as a stacked bar of barWidth, in report order,
// leaving out empty statuses.
func stack(counts map[report.Status]int) []segment {
	total := 0
	for _, st := range report.Statuses {
		total += counts[st]
	}
	if total == 0 {
		return nil
	}
	var out []segment
	x := 0.0
	for _, st := range report.Statuses {
		n := counts[st]
		if n == 0 {
			continue
		}
		w := barWidth * float64(n) / float64(total)
		out = append(out, segment{Status: st, X: round2(x), W: round2(w), N: n})
		x += w
	}
	return out
}

// arc is one status's arc of the donut.
type arc struct {
	Status         report.Status
	Dash, Gap, Rot float64
	N              int
	Percent        string
}

// donutRadius gives a circumference of 100 units, so dash lengths are
// percentages.
const donutRadius = 15.915494309189533

// donut lays a summary out as arcs of a circle whose circumference is 100.
func donut(sum report.Summary) []arc {
	counts := sum.Counts()
	total := sum.Total
	if total == 0 {
		return nil
	}
	var out []arc
	offset := 0.0
	for _, st := range report.Statuses {
		n := counts[st]
		if n == 0 {
			continue
		}
		p := 100 * float64(n) / float64(total)
		out = append(out, arc{Status: st, Dash: round2(p), Gap: round2(100 - p), Rot: round2(offset*3.6 - 90), N: n,
			Percent: fmt.Sprintf("%.0f%%", p)})
		offset += p
	}
	return out
}

// lineChart is the trend chart's geometry.
type lineChart struct {
	W, H          float64
	Left, Top     float64
	Right, Bottom float64
	Series        []series
	YTicks        []tick
	XTicks        []tick
}

type series struct {
	Name   string
	Class  string
	Points string
	Dots   []dot
}

type dot struct {
	X, Y  float64
	Label string
	Href  string
}

type tick struct {
	Pos   float64
	Label string
}

// trendChart plots each target's compliance over time.
func trendChart(points []store.TrendPoint, since, until time.Time) lineChart {
	c := lineChart{W: 720, H: 260, Left: 48, Top: 12, Right: 700, Bottom: 228}
	for _, v := range []float64{0, 25, 50, 75, 100} {
		c.YTicks = append(c.YTicks, tick{Pos: c.y(v), Label: fmt.Sprintf("%.0f%%", v)})
	}
	span := until.Sub(since)
	if span <= 0 {
		span = time.Hour
	}
	x := func(t time.Time) float64 {
		return round2(c.Left + (c.Right-c.Left)*float64(t.Sub(since))/float64(span))
	}
	for i := 0; i <= 4; i++ {
		t := since.Add(span * time.Duration(i) / 4)
		c.XTicks = append(c.XTicks, tick{Pos: x(t), Label: t.Format("Jan 2")})
	}
	byTarget := map[string]int{}
	for _, p := range points {
		i, ok := byTarget[p.Target]
		if !ok {
			i = len(c.Series)
			byTarget[p.Target] = i
			c.Series = append(c.Series, series{Name: p.Target, Class: fmt.Sprintf("series-%d", i%6)})
		}
		v, ok := report.Compliance(p.Summary.Counts())
		if !ok {
			continue // nothing decided: no share to plot, not 100%
		}
		d := dot{X: x(p.FinishedAt), Y: c.y(v), Href: "/scans/" + p.ScanID,
			Label: fmt.Sprintf("%s %s: %.1f%% compliant, %d non-compliant", p.Target, p.FinishedAt.Format("2006-01-02 15:04"), v, p.Summary.NonCompliant)}
		c.Series[i].Dots = append(c.Series[i].Dots, d)
	}
	for i := range c.Series {
		var b strings.Builder
		for j, d := range c.Series[i].Dots {
			if j > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%g,%g", d.X, d.Y)
		}
		c.Series[i].Points = b.String()
	}
	return c
}

func (c lineChart) y(v float64) float64 {
	return round2(c.Bottom - (c.Bottom-c.Top)*v/100)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// severityChart plots the fleet's failing results by severity, one line
// per severity, one step per scan (evenly spaced: the scans, not the
// clock, are what changed the counts).
func severityChart(points []sevPoint) lineChart {
	c := lineChart{W: 720, H: 220, Left: 48, Top: 12, Right: 700, Bottom: 188}
	top := 0
	for _, p := range points {
		for _, n := range p.BySeverity {
			top = max(top, n)
		}
	}
	top = niceCeil(top)
	y := func(v int) float64 { return round2(c.Bottom - (c.Bottom-c.Top)*float64(v)/float64(top)) }
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		c.YTicks = append(c.YTicks, tick{Pos: y(v), Label: fmt.Sprint(v)})
	}
	x := func(i int) float64 {
		if len(points) < 2 {
			return round2((c.Left + c.Right) / 2)
		}
		return round2(c.Left + (c.Right-c.Left)*float64(i)/float64(len(points)-1))
	}
	for i, p := range points {
		if i == 0 || i == len(points)-1 || (len(points) > 4 && i == len(points)/2) {
			c.XTicks = append(c.XTicks, tick{Pos: x(i), Label: p.FinishedAt.Format("Jan 2 15:04")})
		}
	}
	for _, sev := range severities {
		s := series{Name: string(sev), Class: "sev-line sev-" + string(sev)}
		var b strings.Builder
		for i, p := range points {
			n := p.BySeverity[sev]
			d := dot{X: x(i), Y: y(n), Href: "/scans/" + p.ScanID,
				Label: fmt.Sprintf("after %s scan %s (%s): %d %s failing", p.Target, p.ScanID, p.FinishedAt.Format("2006-01-02 15:04"), n, sev)}
			s.Dots = append(s.Dots, d)
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%g,%g", d.X, d.Y)
		}
		s.Points = b.String()
		c.Series = append(c.Series, s)
	}
	return c
}

// niceCeil rounds n up to 4, 8, 20, 40, 80, ... times a power of ten
// (at least 4), so the four grid steps are whole numbers.
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	for step := 1; ; step *= 10 {
		for _, m := range []int{4, 8, 20} {
			if m*step >= n {
				return m * step
			}
		}
	}
}
