package azure

import (
	"fmt"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/internal/flexserver"
)

// BenchmarkScan1000Servers scans 1,000 servers in 10 subscriptions on the
// fake with 50 ms of latency per call, at the default concurrency and at
// 64. It reports the calls per server and the wall time against the
// critical path (calls x latency / concurrency). TestSmallFleet runs the
// same shape, small, in the normal test run.
func BenchmarkScan1000Servers(b *testing.B) {
	const latency = 50 * time.Millisecond
	for _, concurrency := range []int{defaultConcurrency, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			f := newFakeARM(b, 10, 100)
			f.pageSize = 1000
			f.latency = latency
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				before := f.calls.Load()
				start := time.Now()
				res := scanFake(b, f, Options{Concurrency: concurrency})
				wall := time.Since(start)
				calls := f.calls.Load() - before
				if n := byType(res)[flexserver.ServerType]; n != 1000 {
					b.Fatalf("servers = %d", n)
				}
				critical := time.Duration(calls) * latency / time.Duration(concurrency)
				b.ReportMetric(float64(calls)/1000, "calls/server")
				b.ReportMetric(float64(calls), "calls")
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(critical.Seconds(), "critical-s")
				b.ReportMetric(wall.Seconds()/critical.Seconds(), "x-critical-path")
			}
		})
	}
}
