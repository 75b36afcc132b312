// Package browsertest starts headless Chromium for tests of the pages
// pgbaseline writes or serves, the way net/http/httptest starts servers.
// A Browser records what a page does that such tests forbid: every network
// request, console errors and warnings, uncaught exceptions and log
// entries of level warning or error.
//
// Tests are skipped when no Chromium is installed (Debian's chromium
// package, which .ci/run installs) and in -short mode.
package browsertest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium with one tab.
type Browser struct {
	// Ctx is the tab's chromedp context; it ends with the test or after
	// the timeout given to Start.
	Ctx context.Context

	mu                 sync.Mutex
	requests, problems []string
}

// Find returns the path of the Chromium to drive, or "" when there is none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start launches headless Chromium with a fresh profile, no background
// networking (whose requests would be refused on a closed network) and a
// 1280x900 window, and begins recording. It skips the test when there is
// no browser or in -short mode, and closes the browser when the test ends.
func Start(t testing.TB, timeout time.Duration) *Browser {
	t.Helper()
	path := Find()
	if path == "" {
		t.Skip("chromium not found: install Debian's chromium package (apt-get install -y chromium) to run the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	options := func() []chromedp.ExecAllocatorOption {
		return []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
			chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true), chromedp.WindowSize(1280, 900),
		}
	}
	// Chromium now and then dies while starting on a loaded machine (two
	// test packages may start one at the same moment); a few attempts
	// tell that apart from a browser that cannot run here.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options()...)
		ctx, cancelTab := chromedp.NewContext(actx)
		ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
		cancel := func() { cancelTimeout(); cancelTab(); cancelAlloc() }
		b := &Browser{Ctx: ctx}
		if lastErr = chromedp.Listen(ctx, b.record); lastErr == nil {
			t.Cleanup(cancel)
			return b
		}
		cancel()
		t.Logf("browser: attempt %d: %v", attempt, firstLine(lastErr.Error()))
		time.Sleep(time.Duration(attempt) * time.Second)
	}
	t.Fatalf("browser: %v", lastErr)
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (b *Browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
			b.problems = append(b.problems, "console."+string(e.Type))
		}
	case *runtime.EventExceptionThrown:
		b.problems = append(b.problems, "exception: "+e.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
			b.problems = append(b.problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

// Requests returns the URLs of every request the pages made so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// Problems returns the console errors and warnings, exceptions and log
// warnings and errors seen so far (a Content-Security-Policy violation is
// one).
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}
