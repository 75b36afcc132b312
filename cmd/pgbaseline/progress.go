package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/pgbaseline/pgbaseline/report"
)

// scanProgress is scan's assess.Progress: it remembers how many servers
// and resources the scan assessed (for the summary line) and, when drawn,
// shows a progress bar on stderr: a spinner with the stage (connecting to
// databases, reading inputs with the files seen, assessing), and a bar of
// the resources assessed for exports read one server at a time. A ticker
// keeps it moving through stages that report nothing; nothing is drawn
// before the scan has run for progressDelay, so short scans print nothing.
type scanProgress struct {
	mu                 sync.Mutex
	w                  io.Writer // nil: count only
	start              time.Time
	stop               chan struct{}
	bar                *progressbar.ProgressBar
	stage              string
	total              int // of the current stage; -1 for a spinner
	files              int
	servers, resources int
	done               int
}

const progressDelay = 500 * time.Millisecond

func newScanProgress(w io.Writer) *scanProgress {
	p := &scanProgress{w: w, start: time.Now(), total: -1}
	if w != nil {
		p.stop = make(chan struct{})
		go p.tick(p.stop)
	}
	return p
}

// tick draws the bar once the delay has passed and turns the spinner.
func (p *scanProgress) tick(stop <-chan struct{}) {
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		p.draw()
		if p.bar != nil {
			if p.total < 0 {
				_ = p.bar.Add(1)
			} else {
				_ = p.bar.Add(0)
			}
		}
		p.mu.Unlock()
	}
}

// setStage changes the description, and the kind of bar when the total
// changes. Called with p.mu held.
func (p *scanProgress) setStage(desc string, total int) {
	p.stage = desc
	if total != p.total && p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
	p.total = total
	if p.bar != nil {
		p.bar.Describe(desc)
	}
}

// draw creates the bar when there is a stage to show and the delay has
// passed. Called with p.mu held.
func (p *scanProgress) draw() {
	if p.w == nil || p.bar != nil || p.stage == "" || time.Since(p.start) < progressDelay {
		return
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(p.w), progressbar.OptionSpinnerType(14),
		progressbar.OptionThrottle(100 * time.Millisecond), progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetDescription(p.stage)}
	if p.total >= 0 {
		opts = append(opts, progressbar.OptionShowCount())
	}
	p.bar = progressbar.NewOptions(p.total, opts...)
	if p.total >= 0 && p.done > 0 {
		_ = p.bar.Add(p.done)
	}
}

func (p *scanProgress) Stage(desc string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setStage(desc, -1)
}

func (p *scanProgress) Read(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files += n
	p.setStage(fmt.Sprintf("reading inputs: %s files", report.Thousands(p.files)), -1)
}

func (p *scanProgress) Assessing(servers, resources int, batched bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.servers, p.resources = servers, resources
	total := -1
	desc := fmt.Sprintf("assessing %s servers, %s resources", report.Thousands(servers), report.Thousands(resources))
	if batched {
		total = resources
		desc = fmt.Sprintf("assessing %s servers: resources", report.Thousands(servers))
	}
	p.setStage(desc, total)
}

func (p *scanProgress) Assessed(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar != nil && p.total >= 0 {
		_ = p.bar.Add(n)
	}
}

// print runs f, which writes a line on stderr, with the bar cleared; the
// next tick draws it again.
func (p *scanProgress) print(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	f()
}

// finish stops the ticker and clears the bar.
func (p *scanProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
	p.stage = ""
}

// failureCounter counts the NonCompliant results of a streamed JSON report
// by severity as it passes through to w, reading each result's "severity"
// and "status" members at the depth of a result's members (a status inside
// evidence is deeper, and is not counted).
type failureCounter struct {
	w     io.Writer
	carry []byte
	sev   string
	armed bool
	f     report.Failures
}

var (
	resultMemberIndent = func() string {
		b, _ := report.AppendResultJSON(nil, &report.Result{Severity: "high", Status: report.NonCompliant})
		i := bytes.Index(b, []byte(`"severity"`))
		if i < 0 {
			return "\n"
		}
		return string(b[bytes.LastIndexByte(b[:i], '\n'):i])
	}()
	sevKey    = []byte(resultMemberIndent + `"severity": "`)
	statusKey = []byte(resultMemberIndent + `"status": "NonCompliant"`)
)

func (c *failureCounter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	buf := append(c.carry, b[:n]...)
	keep := 0 // bytes at the end that may begin a member cut off by the write
	for i := 0; i < len(buf); {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			break
		}
		i += j
		rest := buf[i:]
		if len(rest) < len(statusKey)+16 {
			keep = len(rest)
			break
		}
		switch {
		case bytes.HasPrefix(rest, sevKey):
			v := rest[len(sevKey):]
			if k := bytes.IndexByte(v, '"'); k >= 0 {
				c.sev, c.armed = string(v[:k]), true
			}
		case bytes.HasPrefix(rest, statusKey[:len(statusKey)-len(`"NonCompliant"`)]):
			// Only a result has a severity before its status (a
			// control's status, at the same depth, has none).
			if c.armed && bytes.HasPrefix(rest, statusKey) {
				c.f.Add(report.Severity(c.sev))
			}
			c.armed = false
		}
		i++
	}
	c.carry = append(c.carry[:0], buf[len(buf)-keep:]...)
	return n, err
}

// outputSkip returns the Skip of a scan: the files that are the report
// being written (stdout redirected to a file, or --output) when they lie
// in the scanned tree. Only files of the kinds a walk reads are compared.
func outputSkip(stdout io.Writer, output string) func(string) bool {
	var outs []os.FileInfo
	if f, ok := stdout.(*os.File); ok && output == "" {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			outs = append(outs, st)
		}
	}
	// --output is looked at when the walk begins: the JSON report is
	// created before it.
	outputInfo := sync.OnceValue(func() os.FileInfo {
		if st, err := os.Stat(output); err == nil && st.Mode().IsRegular() {
			return st
		}
		return nil
	})
	if len(outs) == 0 && output == "" {
		return nil
	}
	return func(path string) bool {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json", ".tf", ".tfvars", ".bicep", ".sarif", ".xml", ".csv", ".md", ".html", ".htm", ".txt":
		default:
			return false
		}
		st, err := os.Stat(path)
		if err != nil {
			return false
		}
		for _, o := range outs {
			if os.SameFile(st, o) {
				return true
			}
		}
		if output != "" {
			if o := outputInfo(); o != nil && os.SameFile(st, o) {
				return true
			}
		}
		return false
	}
}

// summaryLine is what scan prints on stderr after writing a report to a
// file: "wrote report.json: 2,000 servers, 84,000 results, 31,000 failing
// (HIGH 2,000, ...)".
func summaryLine(path string, servers int, sum report.Summary, f report.Failures) string {
	s := fmt.Sprintf("wrote %s: %s servers, %s results, %s failing", path, report.Thousands(servers),
		report.Thousands(sum.Total), report.Thousands(sum.NonCompliant))
	if f.Total > 0 {
		var parts []string
		for _, sev := range []report.Severity{report.Critical, report.High, report.Medium, report.Low} {
			if n := f.BySeverity[sev]; n > 0 {
				parts = append(parts, strings.ToUpper(string(sev))+" "+report.Thousands(n))
			}
		}
		if n := f.Unrated(); n > 0 {
			parts = append(parts, "UNRATED "+report.Thousands(n))
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if sum.Unknown > 0 {
		s += ", " + report.Thousands(sum.Unknown) + " Unknown"
	}
	if sum.Error > 0 {
		s += ", " + report.Thousands(sum.Error) + " Error"
	}
	return s
}
