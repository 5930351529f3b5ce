package arrowx

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
)

func TestTimeToUnit(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
	before := time.Date(1969, 12, 31, 23, 59, 59, 500_000_000, time.UTC)
	for _, c := range []struct {
		t    time.Time
		unit arrow.TimeUnit
		want int64
	}{
		{at, arrow.Second, 1709283600},
		{at, arrow.Millisecond, 1709283600123},
		{at, arrow.Microsecond, 1709283600123456},
		{at, arrow.Nanosecond, 1709283600123456789},
		{before, arrow.Second, -1},
		{before, arrow.Millisecond, -500},
		{time.Unix(0, 0), arrow.Nanosecond, 0},
	} {
		got, ok := TimeToUnit(c.t, c.unit)
		assert.True(t, ok, "%s in %s", c.t, c.unit)
		assert.Equal(t, c.want, got, "%s in %s", c.t, c.unit)
		// The same as Arrow's own conversion back.
		assert.True(t, arrow.Timestamp(got).ToTime(c.unit).Equal(c.t.Truncate(c.unit.Multiplier())), "%s in %s", c.t, c.unit)
	}

	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	_, ok := TimeToUnit(far, arrow.Nanosecond)
	assert.False(t, ok, "year 2300 overflows nanoseconds")
	got, ok := TimeToUnit(far, arrow.Microsecond)
	assert.True(t, ok)
	assert.Equal(t, far.UnixMicro(), got)
	_, ok = UnixToUnit(-1<<62, 0, arrow.Millisecond)
	assert.False(t, ok)
}
