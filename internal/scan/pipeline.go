package scan

import (
	"context"
	"io"
	"iter"
	"runtime"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/source"
	"github.com/pgbaseline/pgbaseline/report"
)

// One scan pipeline. Every scan is producers -> finish -> consumer:
//
//   - a producer yields the scan's verdicts in report order (reportOrder),
//     chunk by chunk, so that GOMAXPROCS workers make consecutive chunks at
//     once: the planned rules on a whole resource set and the results made
//     outside the engine (source findings, database checks), merged in
//     order (itemsProducer), or a fleet's server groups read one at a time
//     (fleetProducer);
//   - every verdict passes the one finish step (Engine.finish), in the
//     worker that made it;
//   - the consumer takes the chunks in order: it collects the results
//     (Run, Evaluate; the formats that need the whole report) or encodes
//     them into the streamed JSON report (RunJSON), and one tally counts
//     them for the summary, the control rollups and the exit code.

// A producer yields a scan's verdicts in report order, in chunks that
// workers make in parallel.
type producer struct {
	// chunks is the number of chunks; size, when known, the number of
	// verdicts.
	chunks, size int
	// bufSize is the encoding buffer a chunk starts with when streaming.
	bufSize int
	// chunk yields the verdicts of chunk c in order. w is the worker's
	// state; a producer that fails sets w.err and stops.
	chunk func(c int, w *worker) iter.Seq[*verdict]
}

// worker is what a worker keeps from chunk to chunk.
type worker struct {
	enc *report.ResultEncoder // nil when collecting
	// readers are the worker's readers of lazy inputs, by input (fleet
	// scans); a reader is not safe for concurrent use.
	readers map[int32]source.LazyReader
	err     error
}

// chunk is a run of consecutive finished results: encoded (streaming) or
// collected.
type chunk struct {
	buf     []byte
	results []report.Result
	n       int
	t       *tally
	err     error
}

// consumer is where the finished results go, in order: a JSON stream, or
// (stream nil) the collected results.
type consumer struct {
	stream  *report.JSONStream
	results []report.Result
}

// drain runs the producer on GOMAXPROCS workers, each taking the next
// chunk, finishing its verdicts, counting them and encoding or collecting
// them, and hands the chunks to the consumer in order. At most a few
// chunks per worker are in memory at once. begin, called once the workers
// are started, returns the consumer (having written the report's header,
// when streaming).
func (e *Engine) drain(ctx context.Context, p producer, fin *finishing, agg *tally, streaming bool, begin func() (*consumer, error)) (*consumer, error) {
	workers := max(1, min(runtime.GOMAXPROCS(0), p.chunks))
	done := make([]chan chunk, p.chunks)
	for i := range done {
		done[i] = make(chan chunk, 1)
	}
	// window bounds the chunks made but not yet consumed.
	window := make(chan struct{}, 4*workers)
	next := make(chan int)
	free := make(chan []byte, cap(window)+workers)
	getBuf := func() []byte {
		select {
		case b := <-free:
			return b[:0]
		default:
			return make([]byte, 0, p.bufSize)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(next)
		for c := 0; c < p.chunks; c++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			w := &worker{readers: map[int32]source.LazyReader{}}
			if streaming {
				w.enc = &report.ResultEncoder{}
			}
			for c := range next {
				out := chunk{t: newTally(e)}
				if w.enc != nil {
					out.buf = getBuf()
				}
				w.err = nil
				for v := range p.chunk(c, w) {
					if !e.finish(v, fin) {
						continue
					}
					if !out.add(w, &v.res) {
						break
					}
				}
				if out.err == nil {
					out.err = w.err
				}
				done[c] <- out
			}
		}()
	}
	cons, err := begin()
	if err != nil {
		return nil, err
	}
	written := 0
	for c := 0; c < p.chunks; c++ {
		var out chunk
		select {
		case out = <-done[c]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if out.err != nil {
			return nil, out.err
		}
		if cons.stream != nil {
			buf := out.buf
			if written == 0 && len(buf) > 0 && buf[0] == ',' {
				buf = buf[1:] // the first result of the array
			}
			if err := cons.stream.Results(buf, out.n); err != nil {
				return nil, err
			}
			select {
			case free <- out.buf:
			default:
			}
		} else {
			cons.results = append(cons.results, out.results...)
		}
		written += out.n
		agg.merge(out.t)
		<-window
	}
	return cons, nil
}

// add counts one finished result and encodes or collects it; it reports
// false after an encoding error, which ends the chunk.
func (out *chunk) add(w *worker, res *report.Result) bool {
	out.t.add(res)
	out.n++
	if w.enc == nil {
		if out.results == nil {
			out.results = make([]report.Result, 0, streamChunk)
		}
		out.results = append(out.results, *res)
		return true
	}
	out.buf = append(out.buf, report.ResultSeparator(1)...) // the stream drops the first comma
	if out.buf, out.err = w.enc.Append(out.buf, res); out.err != nil {
		return false
	}
	return true
}

// complete runs the producer, finishing its verdicts with fin, into the
// report rep (its header, resources and errors made): streamed as JSON to w, or, when w is nil, collected
// into rep.Results. It fills in the control rollups, the summary and
// finishedAt, and returns the exit code for failOn. A streamed report is
// returned without its results and resources, which were written.
func (e *Engine) complete(ctx context.Context, rep *report.Report, p producer, fin *finishing, w io.Writer, failOn string) (*report.Report, int, error) {
	agg := newTally(e)
	begin := func() (*consumer, error) {
		if w == nil {
			return &consumer{results: make([]report.Result, 0, p.size)}, nil
		}
		stream, err := report.BeginJSON(w, rep)
		rep.Resources = nil // written; not kept
		return &consumer{stream: stream}, err
	}
	cons, err := e.drain(ctx, p, fin, agg, w != nil, begin)
	if err != nil {
		return nil, 0, err
	}
	rep.Results = cons.results
	if rep.Results == nil {
		rep.Results = []report.Result{}
	}
	rep.Controls = agg.controls(e)
	rep.Summary = agg.summary
	rep.FinishedAt = time.Now().UTC()
	if cons.stream != nil {
		if err := cons.stream.End(rep); err != nil {
			return nil, 0, err
		}
	}
	return rep, agg.exitCode(len(rep.Errors) > 0, failOn), nil
}

// tally counts results by control and status as they are finished: the
// one count behind the summary, the control rollups and the exit code.
type tally struct {
	rank       func(string) int
	byControl  [][numStatuses]int
	summary    report.Summary
	worstNonOK int // highest severity rank of a NonCompliant result
}

// numStatuses is the number of statuses a result can have.
const numStatuses = 6

var statusIndex = map[report.Status]int{report.Compliant: 0, report.NonCompliant: 1, report.NotApplicable: 2,
	report.Exempt: 3, report.Unknown: 4, report.Error: 5}

func newTally(e *Engine) *tally {
	return &tally{rank: e.controlRank(), byControl: make([][numStatuses]int, len(e.Catalog.Controls)+1)}
}

// statusAt is statusIndex[s] without a map lookup (tally.add runs for
// every result).
func statusAt(s report.Status) (int, bool) {
	switch s {
	case report.Compliant:
		return 0, true
	case report.NonCompliant:
		return 1, true
	case report.NotApplicable:
		return 2, true
	case report.Exempt:
		return 3, true
	case report.Unknown:
		return 4, true
	case report.Error:
		return 5, true
	}
	return 0, false
}

func (t *tally) add(r *report.Result) {
	t.summary.Add(r.Status)
	if i, ok := statusAt(r.Status); ok {
		t.byControl[t.rank(r.ControlID)][i]++
	}
	if r.Status == report.NonCompliant {
		t.worstNonOK = max(t.worstNonOK, r.Severity.Rank())
	}
}

func (t *tally) merge(o *tally) {
	for i := range t.byControl {
		for j := range t.byControl[i] {
			t.byControl[i][j] += o.byControl[i][j]
		}
	}
	s, x := &t.summary, o.summary
	s.Total += x.Total
	s.Compliant += x.Compliant
	s.NonCompliant += x.NonCompliant
	s.NotApplicable += x.NotApplicable
	s.Exempt += x.Exempt
	s.Unknown += x.Unknown
	s.Error += x.Error
	t.worstNonOK = max(t.worstNonOK, o.worstNonOK)
}

// controls rolls the counted results up per control, in catalog order,
// with report.Rollup.
func (t *tally) controls(e *Engine) []report.ControlSummary {
	out := make([]report.ControlSummary, 0, len(e.Catalog.Controls))
	for i, c := range e.Catalog.Controls {
		counts := report.NewCounts()
		for s, j := range statusIndex {
			counts[s] = t.byControl[i][j]
		}
		out = append(out, report.ControlSummary{ID: c.ID, Title: c.Title, Domain: c.Domain, Status: report.Rollup(counts), Counts: counts})
	}
	return out
}

// exitCode is the scan's exit status: 2 when the scan is incomplete (an
// input failed), else 1 when a NonCompliant result is at or above failOn
// (an empty failOn means low; "never" disables it), else 0.
func (t *tally) exitCode(incomplete bool, failOn string) int {
	if incomplete {
		return 2
	}
	if failOn == "never" || t.worstNonOK == 0 {
		return 0
	}
	min := report.Severity(failOn)
	if failOn == "" {
		min = report.Low
	}
	if t.worstNonOK >= min.Rank() {
		return 1
	}
	return 0
}

// count tallies finished results.
func (e *Engine) count(results []report.Result) *tally {
	t := newTally(e)
	for i := range results {
		t.add(&results[i])
	}
	return t
}

// Summarize rolls results up per control, in catalog order, as a scan's
// report does (report.Rollup).
func Summarize(e *Engine, results []report.Result) []report.ControlSummary {
	return e.count(results).controls(e)
}

// ExitCode is the exit status of a finished report, as the scan that made
// it returned: 2 when any input failed, else 1 when a NonCompliant result
// is at or above failOn (an empty failOn means low; "never" disables it),
// else 0.
func ExitCode(r *report.Report, failOn string) int {
	t := &tally{}
	for i := range r.Results {
		if r.Results[i].Status == report.NonCompliant {
			t.worstNonOK = max(t.worstNonOK, r.Results[i].Severity.Rank())
		}
	}
	return t.exitCode(len(r.Errors) > 0, failOn)
}
