package kiln_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/kiln-data/kiln"
)

// TestPrometheusRulesUseKilnMetrics checks that the example alerting rules
// parse and name only metrics that kiln.NewMetrics exports.
func TestPrometheusRulesUseKilnMetrics(t *testing.T) {
	b, err := os.ReadFile("examples/prometheus-rules.yml")
	require.NoError(t, err)
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Record      string            `yaml:"record"`
				Expr        string            `yaml:"expr"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(b, &file))
	require.NotEmpty(t, file.Groups)

	reg := prometheus.NewRegistry()
	m, err := kiln.NewMetrics(reg, kiln.MetricsFreshnessSLA("gold.user_totals", kiln.Day))
	require.NoError(t, err)
	ct := newCLITest(t, kiln.WithListener(m))
	ct.fail.Store("dt=2024-01-02")
	_, _ = ct.p.Backfill(t.Context(), []kiln.Partition{kiln.Date(2024, 1, 1), kiln.Date(2024, 1, 2)})
	fams, err := reg.Gather()
	require.NoError(t, err)
	exported := map[string]bool{}
	for _, f := range fams {
		exported[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[f.GetName()+s] = true
			}
		}
	}

	metricRE := regexp.MustCompile(`\b[a-z][a-z0-9_]*_(seconds|total|rate|percent|bucket|count|sum)\b`)
	var alerts []string
	recorded := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Expr, "rule %s%s", r.Alert, r.Record)
			if r.Record != "" {
				recorded[r.Record] = true
				continue
			}
			alerts = append(alerts, r.Alert)
			assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
			for _, name := range metricRE.FindAllString(r.Expr, -1) {
				assert.True(t, exported[name], "alert %s uses %s, which kiln does not export", r.Alert, name)
			}
			for _, name := range regexp.MustCompile(`\b[a-z_]+:[a-z_:0-9]+\b`).FindAllString(r.Expr, -1) {
				assert.True(t, recorded[name], "alert %s uses %s, recorded above it", r.Alert, name)
			}
		}
	}
	// The seeds' alerts: duration over 2h (p95), quality under 99%,
	// row-count change over 20%, freshness over SLA.
	all := strings.Join(alerts, " ")
	for _, want := range []string{"KilnPipelineSlow", "KilnDataQualityLow", "KilnRowCountJump", "KilnFeatureStale"} {
		assert.Contains(t, all, want)
	}
}
