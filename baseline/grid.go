package baseline

import (
	"strings"
	"unicode/utf8"
)

// grid is a text table whose cells wrap instead of being cut: the flex
// columns shrink, in order, until the rows fit the width, and a cell that
// no longer fits on one line continues on the next lines of its row.
// Group lines (a control, a feature) run across the whole width, after a
// blank line.
type grid struct {
	heads  []string
	flex   []int  // the columns that may shrink, in the order they do
	indent string // before every row (not before group lines)
	lines  []gridLine
}

type gridLine struct {
	group string   // a group line when cells is nil
	cells []string // a row
	after string   // text under the row, wrapped and indented (see under)
}

// minFlex is the narrowest a flex column becomes.
const minFlex = 16

// group adds a line across the table.
func (g *grid) group(text string) { g.lines = append(g.lines, gridLine{group: text}) }

// row adds a row of cells, one per head.
func (g *grid) row(cells ...string) { g.lines = append(g.lines, gridLine{cells: cells}) }

// under sets text written under the last row, wrapped and indented by
// afterIndent.
func (g *grid) under(text string) { g.lines[len(g.lines)-1].after = text }

func (g *grid) afterIndent() string { return g.indent + "    " }

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// widths are the columns' natural widths, shrunk to fit width (0: no
// limit), and the total.
func (g *grid) widths(width int) (int, []int) {
	ws := make([]int, len(g.heads))
	for i, h := range g.heads {
		ws[i] = runeLen(h)
	}
	for _, l := range g.lines {
		for i, c := range l.cells {
			ws[i] = max(ws[i], runeLen(c))
		}
	}
	total := runeLen(g.indent) + 2*(len(ws)-1)
	for _, w := range ws {
		total += w
	}
	if width > 0 {
		for _, col := range g.flex {
			if total <= width {
				break
			}
			nw := max(minFlex, ws[col]-(total-width))
			if nw < ws[col] {
				total -= ws[col] - nw
				ws[col] = nw
			}
		}
	}
	return total, ws
}

// write renders the grid to b at width (0: no limit).
func (g *grid) write(b *strings.Builder, width int) {
	_, ws := g.widths(width)
	g.writeRow(b, g.heads, ws)
	for _, l := range g.lines {
		if l.cells == nil {
			b.WriteString("\n" + wrap(l.group, width, "") + "\n")
			continue
		}
		g.writeRow(b, l.cells, ws)
		if l.after != "" {
			b.WriteString(wrap(l.after, width, g.afterIndent()) + "\n")
		}
	}
}

func (g *grid) writeRow(b *strings.Builder, cells []string, ws []int) {
	cols := make([][]string, len(cells))
	n := 1
	for i, c := range cells {
		cols[i] = wrapCell(c, ws[i])
		n = max(n, len(cols[i]))
	}
	for k := 0; k < n; k++ {
		var line strings.Builder
		line.WriteString(g.indent)
		for i := range cells {
			var part string
			if k < len(cols[i]) {
				part = cols[i][k]
			}
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(part)
			if i < len(cells)-1 {
				line.WriteString(strings.Repeat(" ", max(0, ws[i]-runeLen(part))))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// wrapCell breaks a cell into lines of at most w runes at spaces; a word
// longer than w is split.
func wrapCell(s string, w int) []string {
	if runeLen(s) <= w || w <= 0 {
		return []string{s}
	}
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		if cur != "" && runeLen(cur)+1+runeLen(word) > w {
			out = append(out, cur)
			cur = ""
		}
		for cur == "" && runeLen(word) > w {
			r := []rune(word)
			out = append(out, string(r[:w]))
			word = string(r[w:])
		}
		if cur != "" {
			cur += " "
		}
		cur += word
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// hang is prefix followed by text wrapped to width, its later lines
// indented to the end of the prefix (or by 8 when the prefix leaves too
// little room). Nothing is cut.
func hang(prefix, text string, width int) string {
	if width <= 0 || runeLen(prefix)+runeLen(text) <= width {
		return prefix + text
	}
	ind := runeLen(prefix)
	if width-ind < 24 {
		ind = 8
	}
	first := width - runeLen(prefix)
	if first < 12 { // the text starts on the next line
		pad := strings.Repeat(" ", ind)
		return strings.TrimRight(prefix, " ") + "\n" + pad + strings.ReplaceAll(hang("", text, width-ind), "\n", "\n"+pad)
	}
	var b strings.Builder
	b.WriteString(prefix)
	cur, room, started := "", first, false
	flush := func() {
		if started {
			b.WriteString("\n" + strings.Repeat(" ", ind))
		}
		b.WriteString(cur)
		started, cur, room = true, "", width-ind
	}
	for _, word := range strings.Fields(text) {
		if cur != "" && runeLen(cur)+1+runeLen(word) > room {
			flush()
		}
		if cur != "" {
			cur += " "
		}
		cur += word
	}
	if cur != "" {
		flush()
	}
	return b.String()
}
