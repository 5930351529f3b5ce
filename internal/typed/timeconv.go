package typed

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Date is a civil date (no time of day, no zone) stored as days since
// 1970-01-01. It maps to an Arrow date32 column.
type Date int32

const secondsPerDay = 24 * 60 * 60

// DateOf returns the civil date of t in t's own location: the date a wall
// calendar shows at t there. Years outside about ±5.8 million do not fit.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

// DateFor returns the Date of the given year, month and day; values out of
// range are normalized as by time.Date.
func DateFor(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC()
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return d.Time().Format(time.DateOnly)
}

// unitScale returns how many units fit in a second and how many nanoseconds
// one unit is.
func unitScale(u arrow.TimeUnit) (perSec, nsPer int64) {
	switch u {
	case arrow.Second:
		return 1, 1e9
	case arrow.Millisecond:
		return 1e3, 1e6
	case arrow.Microsecond:
		return 1e6, 1e3
	default:
		return 1e9, 1
	}
}

// epochUnits converts sec seconds plus nsec nanoseconds (0 <= nsec < 1e9)
// since the Unix epoch to a count of units, rounding toward negative
// infinity (so 1969-12-31T23:59:59.9999999Z is -1 at microsecond unit, the
// same as time.Time.UnixMicro). ok is false if the result overflows int64.
func epochUnits(sec, nsec, perSec, nsPer int64) (v int64, ok bool) {
	f := nsec / nsPer // 0 <= f < perSec
	switch {
	case sec >= 0:
		if sec > (math.MaxInt64-f)/perSec {
			return 0, false
		}
	case sec < math.MinInt64/perSec:
		// sec*perSec overflows, but sec*perSec+f may still fit when sec is
		// just below the limit: compute (sec+1)*perSec - (perSec-f).
		if sec < math.MinInt64/perSec-1 {
			return 0, false
		}
		hi := (sec + 1) * perSec
		if hi < math.MinInt64+(perSec-f) {
			return 0, false
		}
		return hi - (perSec - f), true
	}
	return sec*perSec + f, true
}

// timeConv converts between time.Time and Arrow timestamp values of one unit.
type timeConv struct {
	unit           arrow.TimeUnit
	perSec, nsPer  int64
	minSec, maxSec int64          // seconds that convert without overflow checks
	naive          bool           // store wall-clock time, not the instant
	loc            *time.Location // location of decoded values (UTC if nil)
}

func newTimeConv(unit arrow.TimeUnit, loc *time.Location) timeConv {
	perSec, nsPer := unitScale(unit)
	return timeConv{
		unit: unit, perSec: perSec, nsPer: nsPer,
		minSec: math.MinInt64/perSec + 1, maxSec: math.MaxInt64/perSec - 1,
		naive: loc == nil, loc: loc,
	}
}

// encode converts t to the column's unit. For a zoned column the value is
// the instant; for a naive column it is the wall-clock reading of t in t's
// own location, counted as if that reading were UTC (Arrow's definition of
// a timestamp without time zone).
func (c *timeConv) encode(t *time.Time) (int64, bool) {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	if c.naive {
		_, offset := t.Zone()
		sec += int64(offset)
	}
	if sec < c.minSec || sec > c.maxSec {
		return epochUnits(sec, nsec, c.perSec, c.nsPer)
	}
	// Constant divisors: this is the per-value hot path.
	switch c.unit {
	case arrow.Second:
		return sec, true
	case arrow.Millisecond:
		return sec*1e3 + nsec/1e6, true
	case arrow.Microsecond:
		return sec*1e6 + nsec/1e3, true
	default:
		return sec*1e9 + nsec, true
	}
}

// decode converts a timestamp value in the column's unit to a time.Time in
// the field's location. Every int64 value of every unit is representable.
func (c *timeConv) decode(v int64) time.Time {
	var t time.Time
	switch c.unit {
	case arrow.Second:
		t = time.Unix(v, 0)
	case arrow.Millisecond:
		t = time.UnixMilli(v)
	case arrow.Microsecond:
		t = time.UnixMicro(v)
	default:
		t = time.Unix(0, v)
	}
	if c.loc == nil || c.loc == time.UTC {
		return t.UTC()
	}
	return t.In(c.loc)
}

// rangeError reports a time that does not fit the column's unit.
func rangeError(col string, t time.Time, dt arrow.DataType) error {
	return fmt.Errorf("column %q: time %s is out of range for %s", col, t.Format(time.RFC3339Nano), dt)
}

// durationFromUnits converts a duration value of unit nsPer to a
// time.Duration; ok is false if it overflows.
func durationFromUnits(v, nsPer int64) (time.Duration, bool) {
	if nsPer == 1 {
		return time.Duration(v), true
	}
	if v > math.MaxInt64/nsPer || v < math.MinInt64/nsPer {
		return 0, false
	}
	return time.Duration(v * nsPer), true
}
