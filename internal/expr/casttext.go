package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
)

// unsafeString views b as a string without copying; the string must not
// outlive b's array.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// formatArray renders values as strings of type to.
func formatArray(a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	n := a.Len()
	valid := validity(a)
	b := newStrBuilder(n, n*8)
	switch a.DataType().ID() {
	case arrow.BOOL:
		bits := boolBits(a)
		for i := range n {
			if valid == nil || getBit(valid, i) {
				b.data = strconv.AppendBool(b.data, getBit(bits, i))
			}
			b.next()
		}
	case arrow.TIMESTAMP:
		ts := a.DataType().(*arrow.TimestampType)
		loc, err := LoadZone(ts.TimeZone)
		if err != nil {
			return nil, err
		}
		layout := time.RFC3339Nano
		if ts.TimeZone == "" {
			layout = "2006-01-02T15:04:05.999999999"
		}
		ups := unitsPerSecond(ts.Unit)
		for i, v := range fixedValues[int64](a) {
			if valid == nil || getBit(valid, i) {
				sec, sub := floorDiv(v, ups), floorMod(v, ups)
				b.data = time.Unix(sec, sub*(1_000_000_000/ups)).In(loc).AppendFormat(b.data, layout)
			}
			b.next()
		}
	case arrow.DATE32:
		for i, d := range fixedValues[int32](a) {
			if valid == nil || getBit(valid, i) {
				b.data = appendDate(b.data, int64(d))
			}
			b.next()
		}
	default:
		s, err := loadNumeric(a)
		if err != nil {
			return nil, err
		}
		for i := range n {
			if valid == nil || getBit(valid, i) {
				b.data = append(b.data, s.text(i)...)
			}
			b.next()
		}
	}
	out := b.finish(valid)
	if to.ID() != arrow.STRING {
		return fromUTF8(out, to), nil
	}
	return out, nil
}

// appendDate appends YYYY-MM-DD for a day count since the epoch.
func appendDate(dst []byte, days int64) []byte {
	y, m, d := civil(days)
	if y < 0 || y > 9999 {
		return fmt.Appendf(dst, "%d-%02d-%02d", y, m, d)
	}
	return fmt.Appendf(dst, "%04d-%02d-%02d", y, m, d)
}

// parseArray parses strings into type to.
func parseArray(a arrow.Array, to arrow.DataType, o castOpts) (arrow.Array, error) {
	s := stringsOf(a)
	n := a.Len()
	f := newFailer(o, n, validity(a), to)
	ct := catOf(to)
	switch {
	case ct == catTimestamp:
		return parseTimestamps(s, n, to.(*arrow.TimestampType), "", f)
	case ct == catDate:
		out := make([]int32, n)
		for i := range n {
			if !f.isValid(i) {
				continue
			}
			v := s.value(i)
			p, ok := ParseISO(v)
			if !ok || len(v) != 10 {
				if err := f.fail(i, quoteValue(v), "not a date (want YYYY-MM-DD)"); err != nil {
					return nil, err
				}
				continue
			}
			out[i] = int32(floorDiv(p.Wall, 86400))
		}
		return makeFixed(to, out, f.valid), nil
	case ct == catBool:
		out := make([]byte, bitmapBytes(n))
		for i := range n {
			if !f.isValid(i) {
				continue
			}
			v := s.value(i)
			r, err := strconv.ParseBool(unsafeString(v))
			if err != nil {
				if err := f.fail(i, quoteValue(v), "not a boolean"); err != nil {
					return nil, err
				}
				continue
			}
			out[i>>3] |= b2u(r) << (uint(i) & 7)
		}
		return makeBool(n, out, f.valid), nil
	}
	var src numSrc
	switch ct {
	case catInt:
		src = numSrc{kind: catInt, i: make([]int64, n)}
	case catUint:
		src = numSrc{kind: catUint, u: make([]uint64, n)}
	case catFloat:
		src = numSrc{kind: catFloat, f: make([]float64, n), f32: to.ID() == arrow.FLOAT32}
	default:
		return nil, fmt.Errorf("cannot parse strings as %s", TypeName(to))
	}
	for i := range n {
		if !f.isValid(i) {
			continue
		}
		v := s.value(i)
		str := unsafeString(v)
		var err error
		switch ct {
		case catInt:
			src.i[i], err = strconv.ParseInt(str, 10, 64)
		case catUint:
			src.u[i], err = strconv.ParseUint(str, 10, 64)
		default:
			bits := 64
			if src.f32 {
				bits = 32
			}
			src.f[i], err = strconv.ParseFloat(str, bits)
		}
		if err != nil {
			why := "not a number"
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				why = "out of range"
			}
			if err := f.fail(i, quoteValue(v), why); err != nil {
				return nil, err
			}
		}
	}
	// Narrow to the target width; only rows that parsed are checked.
	g := newFailer(o, n, f.valid, to)
	if src.f32 {
		out := make([]float32, n)
		for i, v := range src.f {
			out[i] = float32(v)
		}
		return makeFixed(to, out, f.valid), nil
	}
	return storeNumeric(src, to, g)
}

// parseTimestamps parses ISO 8601 strings (or, with a layout, Go time
// layouts) into timestamps of type to. Strings without an offset are wall
// time in to's zone.
func parseTimestamps(s strVec, n int, to *arrow.TimestampType, layout string, f *failer) (arrow.Array, error) {
	loc, err := LoadZone(to.TimeZone)
	if err != nil {
		return nil, err
	}
	return parseTimes(s, n, to, layout, loc, f)
}

// ParseTimestamps parses a string array into timestamps of type to: with
// ParseISO when layout is "", else with time.Parse(layout). Strings without
// an offset are wall time in zone (see LoadZone). Strings that do not parse
// or are more precise than to's unit are row errors (ErrLossy) unless
// o.AllowLossy, which makes the former null and truncates the latter.
func ParseTimestamps(a arrow.Array, to *arrow.TimestampType, layout, zone string, o CastOptions) (arrow.Array, error) {
	if catOf(a.DataType()) != catString {
		return nil, fmt.Errorf("cannot parse %s as timestamps", TypeName(a.DataType()))
	}
	loc, err := LoadZone(zone)
	if err != nil {
		return nil, err
	}
	n := a.Len()
	co := castOpts{lossy: o.AllowLossy, rowBase: o.RowBase, text: o.Name, verb: "parse as"}
	return parseTimes(stringsOf(a), n, to, layout, loc, newFailer(co, n, validity(a), to))
}

// parseTimes parses strings into timestamps of type to: with ParseISO when
// layout is "", else with time.Parse(layout). Strings without an offset
// are wall time in zone loc.
func parseTimes(s strVec, n int, to *arrow.TimestampType, layout string, loc *time.Location, f *failer) (arrow.Array, error) {
	z := newZoner(loc)
	ups := unitsPerSecond(to.Unit)
	per := 1_000_000_000 / ups
	zoned := layout != "" && layoutHasZone(layout)
	out := make([]int64, n)
	for i := range n {
		if !f.isValid(i) {
			continue
		}
		v := s.value(i)
		var p ISOTime
		ok := false
		if layout == "" {
			p, ok = ParseISO(v)
		} else if t, err := time.Parse(layout, unsafeString(v)); err == nil {
			ok = true
			p = ISOTime{Wall: t.Unix(), Nsec: int64(t.Nanosecond())}
			if zoned {
				_, off := t.Zone()
				p.Offset, p.HasOffset = int64(off), true
				p.Wall += int64(off)
			}
		}
		if !ok {
			want := "RFC 3339 / ISO 8601"
			if layout != "" {
				want = "layout " + strconv.Quote(layout)
			}
			if err := f.fail(i, quoteValue(v), "not a timestamp (want "+want+")"); err != nil {
				return nil, err
			}
			continue
		}
		sec := p.Wall - p.Offset
		if !p.HasOffset {
			sec = z.instant(p.Wall)
		}
		if p.Nsec%per != 0 && !f.o.lossy {
			if err := f.fail(i, quoteValue(v), "more precise than "+unitName(to.Unit)); err != nil {
				return nil, err
			}
			continue
		}
		hi, ok1 := mulInt64(sec, ups)
		t, ok2 := addInt64(hi, p.Nsec/per)
		if !ok1 || !ok2 {
			if err := f.fail(i, quoteValue(v), "out of the range of "+TypeName(to)); err != nil {
				return nil, err
			}
			continue
		}
		out[i] = t
	}
	return makeFixed(to, out, f.valid), nil
}

// layoutHasZone reports whether a Go time layout reads a zone or offset.
func layoutHasZone(layout string) bool {
	for _, z := range []string{"MST", "Z07", "-07"} {
		if strings.Contains(layout, z) {
			return true
		}
	}
	return false
}

// castTimestampUnit converts timestamps between units and zones.
func castTimestampUnit(a arrow.Array, to *arrow.TimestampType, o castOpts) (arrow.Array, error) {
	from := a.DataType().(*arrow.TimestampType)
	if from.Unit == to.Unit {
		return retype(a, to), nil
	}
	n := a.Len()
	f := newFailer(o, n, validity(a), to)
	vals := fixedValues[int64](a)
	out := make([]int64, n)
	fu, tu := unitsPerSecond(from.Unit), unitsPerSecond(to.Unit)
	if tu > fu {
		k := tu / fu
		for i, v := range vals {
			r, ok := mulInt64(v, k)
			if !ok && f.isValid(i) {
				if err := f.fail(i, strconv.FormatInt(v, 10), "out of range"); err != nil {
					return nil, err
				}
			}
			out[i] = r
		}
		return makeFixed(to, out, f.valid), nil
	}
	k := fu / tu
	for i, v := range vals {
		q := floorDiv(v, k)
		if q*k != v && !o.lossy && f.isValid(i) {
			if err := f.fail(i, strconv.FormatInt(v, 10), "more precise than "+unitName(to.Unit)); err != nil {
				return nil, err
			}
		}
		out[i] = q
	}
	return makeFixed(to, out, f.valid), nil
}

// castTimestampToDate gives the calendar date in the timestamp's zone.
func castTimestampToDate(a arrow.Array, o castOpts) (arrow.Array, error) {
	ts := a.DataType().(*arrow.TimestampType)
	loc, err := LoadZone(ts.TimeZone)
	if err != nil {
		return nil, err
	}
	z := newZoner(loc)
	to := arrow.FixedWidthTypes.Date32
	n := a.Len()
	f := newFailer(o, n, validity(a), to)
	ups := unitsPerSecond(ts.Unit)
	out := make([]int32, n)
	for i, v := range fixedValues[int64](a) {
		if !f.isValid(i) {
			continue
		}
		sec := floorDiv(v, ups)
		wall := z.local(sec)
		if (wall%86400 != 0 || sec*ups != v) && !o.lossy {
			if err := f.fail(i, strconv.FormatInt(v, 10), "has a time of day"); err != nil {
				return nil, err
			}
			continue
		}
		out[i] = int32(floorDiv(wall, 86400))
	}
	return makeFixed(to, out, f.valid), nil
}

// castDateToTimestamp gives midnight of each date in the target's zone.
func castDateToTimestamp(a arrow.Array, to *arrow.TimestampType, o castOpts) (arrow.Array, error) {
	loc, err := LoadZone(to.TimeZone)
	if err != nil {
		return nil, err
	}
	z := newZoner(loc)
	n := a.Len()
	f := newFailer(o, n, validity(a), to)
	ups := unitsPerSecond(to.Unit)
	out := make([]int64, n)
	for i, d := range fixedValues[int32](a) {
		r, ok := mulInt64(z.instant(int64(d)*86400), ups)
		if !ok && f.isValid(i) {
			if err := f.fail(i, string(appendDate(nil, int64(d))), "out of the range of "+TypeName(to)); err != nil {
				return nil, err
			}
		}
		out[i] = r
	}
	return makeFixed(to, out, f.valid), nil
}
