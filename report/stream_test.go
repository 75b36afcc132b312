package report

import (
	"io"
	"runtime"
	"testing"
)

// streamingFormats are the formats written result by result.
var streamingFormats = []Format{FormatJSON, FormatCSV, FormatSARIF, FormatJUnit}

// BenchmarkWrite100k writes 100,000 results in each streaming format;
// -benchmem shows the allocations.
func BenchmarkWrite100k(b *testing.B) {
	rep := bigReport(100_000)
	o := fixtureOptions()
	for _, f := range streamingFormats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, rep, f, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestStreamingMemory writes 100,000 results in each streaming format and
// checks that the writer's live heap stays far below the size of its output:
// the writers must not build the report a second time in memory.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000-result write skipped in -short mode")
	}
	rep := bigReport(100_000)
	o := fixtureOptions()
	for _, f := range streamingFormats {
		t.Run(string(f), func(t *testing.T) {
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			cw := &peakWriter{}
			if err := Write(cw, rep, f, o); err != nil {
				t.Fatal(err)
			}
			peak := cw.peak - before.HeapAlloc
			if cw.peak < before.HeapAlloc {
				peak = 0
			}
			t.Logf("%s: %d results, %.1f MiB written, peak extra live heap %.1f MiB", f, len(rep.Results),
				float64(cw.n)/(1<<20), float64(peak)/(1<<20))
			// A writer that held its whole output would need at least cw.n bytes.
			if peak > cw.n/4 {
				t.Errorf("%s: live heap grew by %d bytes while writing %d bytes; the writer is not streaming", f, peak, cw.n)
			}
		})
	}
}

// peakWriter counts bytes and samples the live heap every few megabytes.
type peakWriter struct {
	n, next, peak uint64
}

func (w *peakWriter) Write(p []byte) (int, error) {
	w.n += uint64(len(p))
	if w.n >= w.next {
		w.next = w.n + 4<<20
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		w.peak = max(w.peak, m.HeapAlloc)
	}
	return len(p), nil
}
