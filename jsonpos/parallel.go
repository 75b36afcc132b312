package jsonpos

import (
	"runtime"
	"sync"
)

// parallelMin is the size in bytes above which a top-level array (the
// document itself, or a member of the top-level object such as an export's
// "value") is decoded by several goroutines.
const parallelMin = 4 << 20

// segment is a run of consecutive array elements that one goroutine
// decodes: from start up to end (exclusive; a comma, or the closing
// bracket for the last segment), beginning on line, whose first byte is at
// lineStart.
type segment struct {
	start, end      int
	line, lineStart int
}

// parallelArray decodes the array starting at d.pos (on its '[') in
// GOMAXPROCS segments at once and reports whether it did. It does nothing
// when the array is small, when only one processor is available or when a
// quick scan of the array finds it malformed, and any error while decoding
// a segment makes it give up: the caller then decodes the array
// sequentially, which reports the error with its exact position.
func (d *decoder) parallelArray(depth int) ([]any, bool) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(d.data)-d.pos < d.parallelMin {
		return nil, false
	}
	segs, closing, ok := d.split(workers)
	if !ok || len(segs) < 2 || closing-d.pos < d.parallelMin {
		return nil, false
	}
	type part struct {
		elems     []any
		line      int
		lineStart int
		tab       *table
		err       error
	}
	parts := make([]part, len(segs))
	var wg sync.WaitGroup
	for i, s := range segs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each segment records positions into a table of its own; the
			// tables join the document's index when every segment is done.
			tab := newTable((s.end - s.start) / 192)
			// An array inside the segment is decoded in parallel only if
			// it is larger still (twice the size, saturating).
			sub := &decoder{data: d.data, pos: s.start, line: s.line, lineStart: s.lineStart, idx: d.idx, tab: tab,
				parallelMin: max(d.parallelMin, d.parallelMin*2)}
			p := &parts[i]
			p.tab = tab
			for {
				sub.skipSpace()
				v, err := sub.value(depth)
				if err != nil {
					p.err = err
					return
				}
				p.elems = append(p.elems, v)
				sub.skipSpace()
				if sub.pos == s.end {
					break
				}
				if sub.pos > s.end || sub.data[sub.pos] != ',' {
					p.err = sub.errorf("unexpected %s, expected ',' or ']'", sub.describe())
					return
				}
				sub.pos++
			}
			p.line, p.lineStart = sub.line, sub.lineStart
		}()
	}
	wg.Wait()
	n := 0
	for i := range parts {
		if parts[i].err != nil {
			return nil, false
		}
		n += len(parts[i].elems)
	}
	arr := make([]any, 0, n)
	for i := range parts {
		arr = append(arr, parts[i].elems...)
	}
	d.idx.mu.Lock() // segments that held parallel arrays add their tables too
	for i := range parts {
		d.idx.tables = append(d.idx.tables, parts[i].tab)
	}
	d.idx.mu.Unlock()
	last := parts[len(parts)-1]
	d.pos, d.line, d.lineStart = closing+1, last.line, last.lineStart
	return arr, true
}

// split scans the array at d.pos without decoding it and cuts it into
// about n segments of similar size at commas between elements. It returns
// the position of the closing bracket, and false when the array is empty
// or the scan finds it malformed.
func (d *decoder) split(n int) (segs []segment, closing int, ok bool) {
	data := d.data
	first := d.pos + 1
	size := len(data) - first
	next := first + size/n // where the next cut should be, at the earliest
	segs = []segment{{start: first, line: d.line, lineStart: d.lineStart}}
	line, lineStart := d.line, d.lineStart
	depth := 0
	empty := true
	for i := first; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
			lineStart = i + 1
		case '"':
			empty = false
			for i++; i < len(data) && data[i] != '"'; i++ {
				switch data[i] {
				case '\\':
					i++
				case '\n':
					return nil, 0, false // invalid in a string: let the decoder say so
				}
			}
			if i >= len(data) {
				return nil, 0, false
			}
		case '{', '[':
			empty = false
			depth++
		case '}', ']':
			if depth == 0 {
				if c != ']' || empty {
					return nil, 0, false
				}
				segs[len(segs)-1].end = i
				return segs, i, true
			}
			depth--
		case ',':
			if depth == 0 && i >= next && len(segs) < n {
				segs[len(segs)-1].end = i
				segs = append(segs, segment{start: i + 1, line: line, lineStart: lineStart})
				next = i + 1 + size/n
			}
		case ' ', '\t', '\r':
		default:
			empty = false
		}
	}
	return nil, 0, false
}
