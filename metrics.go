package kiln

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kiln-data/kiln/lineage"
)

// Metrics is a Listener that exposes a pipeline's service-level indicators
// as Prometheus metrics. Register it in your own registry and attach it to
// pipelines with WithListener; kiln.Main serves one on --metrics-addr.
//
//	m, err := kiln.NewMetrics(prometheus.DefaultRegisterer)
//	p := kiln.New("shop", kiln.WithListener(m))
//
// The metrics, with bounded labels (no partition label, no run id):
//
//	pipeline_duration_seconds{pipeline,status}   histogram: one observation per run (per partition of a backfill)
//	node_duration_seconds{pipeline,node,status}  histogram: node partitions that did work (computed, unchanged, failed)
//	rows_processed_total{pipeline,node}          counter: rows of computed and unchanged node partitions
//	cache_hits_total{pipeline,node}              counter: node partitions reused from the cache
//	runs_total{pipeline,status}                  counter: finished runs (succeeded, failed, cancelled)
//	run_failures_total{pipeline,status}          counter: runs that failed or were cancelled
//	data_quality_pass_rate{pipeline,node}        gauge: passed / evaluated checks of the node's latest partition
//	row_count_delta_percent{pipeline,node}       gauge: rows change from the previous partition, in percent
//	feature_freshness_lag_seconds{pipeline,node} gauge: now minus the end of the newest partition committed
//	feature_freshness_sla_seconds{pipeline,node} gauge: the SLA given with MetricsFreshnessSLA
//
// A run's duration is from its first node start to its last node end (in a
// backfill, each partition's own span), or the record's start to finish
// when no node ran. The freshness lag is computed when scraped, so it
// keeps growing while no newer partition lands; it covers daily and hourly
// datasets. Status labels take the values of Status and the lineage run
// statuses. To prefix the names, wrap the registerer with
// prometheus.WrapRegistererWithPrefix.
type Metrics struct {
	pipelineDuration *prometheus.HistogramVec
	nodeDuration     *prometheus.HistogramVec
	rows             *prometheus.CounterVec
	cacheHits        *prometheus.CounterVec
	runs             *prometheus.CounterVec
	failures         *prometheus.CounterVec
	passRate         *prometheus.GaugeVec
	delta            *prometheus.GaugeVec
	lagDesc, slaDesc *prometheus.Desc

	lake string
	sla  map[string]time.Duration
	now  func() time.Time

	mu     sync.Mutex
	newest map[[2]string]time.Time   // pipeline, node -> end of the newest partition committed
	last   map[[2]string]partitionAt // pipeline, node -> the latest partition seen and its rows
	spans  map[string]*runSpan       // run id -> node activity span
}

type partitionAt struct {
	part Partition
	rows int64
}

type runSpan struct{ first, last time.Time }

// MetricsOption configures NewMetrics.
type MetricsOption func(*Metrics)

// MetricsLake lets row_count_delta_percent read the previous partition's
// row count from the manifests of the lake at dir when this process has
// not seen it.
func MetricsLake(dir string) MetricsOption { return func(m *Metrics) { m.lake = dir } }

// MetricsFreshnessSLA exports the freshness SLA of a node as
// feature_freshness_sla_seconds, so one alert rule can compare every
// node's lag with its own SLA (see examples/prometheus-rules.yml).
func MetricsFreshnessSLA(node string, sla time.Duration) MetricsOption {
	return func(m *Metrics) { m.sla[node] = sla }
}

// Histogram buckets: pipelines run for minutes to hours (7200 s, the
// seeds' alert threshold, is a bucket bound); nodes for milliseconds to
// hours.
var (
	pipelineBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 5400, 7200, 10800, 14400, 21600}
	nodeBuckets     = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200}
)

// NewMetrics creates the metrics and registers them with reg (nil means
// prometheus.DefaultRegisterer). Registering twice in one registry fails
// with prometheus.AlreadyRegisteredError; share one Metrics between
// pipelines instead (the pipeline label tells them apart).
func NewMetrics(reg prometheus.Registerer, opts ...MetricsOption) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.DefaultRegisterer
	}
	m := &Metrics{
		pipelineDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pipeline_duration_seconds", Help: "Duration of pipeline runs (one per partition).", Buckets: pipelineBuckets,
		}, []string{"pipeline", "status"}),
		nodeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "node_duration_seconds", Help: "Duration of node partitions that computed (computed, unchanged or failed).", Buckets: nodeBuckets,
		}, []string{"pipeline", "node", "status"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rows_processed_total", Help: "Rows output by computed and unchanged node partitions.",
		}, []string{"pipeline", "node"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_hits_total", Help: "Node partitions reused from the cache (same fingerprint as committed).",
		}, []string{"pipeline", "node"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runs_total", Help: "Finished pipeline runs (one per partition), by status.",
		}, []string{"pipeline", "status"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "run_failures_total", Help: "Pipeline runs that failed or were cancelled.",
		}, []string{"pipeline", "status"}),
		passRate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "data_quality_pass_rate", Help: "Passed / evaluated quality checks of the node's latest finished partition (0 to 1).",
		}, []string{"pipeline", "node"}),
		delta: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "row_count_delta_percent", Help: "Row count change of the node's latest partition from the previous partition, in percent.",
		}, []string{"pipeline", "node"}),
		lagDesc: prometheus.NewDesc("feature_freshness_lag_seconds",
			"Seconds since the end of the newest partition of the node's dataset committed (daily and hourly datasets).", []string{"pipeline", "node"}, nil),
		slaDesc: prometheus.NewDesc("feature_freshness_sla_seconds",
			"Freshness SLA of the node's dataset, in seconds.", []string{"pipeline", "node"}, nil),
		sla:    map[string]time.Duration{},
		now:    time.Now,
		newest: map[[2]string]time.Time{},
		last:   map[[2]string]partitionAt{},
		spans:  map[string]*runSpan{},
	}
	for _, o := range opts {
		o(m)
	}
	for _, c := range []prometheus.Collector{m.pipelineDuration, m.nodeDuration, m.rows, m.cacheHits, m.runs, m.failures, m.passRate, m.delta, freshness{m}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("kiln: register metrics: %w", err)
		}
	}
	return m, nil
}

// RunStarted implements lineage.Listener.
func (m *Metrics) RunStarted(run *lineage.RunRecord) {
	m.mu.Lock()
	m.spans[run.RunID] = &runSpan{}
	m.mu.Unlock()
}

// NodeStarted implements lineage.Listener.
func (m *Metrics) NodeStarted(*lineage.RunRecord, *lineage.NodeRun) {}

// NodeFinished implements lineage.Listener.
func (m *Metrics) NodeFinished(run *lineage.RunRecord, node *lineage.NodeRun) {
	pipe, name := run.Pipeline, node.Node
	dur := time.Duration(node.DurationMS * float64(time.Millisecond))
	switch Status(node.Status) {
	case StatusComputed, StatusUnchanged:
		m.nodeDuration.WithLabelValues(pipe, name, node.Status).Observe(dur.Seconds())
		m.rows.WithLabelValues(pipe, name).Add(float64(node.Rows))
	case StatusFailed:
		m.nodeDuration.WithLabelValues(pipe, name, node.Status).Observe(dur.Seconds())
	case StatusCached:
		m.cacheHits.WithLabelValues(pipe, name).Inc()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.spans[run.RunID]; s != nil && !node.Started.IsZero() {
		end := node.Started.Add(dur)
		if s.first.IsZero() || node.Started.Before(s.first) {
			s.first = node.Started
		}
		if end.After(s.last) {
			s.last = end
		}
	}
	switch Status(node.Status) {
	case StatusComputed, StatusUnchanged, StatusCached:
	default:
		return
	}
	if len(node.Checks) > 0 {
		passed := 0
		for _, c := range node.Checks {
			if c.Success {
				passed++
			}
		}
		m.passRate.WithLabelValues(pipe, name).Set(float64(passed) / float64(len(node.Checks)))
	}
	part, err := ParsePartition(node.Partition)
	if err != nil || part.Grain().Duration() == 0 {
		return
	}
	key := [2]string{pipe, name}
	if end := part.End(); end.After(m.newest[key]) {
		m.newest[key] = end
	}
	if prev, ok := m.previousRows(key, name, part); ok && prev > 0 {
		m.delta.WithLabelValues(pipe, name).Set(100 * float64(node.Rows-prev) / float64(prev))
	}
	if old, ok := m.last[key]; !ok || part.Compare(old.part) >= 0 {
		m.last[key] = partitionAt{part, node.Rows}
	}
}

// previousRows returns the row count of the partition before part: as
// seen by this process, else from the lake's manifest.
func (m *Metrics) previousRows(key [2]string, node string, part Partition) (int64, bool) {
	prev := part.Add(-1)
	if l, ok := m.last[key]; ok && l.part == prev {
		return l.rows, true
	}
	if m.lake == "" {
		return 0, false
	}
	man, err := ReadManifest(m.lake, node, prev)
	if err != nil { // not committed, or unreadable: no delta
		return 0, false
	}
	return man.Rows, true
}

// RunFinished implements lineage.Listener.
func (m *Metrics) RunFinished(run *lineage.RunRecord) {
	m.mu.Lock()
	s := m.spans[run.RunID]
	delete(m.spans, run.RunID)
	m.mu.Unlock()
	dur := run.Finished.Sub(run.Started)
	if s != nil && !s.first.IsZero() {
		dur = s.last.Sub(s.first)
	}
	m.pipelineDuration.WithLabelValues(run.Pipeline, run.Status).Observe(max(dur.Seconds(), 0))
	m.runs.WithLabelValues(run.Pipeline, run.Status).Inc()
	if run.Status != lineage.RunSucceeded {
		m.failures.WithLabelValues(run.Pipeline, run.Status).Inc()
	}
}

// freshness collects the lag and SLA gauges at scrape time.
type freshness struct{ m *Metrics }

func (f freshness) Describe(ch chan<- *prometheus.Desc) {
	ch <- f.m.lagDesc
	ch <- f.m.slaDesc
}

func (f freshness) Collect(ch chan<- prometheus.Metric) {
	m := f.m
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, end := range m.newest {
		ch <- prometheus.MustNewConstMetric(m.lagDesc, prometheus.GaugeValue, now.Sub(end).Seconds(), key[0], key[1])
		if sla, ok := m.sla[key[1]]; ok {
			ch <- prometheus.MustNewConstMetric(m.slaDesc, prometheus.GaugeValue, sla.Seconds(), key[0], key[1])
		}
	}
}
