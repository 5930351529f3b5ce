package arrowx

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// UnixToUnit converts a time given as seconds and nanoseconds since the Unix
// epoch (0 <= nsec < 1e9, as time.Time.Unix and Nanosecond return them) to a
// count of unit, the value of an Arrow timestamp column. Digits finer than
// the unit are dropped (the result is the floor: -0.5 s is -1 in seconds).
// It reports false when the count overflows int64 (for nanoseconds, times
// outside about 1677-2262).
func UnixToUnit(sec, nsec int64, unit arrow.TimeUnit) (int64, bool) {
	var mul, div int64
	switch unit {
	case arrow.Second:
		return sec, true
	case arrow.Millisecond:
		mul, div = 1e3, 1e6
	case arrow.Microsecond:
		mul, div = 1e6, 1e3
	default:
		mul, div = 1e9, 1
	}
	if sec > math.MaxInt64/mul-1 || sec < math.MinInt64/mul+1 {
		return 0, false
	}
	return sec*mul + nsec/div, true
}

// TimeToUnit converts t to a count of unit since the Unix epoch (see
// UnixToUnit), reporting false when it overflows int64.
func TimeToUnit(t time.Time, unit arrow.TimeUnit) (int64, bool) {
	return UnixToUnit(t.Unix(), int64(t.Nanosecond()), unit)
}
