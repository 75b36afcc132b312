package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// streamingStore is the fixture's store, refusing to decode whole reports
// (the API must stream them) and, when gate is set, holding RawReport
// until gate is closed.
type streamingStore struct {
	store.Backend
	entered chan struct{}
	gate    chan struct{}
}

var errDecoded = errors.New("the API decoded a whole report")

func (s *streamingStore) Report(context.Context, string) (*report.Report, error) {
	return nil, errDecoded
}

func (s *streamingStore) RawReport(ctx context.Context, id string) ([]byte, bool, error) {
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	return s.Backend.RawReport(ctx, id)
}

func newStreamingServer(t *testing.T, lim Limits) (*fixture, *streamingStore, *httptest.Server) {
	t.Helper()
	f := newFixture(t, openSQLite(t))
	ss := &streamingStore{Backend: f.st}
	srv, err := New(Options{Store: ss, Scheduler: f.sched, Logger: testLogger(t), Limits: lim,
		Tokens: []Token{{Name: "viewer", Role: RoleReader, SHA256: HashToken(readerToken)}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return f, ss, ts
}

func getWith(t *testing.T, ts *httptest.Server, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+readerToken)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestScanReportIsStreamed: GET /api/v1/scans/{id} still carries the
// whole report, byte for byte what encoding the stored report gives, but
// the server streams it without decoding it; ?report=false leaves it out;
// GET /api/v1/scans/{id}/report downloads it alone, gzip as stored to a
// client that accepts gzip.
func TestScanReportIsStreamed(t *testing.T) {
	f, _, ts := newStreamingServer(t, Limits{})
	want, err := f.st.Report(context.Background(), f.fleet)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := f.st.GetScan(context.Background(), f.fleet)
	wantBody, _ := encodeJSON(ScanDetail{Scan: sc, Report: want})
	for range 2 { // the second answer comes from the cache
		resp, body := getWith(t, ts, "/api/v1/scans/"+f.fleet, nil)
		if resp.StatusCode != 200 || !bytes.Equal(body, wantBody) {
			t.Fatalf("GET scan: %d, %d bytes, want 200 and the %d bytes of the scan with its report:\n%.300s", resp.StatusCode, len(body), len(wantBody), body)
		}
	}
	resp, body := getWith(t, ts, "/api/v1/scans/"+f.fleet+"?report=false", nil)
	var d map[string]any
	if err := json.Unmarshal(body, &d); err != nil || resp.StatusCode != 200 || d["report"] != nil || d["id"] != f.fleet {
		t.Errorf("?report=false: %d %.200s", resp.StatusCode, body)
	}
	if resp, body := getWith(t, ts, "/api/v1/scans/"+f.fleet+"?report=maybe", nil); resp.StatusCode != 400 || !strings.Contains(string(body), "not true or false") {
		t.Errorf("?report=maybe: %d %s", resp.StatusCode, body)
	}

	wantReport, _ := json.Marshal(want)
	resp, body = getWith(t, ts, "/api/v1/scans/"+f.fleet+"/report", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, wantReport) ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "pgbaseline-scan-"+f.fleet+".json") {
		t.Errorf("GET report: %d %q, %d bytes, want the report's %d", resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body), len(wantReport))
	}
	resp, body = getWith(t, ts, "/api/v1/scans/"+f.fleet+"/report", map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET report accepting gzip: %d %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, wantReport) {
		t.Errorf("the gzip report does not decompress to the report (%v)", err)
	}
	if resp, _ := getWith(t, ts, "/api/v1/scans/"+f.fleet+"/report", map[string]string{"Accept-Encoding": "gzip;q=0"}); resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
	if resp, body := getWith(t, ts, "/api/v1/scans/"+f.queued+"/report", nil); resp.StatusCode != 409 || !strings.Contains(string(body), "is queued") {
		t.Errorf("report of a queued scan: %d %s", resp.StatusCode, body)
	}
	if resp, _ := getWith(t, ts, "/api/v1/scans/424242/report", nil); resp.StatusCode != 404 {
		t.Errorf("report of a missing scan: %d", resp.StatusCode)
	}
}

// TestResultsPaging: a scan's results come in pages of ?limit= (the
// default when absent), linked by nextCursor, and together they are all
// the results that match the filter; bad limits and cursors are 400.
func TestResultsPaging(t *testing.T) {
	f, _, ts := newStreamingServer(t, Limits{ResultsPage: 5, ResultsPageMax: 20})
	for _, filter := range []string{"", "status=NonCompliant"} {
		var f2 store.ResultFilter
		if filter != "" {
			f2.Status = report.NonCompliant
		}
		all, err := f.st.Results(context.Background(), f.fleet, f2)
		if err != nil || len(all) <= 5 {
			t.Fatalf("the fixture has %d results (%v), want more than a page", len(all), err)
		}
		var got []report.Result
		cursor, pages := "", 0
		for {
			q := url.Values{"cursor": {cursor}}
			if filter != "" {
				q.Set("status", "NonCompliant")
			}
			if pages%2 == 1 {
				q.Set("limit", "7")
			}
			resp, body := getWith(t, ts, "/api/v1/scans/"+f.fleet+"/results?"+q.Encode(), nil)
			var page ResultList
			if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 {
				t.Fatalf("page %d: %d %.200s", pages, resp.StatusCode, body)
			}
			wantLimit := 5
			if pages%2 == 1 {
				wantLimit = 7
			}
			if page.Limit != wantLimit || len(page.Results) > wantLimit || (page.NextCursor != "" && len(page.Results) != wantLimit) {
				t.Fatalf("page %d: limit %d, %d results, next %q", pages, page.Limit, len(page.Results), page.NextCursor)
			}
			got = append(got, page.Results...)
			pages++
			if page.NextCursor == "" {
				break
			}
			if pages > len(all) {
				t.Fatal("the pages do not end")
			}
			cursor = page.NextCursor
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(all)
		if !bytes.Equal(g, w) {
			t.Errorf("filter %q: the pages hold %d results, the scan %d (or other ones)", filter, len(got), len(all))
		}
	}
	for q, want := range map[string]string{
		"limit=0":                     "is not a number from 1 to 20",
		"limit=21":                    "is not a number from 1 to 20",
		"limit=x":                     "not a number",
		"cursor=forged":               "is not a nextCursor of this scan's results",
		"cursor=" + f.infraNew + ".3": "is not a nextCursor of this scan's results",
	} {
		if resp, body := getWith(t, ts, "/api/v1/scans/"+f.fleet+"/results?"+q, nil); resp.StatusCode != 400 || !strings.Contains(string(body), want) {
			t.Errorf("?%s: %d %s, want 400 saying %q", q, resp.StatusCode, body, want)
		}
	}
}

// TestHeavyRequestsAreBounded: with one heavy request in progress and a
// bound of one, another is answered 503 with Retry-After after the wait;
// light requests still answer; once the first ends, heavy ones answer
// again.
func TestHeavyRequestsAreBounded(t *testing.T) {
	f, ss, ts := newStreamingServer(t, Limits{HeavyRequests: 1, HeavyWait: 50 * time.Millisecond})
	ss.entered, ss.gate = make(chan struct{}), make(chan struct{})
	first := make(chan int)
	go func() {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/scans/"+f.infraOld+"/report", nil)
		req.Header.Set("Authorization", "Bearer "+readerToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	select {
	case <-ss.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the first request did not reach the store")
	}
	resp, body := getWith(t, ts, "/api/v1/scans/"+f.infraNew+"/results", nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "large requests already") {
		t.Errorf("a second heavy request: %d Retry-After %q %s, want 503", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := getWith(t, ts, "/api/v1/scans", nil); resp.StatusCode != 200 {
		t.Errorf("a light request while busy: %d, want 200", resp.StatusCode)
	}
	close(ss.gate)
	if code := <-first; code != 200 {
		t.Errorf("the first request: %d, want 200", code)
	}
	ss.gate = nil
	if resp, _ := getWith(t, ts, "/api/v1/scans/"+f.infraNew+"/results", nil); resp.StatusCode != 200 {
		t.Errorf("a heavy request after the first ended: %d, want 200", resp.StatusCode)
	}
}

// TestSlowClientGetsWholeReport: a report larger than the socket buffers,
// read slowly by its client, arrives whole although the server's write
// timeout is far shorter than the download: each write moves the deadline
// on while bytes flow.
func TestSlowClientGetsWholeReport(t *testing.T) {
	st := openSQLite(t)
	rep := exampleReport(t, "resource-graph.json")
	for len(rep.Results) < 8000 { // about 16 MB of JSON, more than the sockets buffer
		rep.Results = append(rep.Results, rep.Results...)
	}
	id := addScan(t, st, "fleet", rep)
	srv, err := New(Options{Store: st, Logger: testLogger(t), Tokens: []Token{{Name: "viewer", Role: RoleReader, SHA256: HashToken(readerToken)}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.WriteTimeout = 200 * time.Millisecond
	ts.Start()
	defer ts.Close()
	want, _ := json.Marshal(rep)
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/scans/"+id+"/report", nil)
	req.Header.Set("Authorization", "Bearer "+readerToken)
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	buf := make([]byte, 64<<10)
	for reads := 0; reads < 10000; reads++ {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got.Len() != len(want) || !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the slow client got %d bytes of the %d-byte report", got.Len(), len(want))
	}
}
