package quality_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kiln-data/kiln/quality"
)

func TestPreviousComparisonsRunInOrder(t *testing.T) {
	assert.True(t, quality.RowCountChange(0.2).Sequential(), "compares with the previous partition")
	assert.False(t, quality.RowCountChange(0.2).Against(quality.Committed("silver.ref", "dt=2024-01-01")).Sequential())
	assert.False(t, quality.Freshness("ts", time.Hour).Sequential())
}
