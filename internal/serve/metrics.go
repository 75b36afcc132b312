package serve

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pgbaseline/pgbaseline/report"
)

// scanBuckets are the upper bounds of pgbaseline_scan_duration_seconds.
var scanBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}

// metrics is the server's private Prometheus registry: the compliance
// gauges, computed from the store at scrape time, the scans' durations and
// errors, observed as scans finish, and the Go and process collectors.
type metrics struct {
	registry  *prometheus.Registry
	durations *prometheus.HistogramVec
	errors    *prometheus.CounterVec
	handler   http.Handler
}

func newMetrics(p *postureCache) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pgbaseline_scan_duration_seconds",
			Help:    "How long scans took, by target.",
			Buckets: scanBuckets,
		}, []string{"target"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pgbaseline_scan_errors_total",
			Help: "Scans that failed, by target.",
		}, []string{"target"}),
	}
	m.registry.MustRegister(m.durations, m.errors, &postureCollector{posture: p},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

func (m *metrics) observeScan(target string, d time.Duration, err error) {
	m.durations.WithLabelValues(target).Observe(d.Seconds())
	c := m.errors.WithLabelValues(target) // present at 0 from a target's first scan
	if err != nil {
		c.Inc()
	}
}

// ServeHTTP writes every metric in the Prometheus exposition format.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

var (
	storeUpDesc = prometheus.NewDesc("pgbaseline_store_up",
		"Whether the store answered this scrape (1) or not (0).", nil, nil)
	resultsDesc = prometheus.NewDesc("pgbaseline_results",
		"Results by control and status in the newest done scan of every target.", []string{"control", "status"}, nil)
	lastScanDesc = prometheus.NewDesc("pgbaseline_last_scan_timestamp_seconds",
		"When the newest done scan of each target finished (Unix time).", []string{"target"}, nil)
)

// postureCollector reads the current posture from the store at each
// scrape, so the gauges never lag behind the history.
type postureCollector struct{ posture *postureCache }

// Describe sends the collector's descriptors.
func (c *postureCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeUpDesc
	ch <- resultsDesc
	ch <- lastScanDesc
}

// Collect sends the current values.
func (c *postureCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := c.posture.get(ctx)
	up := 1.0
	if err != nil || p == nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, up)
	if p == nil {
		return
	}
	for _, ctl := range p.Controls {
		for _, st := range report.Statuses {
			ch <- prometheus.MustNewConstMetric(resultsDesc, prometheus.GaugeValue, float64(ctl.Counts[st]), ctl.ID, string(st))
		}
	}
	for _, sc := range p.Scans {
		if sc.FinishedAt != nil {
			ch <- prometheus.MustNewConstMetric(lastScanDesc, prometheus.GaugeValue,
				float64(sc.FinishedAt.UnixNano())/1e9, sc.Target)
		}
	}
}
