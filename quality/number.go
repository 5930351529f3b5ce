package quality

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// number is an observed statistic in its column's domain: exact for
// integers, float otherwise; kind 0 means null (no value).
type number struct {
	kind byte // 0, 'i', 'u' or 'f'
	i    int64
	u    uint64
	f    float64
}

func floatNumber(f float64) number { return number{kind: 'f', f: f} }

func (n number) null() bool { return n.kind == 0 }

func (n number) float() float64 {
	switch n.kind {
	case 'i':
		return float64(n.i)
	case 'u':
		return float64(n.u)
	}
	return n.f
}

// json returns the number as a JSON-safe value: nil, int64, uint64, a
// finite float64 or a string naming a non-finite one; values of temporal
// columns (typ) are formatted as times or dates.
func (n number) json(typ arrow.DataType) any {
	switch n.kind {
	case 0:
		return nil
	case 'i':
		if typ != nil && temporal(typ) {
			return formatTemporal(typ, n.i)
		}
		return n.i
	case 'u':
		return n.u
	}
	return jsonFloat(n.f)
}

// bounds is an optional numeric or time range, inclusive unless strict.
type bounds struct {
	Min       *float64   `json:"min,omitempty"`
	Max       *float64   `json:"max,omitempty"`
	MinTime   *time.Time `json:"min_time,omitempty"`
	MaxTime   *time.Time `json:"max_time,omitempty"`
	StrictMin bool       `json:"strict_min,omitempty"`
	StrictMax bool       `json:"strict_max,omitempty"`
}

func (b bounds) text() string {
	lo, hi := "", ""
	if b.Min != nil {
		lo = fmtNum(*b.Min)
	}
	if b.Max != nil {
		hi = fmtNum(*b.Max)
	}
	if b.MinTime != nil {
		lo = b.MinTime.Format(time.RFC3339Nano)
	}
	if b.MaxTime != nil {
		hi = b.MaxTime.Format(time.RFC3339Nano)
	}
	return rangeText(lo, hi, b.StrictMin, b.StrictMax)
}

// contains reports whether n is within the bounds. Null and NaN never are.
// Integers compare exactly; values of temporal columns (typ) compare with
// the time bounds in the column's unit.
func (b bounds) contains(n number, typ arrow.DataType) (bool, error) {
	switch n.kind {
	case 0:
		return false, nil
	case 'i':
		if b.MinTime != nil || b.MaxTime != nil {
			m, err := newRangeMarker(b, &column{typ: typ, dom: domInt})
			if err != nil {
				return false, err
			}
			return n.i >= m.ilo && n.i <= m.ihi, nil
		}
		lo, hi := intBounds(b.Min, b.Max, b.StrictMin, b.StrictMax)
		return n.i >= lo && n.i <= hi, nil
	case 'u':
		lo, hi := uintBounds(b.Min, b.Max, b.StrictMin, b.StrictMax)
		return n.u >= lo && n.u <= hi, nil
	}
	f := n.f
	if math.IsNaN(f) {
		return false, nil
	}
	if b.Min != nil && (f < *b.Min || (b.StrictMin && f == *b.Min)) {
		return false, nil
	}
	if b.Max != nil && (f > *b.Max || (b.StrictMax && f == *b.Max)) {
		return false, nil
	}
	return true, nil
}

// check reports a NaN bound and opens infinite ones.
func (b *bounds) check() error {
	return firstErr(checkBound(&b.Min, "min"), checkBound(&b.Max, "max"))
}
