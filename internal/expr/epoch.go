package expr

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// LocalToUTC converts a timestamp array without a time zone (wall-clock
// values) to instants, reading the wall times in zone (overlaps take the
// earlier instant, gaps move forward; see LoadZone). The result has the
// same unit and time zone "UTC".
func LocalToUTC(a arrow.Array, zone string) (arrow.Array, error) {
	ts, ok := a.DataType().(*arrow.TimestampType)
	if !ok {
		return nil, fmt.Errorf("want a timestamp, got %s", TypeName(a.DataType()))
	}
	to := &arrow.TimestampType{Unit: ts.Unit, TimeZone: "UTC"}
	loc, err := LoadZone(zone)
	if err != nil {
		return nil, err
	}
	if loc.String() == "UTC" {
		return retype(a, to), nil
	}
	z := newZoner(loc)
	ups := unitsPerSecond(ts.Unit)
	valid := validity(a)
	vals := fixedValues[int64](a)
	out := make([]int64, len(vals))
	for i, v := range vals {
		if valid != nil && !getBit(valid, i) {
			continue
		}
		sec, sub := floorDiv(v, ups), floorMod(v, ups)
		out[i] = z.instant(sec)*ups + sub
	}
	return makeFixed(to, out, valid), nil
}

// FromEpoch converts numbers counting units from since the Unix epoch to
// timestamps of type to. Integers convert exactly (to a coarser unit only
// when divisible); floats are rounded to the nearest unit of to (halves
// away from zero). Values out of range, NaN, infinities and inexact
// integer conversions are row errors (ErrLossy) unless o.AllowLossy, which
// makes them null (inexact integers round down instead).
func FromEpoch(a arrow.Array, from arrow.TimeUnit, to *arrow.TimestampType, o CastOptions) (arrow.Array, error) {
	co := castOpts{lossy: o.AllowLossy, rowBase: o.RowBase, text: o.Name, verb: "convert to"}
	k := catOf(a.DataType())
	if k == catInt || k == catUint {
		i, err := castArray(a, arrow.PrimitiveTypes.Int64, co)
		if err != nil {
			return nil, err
		}
		ts := retype(i, &arrow.TimestampType{Unit: from, TimeZone: to.TimeZone})
		return castTimestampUnit(ts, to, co)
	}
	if k != catFloat {
		return nil, fmt.Errorf("want integers or floats, got %s", TypeName(a.DataType()))
	}
	src, err := loadNumeric(a)
	if err != nil {
		return nil, err
	}
	n := a.Len()
	f := newFailer(co, n, validity(a), to)
	scale := float64(unitsPerSecond(to.Unit)) / float64(unitsPerSecond(from))
	out := make([]int64, n)
	for i, v := range src.f {
		if !f.isValid(i) {
			continue
		}
		r := math.Round(v * scale)
		if r != r || r < -two63 || r >= two63 {
			if err := f.fail(i, strconv.FormatFloat(v, 'g', -1, 64), "not a finite time in range"); err != nil {
				return nil, err
			}
			continue
		}
		out[i] = int64(r)
	}
	return makeFixed(to, out, f.valid), nil
}
