package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"sort"
)

// series is one line of a panel: a point (x, y) per size and, where lo and
// hi are set, a bar from lo to hi through it (the fastest and slowest runs).
type series struct {
	name   string
	color  color.RGBA
	x, y   []float64
	lo, hi []float64
}

var (
	white = color.RGBA{255, 255, 255, 255}
	ink   = color.RGBA{40, 40, 40, 255}
	grid  = color.RGBA{225, 225, 225, 255}
	blue  = color.RGBA{21, 101, 192, 255}
	gray  = color.RGBA{120, 120, 120, 255}
	green = color.RGBA{46, 125, 50, 255}
)

// writeChart draws the export measurements as two line charts side by side,
// wall time (the median, with a bar from the fastest run to the slowest)
// and peak memory (the median) against the number of servers, for
// pgbaseline and the decode.
func writeChart(path string, ms []measurement) error {
	var time, mem []series
	for _, tool := range []struct {
		name string
		c    color.RGBA
	}{{"pgbaseline", blue}, {"null", green}, {"decode", gray}} {
		byServers := pick(ms, "export", tool.name)
		var keys []string
		for k := range byServers {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return byServers[keys[i]].last().servers() < byServers[keys[j]].last().servers() })
		if len(keys) == 0 {
			continue
		}
		label := map[string]string{"pgbaseline": "pgbaseline scan", "null": "pgbaseline, report to /dev/null", "decode": "encoding/json decode"}[tool.name]
		t, m := series{name: label, color: tool.c}, series{name: label, color: tool.c}
		for _, k := range keys {
			r := byServers[k]
			x, wall := float64(r.last().servers()), r.wall()
			t.x, t.y = append(t.x, x), append(t.y, wall.Median)
			t.lo, t.hi = append(t.lo, wall.Min), append(t.hi, wall.Max)
			m.x, m.y = append(m.x, x), append(m.y, r.rssKB().Median/1024)
		}
		time, mem = append(time, t), append(mem, m)
	}
	const w, h = 1400, 620
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	title := "PGBASELINE SCAN (EVERY RULE, JSON REPORT) AND ONE ENCODING/JSON DECODE OF THE SAME EXPORT"
	drawText(img, (w-textWidth(title, 2))/2, 14, title, 2, ink)
	panel(img, image.Rect(0, 40, w/2, h), "WALL TIME (S): MEDIAN, BARS MIN TO MAX", time)
	panel(img, image.Rect(w/2, 40, w, h), "PEAK MEMORY (MIB): MEDIAN", mem)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// panel draws one line chart with axes, ticks, labels, points and a legend
// into r.
func panel(img *image.RGBA, r image.Rectangle, ylabel string, ss []series) {
	left, right, top, bottom := r.Min.X+90, r.Max.X-30, r.Min.Y+40, r.Max.Y-70
	var xmax, ymax float64
	for _, s := range ss {
		for i := range s.x {
			xmax, ymax = math.Max(xmax, s.x[i]), math.Max(ymax, s.y[i])
		}
		for _, y := range s.hi {
			ymax = math.Max(ymax, y)
		}
	}
	if xmax == 0 || ymax == 0 {
		return
	}
	xstep, ystep := niceStep(xmax), niceStep(ymax)
	xmax, ymax = math.Ceil(xmax/xstep)*xstep, math.Ceil(ymax/ystep)*ystep
	px := func(x float64) int { return left + int(x/xmax*float64(right-left)) }
	py := func(y float64) int { return bottom - int(y/ymax*float64(bottom-top)) }
	for y := 0.0; y <= ymax+ystep/2; y += ystep {
		line(img, left, py(y), right, py(y), grid, 1)
		lbl := trimFloat(y)
		drawText(img, left-10-textWidth(lbl, 2), py(y)-7, lbl, 2, ink)
	}
	for x := 0.0; x <= xmax+xstep/2; x += xstep {
		line(img, px(x), bottom, px(x), bottom+6, ink, 1)
		lbl := trimFloat(x / 1000)
		if x > 0 {
			lbl += "K"
		}
		drawText(img, px(x)-textWidth(lbl, 2)/2, bottom+12, lbl, 2, ink)
	}
	line(img, left, top, left, bottom, ink, 2)
	line(img, left, bottom, right, bottom, ink, 2)
	drawText(img, left, r.Min.Y+10, ylabel, 2, ink)
	xl := "SERVERS IN THE EXPORT"
	drawText(img, (left+right-textWidth(xl, 2))/2, bottom+40, xl, 2, ink)
	for i, s := range ss {
		for j := range s.x {
			if j > 0 {
				line(img, px(s.x[j-1]), py(s.y[j-1]), px(s.x[j]), py(s.y[j]), s.color, 3)
			}
			dot(img, px(s.x[j]), py(s.y[j]), 5, s.color)
			if j < len(s.lo) && j < len(s.hi) && s.hi[j] > s.lo[j] {
				x := px(s.x[j]) + 6*(i-1) // side by side, not on top of each other
				line(img, x, py(s.lo[j]), x, py(s.hi[j]), s.color, 2)
				line(img, x-6, py(s.lo[j]), x+6, py(s.lo[j]), s.color, 2)
				line(img, x-6, py(s.hi[j]), x+6, py(s.hi[j]), s.color, 2)
			}
			if j == len(s.x)-1 {
				v := trimFloat(math.Round(s.y[j]*10) / 10)
				if s.y[j] >= 100 {
					v = trimFloat(math.Round(s.y[j]))
				}
				drawText(img, px(s.x[j])-textWidth(v, 2)-8, py(s.y[j])-22, v, 2, s.color)
			}
		}
		lx, ly := left+20, top+10+i*24
		line(img, lx, ly+7, lx+30, ly+7, s.color, 3)
		drawText(img, lx+40, ly, s.name, 2, s.color)
	}
}

// niceStep picks a tick step of 1, 2 or 5 times a power of ten giving four
// to ten ticks.
func niceStep(max float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(max)))
	for _, m := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10} {
		if max/(m*p) <= 8 {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s
}

// line draws a line of the given width (Bresenham, with a square pen).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, width int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		for i := -width / 2; i <= (width-1)/2; i++ {
			for j := -width / 2; j <= (width-1)/2; j++ {
				img.SetRGBA(x0+i, y0+j, c)
			}
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func dot(img *image.RGBA, x, y, r int, c color.RGBA) {
	for i := -r; i <= r; i++ {
		for j := -r; j <= r; j++ {
			if i*i+j*j <= r*r {
				img.SetRGBA(x+i, y+j, c)
			}
		}
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}
