package kiln_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

// scrape GETs the exposition text from url and parses it.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// sample returns the value of the family's metric with the given labels
// (a counter's or gauge's value, a histogram's count).
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "metric %s is exposed", name)
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

func TestMetricsScraped(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := kiln.NewMetrics(reg, kiln.MetricsFreshnessSLA("gold.user_totals", 26*time.Hour))
	require.NoError(t, err)
	now := time.Date(2024, 1, 5, 6, 0, 0, 0, time.UTC)
	kiln.SetMetricsClock(m, func() time.Time { return now })
	ct := newCLITest(t, kiln.WithListener(m))

	_, err = ct.p.Backfill(t.Context(), []kiln.Partition{kiln.Date(2024, 1, 1), kiln.Date(2024, 1, 2)})
	require.NoError(t, err)
	ct.fail.Store("dt=2024-01-03")
	_, err = ct.p.Run(t.Context(), kiln.Date(2024, 1, 3))
	require.Error(t, err)
	_, err = ct.p.Run(t.Context(), kiln.Date(2024, 1, 2))
	require.NoError(t, err)

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	fams := scrape(t, srv.URL)
	pipe := func(kv ...string) map[string]string {
		l := map[string]string{"pipeline": "clitest"}
		for i := 0; i < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return l
	}

	assert.Equal(t, 3.0, sample(t, fams, "runs_total", pipe("status", "succeeded")))
	assert.Equal(t, 1.0, sample(t, fams, "runs_total", pipe("status", "failed")))
	assert.Equal(t, 1.0, sample(t, fams, "run_failures_total", pipe("status", "failed")))
	assert.Equal(t, 3.0, sample(t, fams, "pipeline_duration_seconds", pipe("status", "succeeded")), "one observation per run")
	assert.Equal(t, 1.0, sample(t, fams, "pipeline_duration_seconds", pipe("status", "failed")))
	// bronze.clicks computed 2023-12-30 (39 rows), 12-31 (40) and
	// 2024-01-01..03 (10, 11, 12); silver.clicks 01-01..03.
	assert.Equal(t, 112.0, sample(t, fams, "rows_processed_total", pipe("node", "bronze.clicks")))
	assert.Equal(t, 33.0, sample(t, fams, "rows_processed_total", pipe("node", "silver.clicks")))
	// Day 3 reused bronze 01-01 and 01-02; the rerun of day 2 reused all.
	assert.Equal(t, 5.0, sample(t, fams, "cache_hits_total", pipe("node", "bronze.clicks")))
	assert.Equal(t, 1.0, sample(t, fams, "cache_hits_total", pipe("node", "gold.user_totals")))
	assert.Equal(t, 1.0, sample(t, fams, "node_duration_seconds", pipe("node", "gold.user_totals", "status", "failed")))
	assert.Equal(t, 2.0, sample(t, fams, "node_duration_seconds", pipe("node", "gold.user_totals", "status", "computed")))
	assert.Equal(t, 1.0, sample(t, fams, "data_quality_pass_rate", pipe("node", "silver.clicks")))
	assert.InDelta(t, 100.0*(12-11)/11, sample(t, fams, "row_count_delta_percent", pipe("node", "silver.clicks")), 1e-9)
	// Freshness at 2024-01-05T06:00: silver's newest partition ended
	// 2024-01-04T00:00; gold.user_totals failed on day 3, so its newest
	// ended 2024-01-03T00:00.
	assert.Equal(t, 30*3600.0, sample(t, fams, "feature_freshness_lag_seconds", pipe("node", "silver.clicks")))
	assert.Equal(t, 54*3600.0, sample(t, fams, "feature_freshness_lag_seconds", pipe("node", "gold.user_totals")))
	assert.Equal(t, 26*3600.0, sample(t, fams, "feature_freshness_sla_seconds", pipe("node", "gold.user_totals")))

	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				assert.NotEqual(t, "partition", l.GetName(), "%s: no partition label", name)
				assert.NotEqual(t, "run_id", l.GetName(), "%s: no run id label", name)
			}
		}
	}
	gathered, err := reg.Gather()
	require.NoError(t, err)
	problems, err := promlint.NewWithMetricFamilies(gathered).Lint()
	require.NoError(t, err)
	assert.Empty(t, problems, "promlint")

	now = now.Add(time.Hour)
	fams = scrape(t, srv.URL)
	assert.Equal(t, 31*3600.0, sample(t, fams, "feature_freshness_lag_seconds", pipe("node", "silver.clicks")), "the lag grows while nothing lands")

	_, err = kiln.NewMetrics(reg)
	var already prometheus.AlreadyRegisteredError
	assert.ErrorAs(t, err, &already, "registering twice in one registry")
}

func TestMetricsRowDeltaFromTheLake(t *testing.T) {
	ct := newCLITest(t)
	_, err := ct.p.Run(t.Context(), kiln.Date(2024, 1, 4)) // bronze 01-02..04, silver 01-04 (13 rows)
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	m, err := kiln.NewMetrics(reg, kiln.MetricsLake(ct.def))
	require.NoError(t, err)
	p2 := newCLITest(t, kiln.WithListener(m), kiln.WithLake(ct.def))
	_, err = p2.p.Run(t.Context(), kiln.Date(2024, 1, 5)) // silver 01-05: 14 rows, previous read from the lake
	require.NoError(t, err)
	mf, err := reg.Gather()
	require.NoError(t, err)
	fams := map[string]*dto.MetricFamily{}
	for _, f := range mf {
		fams[f.GetName()] = f
	}
	assert.InDelta(t, 100.0*(14-13)/13, sample(t, fams, "row_count_delta_percent", map[string]string{"node": "silver.clicks"}), 1e-9)
}
