package kiln_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
)

func TestPartitionRoundTrip(t *testing.T) {
	for _, s := range []string{"all", "dt=2024-01-30", "dt=2024-02-29/hour=07", "region=eu"} {
		p, err := kiln.ParsePartition(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, p.String())
		b, err := p.MarshalText()
		require.NoError(t, err)
		var q kiln.Partition
		require.NoError(t, q.UnmarshalText(b))
		assert.Equal(t, p, q)
	}
	for _, bad := range []string{"dt=2024-13-01", "dt=2024-01-01/hour=24", "dt=2024-01-01/hour=7", "nokey", "a/b", "dt=x", "hour=1"} {
		_, err := kiln.ParsePartition(bad)
		assert.Error(t, err, bad)
	}
}

func TestPartitionTimes(t *testing.T) {
	d := kiln.Date(2024, 1, 31)
	assert.Equal(t, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), d.Start())
	assert.Equal(t, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), d.End())
	assert.Equal(t, "dt=2024-02-01", d.Add(1).String())
	assert.Equal(t, "dt=2024-01-30", d.Add(-1).String())
	h := kiln.HourOf(time.Date(2024, 1, 31, 23, 59, 0, 0, time.FixedZone("x", -3600)))
	assert.Equal(t, "dt=2024-02-01/hour=00", h.String(), "instants are converted to UTC")
	assert.Equal(t, "dt=2024-02-01/hour=01", h.Add(1).String())
	assert.True(t, kiln.All.IsAll())
	assert.Equal(t, "", kiln.All.Dir())
	assert.True(t, kiln.All.End().IsZero())

	days, err := kiln.Days("2024-02-27", "2024-03-01")
	require.NoError(t, err)
	assert.Len(t, days, 4, "2024 is a leap year")
	_, err = kiln.Days("2024-03-02", "2024-03-01")
	assert.Error(t, err)
	_, err = kiln.Static("dt", "x")
	assert.Error(t, err, "dt is reserved")
	s, err := kiln.Static("region", "eu")
	require.NoError(t, err)
	assert.Equal(t, "region=eu", s.Dir())
	assert.Less(t, kiln.Date(2024, 1, 1).Compare(kiln.Date(2024, 1, 2)), 0)
}
