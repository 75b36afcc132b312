package serve

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad runs 200 concurrent API readers for 30 s on loopback against
// the SQLite store holding 50 scans of the examples, and logs p50 and p99
// latency and the error count. It runs only with PGBASELINE_LOAD=1 (it
// takes the machine for half a minute); PGBASELINE_LOAD_DURATION and
// PGBASELINE_LOAD_READERS change its size. It fails on any error, never on
// timing:
//
//	PGBASELINE_LOAD=1 go test -run TestLoad -v ./serve
func TestLoad(t *testing.T) {
	if os.Getenv("PGBASELINE_LOAD") == "" {
		t.Skip("set PGBASELINE_LOAD=1 to run the 30 s load test")
	}
	duration := 30 * time.Second
	if v := os.Getenv("PGBASELINE_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		duration = d
	}
	readers := 200
	if v := os.Getenv("PGBASELINE_LOAD_READERS"); v != "" {
		fmt.Sscan(v, &readers)
	}
	st := openSQLite(t)
	f := newFixture(t, st) // 3 done scans + 1 queued
	examples := []string{"public-server.json", "hardened-server.json", "resource-graph.json"}
	var ids []string
	for i := 0; i < 47; i++ {
		target := []string{"infra", "fleet", "prod"}[i%3]
		ids = append(ids, addScan(t, st, target, exampleReport(t, examples[i%3])))
	}
	ids = append(ids, f.infraOld, f.infraNew, f.fleet)

	paths := []string{"/api/v1/scans", "/api/v1/controls", "/api/v1/resources", "/api/v1/trend?days=30"}
	for i, id := range ids {
		paths = append(paths, "/api/v1/scans/"+id, "/api/v1/scans/"+id+"/results?status=NonCompliant")
		if i > 0 && i%3 == 0 {
			paths = append(paths, "/api/v1/scans/"+ids[i-3]+"/diff/"+id)
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: readers, MaxIdleConnsPerHost: readers}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	kind := func(path string) string {
		switch {
		case strings.Contains(path, "/diff/"):
			return "diff"
		case strings.Contains(path, "/results"):
			return "results"
		case strings.HasPrefix(path, "/api/v1/scans/"):
			return "scan"
		}
		p, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/v1/"), "?")
		return p
	}
	var (
		mu        sync.Mutex
		byKind    = map[string][]time.Duration{}
		latencies []time.Duration
		errs      atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			var mine []time.Duration
			mineKind := map[string][]time.Duration{}
			for i := r; ctx.Err() == nil; i++ {
				path := paths[i%len(paths)]
				req, _ := http.NewRequest("GET", f.ts.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+readerToken)
				start := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("%s: %s", req.URL.Path, resp.Status)
					}
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				d := time.Since(start)
				mine = append(mine, d)
				mineKind[kind(path)] = append(mineKind[kind(path)], d)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			for k, v := range mineKind {
				byKind[k] = append(byKind[k], v...)
			}
			mu.Unlock()
		}(r)
	}
	wg.Wait()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	quantile := func(l []time.Duration, p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[int(p*float64(len(l)-1))].Round(10 * time.Microsecond)
	}
	pct := func(p float64) time.Duration { return quantile(latencies, p) }
	kinds := make([]string, 0, len(byKind))
	for k, l := range byKind {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("  %-10s %6d requests, p50 %s, p99 %s", k, len(byKind[k]), quantile(byKind[k], 0.5), quantile(byKind[k], 0.99))
	}
	t.Logf("load: %d readers for %s over %d paths (50 scans in SQLite): %d requests (%.0f/s), p50 %s, p99 %s, max %s, %d errors",
		readers, duration, len(paths), len(latencies), float64(len(latencies))/duration.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond), errs.Load())
	if n := errs.Load(); n > 0 {
		t.Errorf("%d requests failed; the first: %v", n, firstErr.Load())
	}
}

// BenchmarkAPIGetScan measures one reader fetching a scan with its report.
func BenchmarkAPIGetScan(b *testing.B) {
	f := newFixture(b, openSQLite(b))
	req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/scans/"+f.infraNew, nil)
	req.Header.Set("Authorization", "Bearer "+readerToken)
	b.ResetTimer()
	for b.Loop() {
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
