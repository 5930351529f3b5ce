package quality_test

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), string(got), "%s differs; rerun with -update if the change is intended", path)
}

func reportResults(t *testing.T) []kiln.CheckResult {
	tbl := table(t,
		"user_id", i64(1, 2, nil, 2, 5),
		"amount", f64(10, -3, 25.5, nil, 1e7),
		"kind", strs("view", "view", "buy", "refund", "view"))
	var out []kiln.CheckResult
	for _, c := range []kiln.Check{
		quality.NotNull("user_id").Mostly(0.9),
		quality.Unique("user_id").Warn(),
		quality.Between("amount", 0, 1e6).Quarantine(),
		quality.InSet("kind", "view", "buy"),
		quality.Mean("amount").Between(0, 100),
		quality.RowCount().AtLeast(1),
		quality.ColumnSetContains("user_id", "amount"),
		quality.Quantiles("amount", quality.QuantileRange{Quantile: 0.5, Min: 0, Max: 100}),
	} {
		out = append(out, eval(t, c, tbl))
	}
	out = append(out, kiln.CheckResult{Check: "custom", Severity: kiln.SeverityWarn, Observed: map[string]any{"ratio": math.Inf(1)}, Message: "a user check with a non-finite observation"})
	return out
}

func TestReportGolden(t *testing.T) {
	rep := quality.NewReport(reportResults(t))
	assert.Equal(t, quality.Summary{Evaluated: 9, Passed: 3, Failed: 3, Warned: 2, Quarantined: 1, PassRate: 3.0 / 9}, rep.Summary)
	golden(t, "report.txt.golden", []byte(rep.String()))
	js, err := rep.JSON()
	require.NoError(t, err)
	golden(t, "report.json.golden", js)
	again, err := quality.NewReport(reportResults(t)).JSON()
	require.NoError(t, err)
	assert.Equal(t, string(js), string(again), "the JSON form is stable")
}

func TestReportOfRun(t *testing.T) {
	res := &kiln.Result{Partition: kiln.Date(2024, 3, 2), Nodes: []kiln.NodeResult{
		{Node: "bronze.events", Partition: kiln.Date(2024, 3, 2), Checks: []kiln.CheckResult{{Check: "not_null", Column: "id", Success: true, ElementCount: 3}}},
		{Node: "silver.events", Partition: kiln.Date(2024, 3, 2)},
	}}
	rep := quality.ReportOf(res)
	require.Len(t, rep.Results, 1)
	assert.Equal(t, "bronze.events", rep.Results[0].Node)
	assert.Equal(t, "dt=2024-03-02", rep.Results[0].Partition)
	assert.Equal(t, 1.0, rep.Summary.PassRate)
	assert.Contains(t, rep.String(), "NODE")
	assert.Equal(t, 1.0, quality.NewReport(nil).Summary.PassRate, "nothing evaluated: vacuously 1")
}

func TestReadReportOfMissingPartition(t *testing.T) {
	_, err := quality.ReadReport(t.TempDir(), "bronze.events", kiln.Date(2024, 3, 2))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "not committed")
}
