package lineage_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln/lineage"
)

func TestRunQualityReport(t *testing.T) {
	rec := &lineage.RunRecord{Nodes: []lineage.NodeRun{
		{Node: "bronze.events", Partition: "dt=2024-01-30", Checks: []lineage.CheckResult{
			{Check: "not_null", Column: "id", Severity: lineage.SeverityError, Success: true, ElementCount: 10},
		}},
		{Node: "silver.events", Partition: "dt=2024-01-30"},
		{Node: "gold.daily", Partition: "dt=2024-01-30", Checks: []lineage.CheckResult{
			{Check: "between", Column: "amount", Severity: lineage.SeverityWarn, Expected: "in [0, 10]", UnexpectedCount: 2, UnexpectedPercent: 20},
			{Check: "unique", Columns: []string{"a", "b"}, Severity: lineage.SeverityQuarantine, Quarantined: 3, UnexpectedCount: 3, UnexpectedPercent: 30},
			{Check: "row_count", Severity: lineage.SeverityError, Observed: int64(0), Expected: "row_count >= 1"},
		}},
	}}
	rep := lineage.RunQualityReport(rec)
	assert.Equal(t, lineage.QualitySummary{Evaluated: 4, Passed: 1, Failed: 1, Warned: 1, Quarantined: 1, PassRate: 0.25}, rep.Summary)
	require.Len(t, rep.Results, 4)
	assert.Equal(t, "gold.daily", rep.Results[1].Node)
	rows := []lineage.QualityRow{rep.Results[0].Row(), rep.Results[1].Row(), rep.Results[2].Row(), rep.Results[3].Row()}
	assert.Equal(t, lineage.QualityRow{Node: "bronze.events", Check: "not_null", Column: "id", Observed: "-", Expected: "-", Unexpected: "0.00% (0)", Status: "pass"}, rows[0])
	assert.Equal(t, "WARN", rows[1].Status)
	assert.Equal(t, "a,b", rows[2].Column)
	assert.Equal(t, "QUARANTINED 3", rows[2].Status)
	assert.Equal(t, "0", rows[3].Observed)
	assert.Equal(t, "FAIL", rows[3].Status)
	text := rep.String()
	assert.True(t, strings.HasPrefix(text, "NODE "), text)
	assert.True(t, strings.HasSuffix(text, "4 checks: 1 passed, 1 failed, 1 warned, 1 quarantined; pass rate 25.0%\n"), text)
	assert.Equal(t, 1.0, lineage.NewQualityReport(nil).Summary.PassRate)
}
