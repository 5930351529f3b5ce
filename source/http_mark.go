package source

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
)

// httpMarkable reports whether a column can carry a Since mark.
func httpMarkable(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.TIMESTAMP, arrow.DATE32, arrow.STRING, arrow.LARGE_STRING:
		return true
	}
	return false
}

// httpMark is a mark value: an integer (integers, timestamps in the
// column's unit, dates in days) or a string.
type httpMark struct {
	n   int64
	s   string
	set bool
}

func (m httpMark) less(o httpMark, isStr bool) bool {
	if isStr {
		return m.s < o.s
	}
	return m.n < o.n
}

// httpParseMark reads a mark written by httpFormatMark (or a user's
// Initial).
func httpParseMark(dt arrow.DataType, v string) (httpMark, error) {
	if v == "" {
		return httpMark{}, nil
	}
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		return httpMark{s: v, set: true}, nil
	case *arrow.TimestampType:
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return httpMark{}, fmt.Errorf("mark %q: want an RFC 3339 time", v)
		}
		ts, ok := arrowx.TimeToUnit(tm, t.Unit)
		if !ok {
			return httpMark{}, fmt.Errorf("mark %q: out of range for %s", v, t)
		}
		return httpMark{n: ts, set: true}, nil
	case *arrow.Date32Type:
		tm, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return httpMark{}, fmt.Errorf("mark %q: want a YYYY-MM-DD date", v)
		}
		return httpMark{n: int64(arrow.Date32FromTime(tm)), set: true}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return httpMark{}, fmt.Errorf("mark %q: want an integer", v)
	}
	return httpMark{n: n, set: true}, nil
}

// httpFormatMark writes a mark as the query parameter value.
func httpFormatMark(dt arrow.DataType, m httpMark) string {
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		return m.s
	case *arrow.TimestampType:
		return arrow.Timestamp(m.n).ToTime(t.Unit).UTC().Format(time.RFC3339Nano)
	case *arrow.Date32Type:
		return arrow.Date32(m.n).FormattedString()
	}
	return strconv.FormatInt(m.n, 10)
}

// httpMarkValues returns a column chunk's values as marks, one per row (the
// zero httpMark for nulls).
func httpMarkValues(a arrow.Array, out []httpMark) ([]httpMark, error) {
	out = out[:0]
	n := a.Len()
	var get func(i int) (httpMark, error)
	switch a := a.(type) {
	case *array.String:
		get = func(i int) (httpMark, error) { return httpMark{s: a.Value(i), set: true}, nil }
	case *array.LargeString:
		get = func(i int) (httpMark, error) { return httpMark{s: a.Value(i), set: true}, nil }
	case *array.Uint64:
		get = func(i int) (httpMark, error) {
			v := a.Value(i)
			if v > math.MaxInt64 {
				return httpMark{}, fmt.Errorf("value %d is too large for a mark", v)
			}
			return httpMark{n: int64(v), set: true}, nil
		}
	default:
		ints, err := httpInt64s(a)
		if err != nil {
			return nil, err
		}
		get = func(i int) (httpMark, error) { return httpMark{n: ints[i], set: true}, nil }
	}
	for i := range n {
		if a.IsNull(i) {
			out = append(out, httpMark{})
			continue
		}
		m, err := get(i)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// httpInt64s widens an integer, timestamp or date32 chunk to int64s.
func httpInt64s(a arrow.Array) ([]int64, error) {
	out := make([]int64, a.Len())
	switch a := a.(type) {
	case *array.Int64:
		copy(out, a.Int64Values())
	case *array.Timestamp:
		for i, v := range a.TimestampValues() {
			out[i] = int64(v)
		}
	case *array.Date32:
		for i, v := range a.Date32Values() {
			out[i] = int64(v)
		}
	case *array.Int32:
		for i, v := range a.Int32Values() {
			out[i] = int64(v)
		}
	case *array.Int16:
		for i, v := range a.Int16Values() {
			out[i] = int64(v)
		}
	case *array.Int8:
		for i, v := range a.Int8Values() {
			out[i] = int64(v)
		}
	case *array.Uint32:
		for i, v := range a.Uint32Values() {
			out[i] = int64(v)
		}
	case *array.Uint16:
		for i, v := range a.Uint16Values() {
			out[i] = int64(v)
		}
	case *array.Uint8:
		for i, v := range a.Uint8Values() {
			out[i] = int64(v)
		}
	default:
		return nil, fmt.Errorf("type %s cannot carry a mark", a.DataType())
	}
	return out, nil
}

// httpSinceFilter keeps the rows whose mark column is after from and, when
// upper is set, not after *upper (rows with a null mark are kept), and
// returns the largest mark kept (from when none is).
func httpSinceFilter(ctx *kiln.Context, batches []arrow.RecordBatch, col int, from string, upper *string) ([]arrow.RecordBatch, string, error) {
	if len(batches) == 0 {
		return nil, from, nil
	}
	dt := batches[0].Schema().Field(col).Type
	isStr := dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING
	lo, err := httpParseMark(dt, from)
	if err != nil {
		return nil, "", err
	}
	var hi httpMark
	if upper != nil {
		if hi, err = httpParseMark(dt, *upper); err != nil {
			return nil, "", err
		}
	}
	best := lo
	var kept []arrow.RecordBatch
	var marks []httpMark
	mask := array.NewBooleanBuilder(memory.DefaultAllocator)
	defer mask.Release()
	for _, b := range batches {
		if marks, err = httpMarkValues(b.Column(col), marks); err != nil {
			return nil, "", err
		}
		all := true
		for _, m := range marks {
			keep := !m.set || ((!lo.set || lo.less(m, isStr)) && (!hi.set || !hi.less(m, isStr)))
			if keep && m.set && (!best.set || best.less(m, isStr)) {
				best = m
			}
			all = all && keep
			mask.Append(keep)
		}
		if all {
			mask.NewArray().Release()
			b.Retain()
			kept = append(kept, b)
			continue
		}
		m := mask.NewArray()
		fb, err := compute.FilterRecordBatch(ctx, b, m, compute.DefaultFilterOptions())
		m.Release()
		if err != nil {
			return nil, "", err
		}
		kept = append(kept, fb)
	}
	if !best.set {
		return kept, from, nil
	}
	return kept, httpFormatMark(dt, best), nil
}
