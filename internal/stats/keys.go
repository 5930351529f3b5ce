package stats

import "math"

// canonicalNaN is the bit pattern every NaN maps to in FloatKey.
const canonicalNaN = 0x7ff8000000000001

// FloatKey maps f to a uint64 whose unsigned order is the numeric order of
// the floats: -Inf < negative < -0 = +0 < positive < +Inf < NaN. Negative
// zero maps to the key of positive zero and every NaN to one key, so equal
// keys mean equal values in the sense of == (with all NaNs equal).
func FloatKey(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 → +0
	}
	b := math.Float64bits(f)
	if f != f {
		b = canonicalNaN
	}
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// KeyFloat inverts FloatKey (NaN and -0 come back canonical).
func KeyFloat(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// IntKey maps v to a uint64 whose unsigned order is the signed order.
func IntKey(v int64) uint64 { return uint64(v) ^ 1<<63 }

// KeyInt inverts IntKey.
func KeyInt(k uint64) int64 { return int64(k ^ 1<<63) }
