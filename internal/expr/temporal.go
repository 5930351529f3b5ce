package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Date parts and truncation are computed in the timestamp type's time zone
// (see zone.go); use at_zone to read them in another zone. date32 values
// are calendar dates with no zone. Parts are int64: year, month 1-12, day
// 1-31, hour 0-23, minute, second 0-59, day_of_week ISO 8601 (Monday 1 ..
// Sunday 7); is_weekend is Saturday or Sunday. date_trunc units: year,
// quarter, month, week (ISO weeks start on Monday), day, hour, minute,
// second; the result keeps the input type.

var truncUnits = map[string]int{"second": 1, "minute": 2, "hour": 3, "day": 4, "week": 5, "month": 6, "quarter": 7, "year": 8}

func (c *compiler) compileTemporal(n *Node) (*cnode, error) {
	args, err := c.compileArgs(n)
	if err != nil {
		return nil, err
	}
	a := args[0]
	k := catOf(a.typ)
	if k != catTimestamp && k != catDate && k != catNull {
		return nil, errAt(n, "%s needs a timestamp or date32, got %s", n.Op, TypeName(a.typ))
	}
	if k == catNull {
		return nil, errAt(n, "%s needs a timestamp or date32, got a null literal", n.Op)
	}
	op := n.Op
	var typ arrow.DataType
	switch op {
	case "year", "month", "day", "hour", "minute", "second", "day_of_week":
		typ = arrow.PrimitiveTypes.Int64
		if k == catDate && (op == "hour" || op == "minute" || op == "second") {
			return nil, errAt(n, "%s needs a timestamp, got date32", op)
		}
	case "is_weekend":
		typ = arrow.FixedWidthTypes.Boolean
	case "date":
		typ = arrow.FixedWidthTypes.Date32
	case "date_trunc":
		u, ok := truncUnits[n.Param]
		if !ok {
			return nil, errAt(n, "unknown date_trunc unit %q (want year, quarter, month, week, day, hour, minute or second)", n.Param)
		}
		if k == catDate && u < truncUnits["day"] {
			return nil, errAt(n, "date_trunc(%q) needs a timestamp, got date32", n.Param)
		}
		typ = a.typ
	case "at_zone":
		if k != catTimestamp {
			return nil, errAt(n, "at_zone needs a timestamp, got %s", TypeName(a.typ))
		}
		if _, err := LoadZone(n.Param); err != nil {
			return nil, errAt(n, "%v", err)
		}
		typ = &arrow.TimestampType{Unit: a.typ.(*arrow.TimestampType).Unit, TimeZone: n.Param}
	}
	unit := n.Param
	return &cnode{typ: typ, nullable: a.nullable, constant: a.constant,
		ev: func(c *evalCtx, mask []byte) (val, error) {
			v, err := a.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			m := rows(c, v)
			if scalarNull(v) {
				return nullResult(typ, m, v.scalar), nil
			}
			if op == "at_zone" {
				return val{a: retype(v.a, typ), scalar: v.scalar}, nil
			}
			out, err := temporal(op, unit, typ, v.a, m)
			if err != nil {
				return val{}, err
			}
			return val{a: out, scalar: v.scalar}, nil
		}}, nil
}

// retype returns a with another type of the same physical layout.
func retype(a arrow.Array, dt arrow.DataType) arrow.Array {
	d := a.Data()
	nd := array.NewData(dt, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd)
}

// temporal computes a date part, date or truncation of a timestamp or
// date32 array.
func temporal(op, unit string, typ arrow.DataType, a arrow.Array, n int) (arrow.Array, error) {
	valid := validity(a)
	if a.DataType().ID() == arrow.DATE32 {
		days := fixedValues[int32](a)
		return datePart(op, unit, typ, days, valid, n), nil
	}
	ts := a.DataType().(*arrow.TimestampType)
	loc, err := LoadZone(ts.TimeZone)
	if err != nil {
		return nil, err
	}
	z := newZoner(loc)
	ups := unitsPerSecond(ts.Unit)
	vals := fixedValues[int64](a)
	if z.utc {
		if out := utcFastPath(op, unit, typ, vals, ups, valid, n); out != nil {
			return out, nil
		}
	}
	switch op {
	case "date_trunc":
		out := make([]int64, n)
		u := truncUnits[unit]
		for i, v := range vals[:n] {
			if valid != nil && !getBit(valid, i) {
				continue
			}
			sec := floorDiv(v, ups)
			wall := truncWall(z.local(sec), u)
			out[i] = z.instant(wall) * ups
		}
		return makeFixed(typ, out, valid), nil
	case "date":
		out := make([]int32, n)
		for i, v := range vals[:n] {
			if valid != nil && !getBit(valid, i) {
				continue
			}
			out[i] = int32(floorDiv(z.local(floorDiv(v, ups)), 86400))
		}
		return makeFixed(typ, out, valid), nil
	case "is_weekend":
		out := make([]byte, bitmapBytes(n))
		for i, v := range vals[:n] {
			if valid != nil && !getBit(valid, i) {
				continue
			}
			out[i>>3] |= b2u(isoWeekday(floorDiv(z.local(floorDiv(v, ups)), 86400)) >= 6) << (uint(i) & 7)
		}
		return makeBool(n, out, valid), nil
	}
	out := make([]int64, n)
	for i, v := range vals[:n] {
		if valid != nil && !getBit(valid, i) {
			continue
		}
		out[i] = wallPart(op, z.local(floorDiv(v, ups)))
	}
	return makeFixed(typ, out, valid), nil
}

// wallPart extracts a field from wall-clock seconds.
func wallPart(op string, wall int64) int64 {
	days, sod := floorDiv(wall, 86400), floorMod(wall, 86400)
	switch op {
	case "hour":
		return sod / 3600
	case "minute":
		return sod % 3600 / 60
	case "second":
		return sod % 60
	case "day_of_week":
		return isoWeekday(days)
	}
	y, m, d := civil(days)
	switch op {
	case "year":
		return y
	case "month":
		return int64(m)
	}
	return int64(d)
}

// truncWall truncates wall-clock seconds to a date_trunc unit.
func truncWall(wall int64, u int) int64 {
	days, sod := floorDiv(wall, 86400), floorMod(wall, 86400)
	switch u {
	case 1:
		return wall
	case 2:
		return wall - sod%60
	case 3:
		return wall - sod%3600
	case 4:
		return days * 86400
	case 5:
		return (days - isoWeekday(days) + 1) * 86400
	}
	return truncDays(days, u) * 86400
}

// truncDays truncates a day count to the start of its month, quarter or
// year (u as in truncUnits).
func truncDays(days int64, u int) int64 {
	if u == 5 {
		return days - isoWeekday(days) + 1
	}
	if u <= 4 {
		return days
	}
	y, m, _ := civil(days)
	switch u {
	case 6:
		return daysFromCivil(y, m, 1)
	case 7:
		return daysFromCivil(y, (m-1)/3*3+1, 1)
	}
	return daysFromCivil(y, 1, 1)
}

// utcFastPath handles the hot cases of UTC (or naive) timestamps with plain
// integer arithmetic; it returns nil for the rest.
func utcFastPath(op, unit string, typ arrow.DataType, vals []int64, ups int64, valid []byte, n int) arrow.Array {
	var step int64
	switch {
	case op == "date_trunc" && unit == "second":
		step = ups
	case op == "date_trunc" && unit == "minute":
		step = 60 * ups
	case op == "date_trunc" && unit == "hour":
		step = 3600 * ups
	case op == "date_trunc" && unit == "day":
		step = 86400 * ups
	case op == "date":
		out := make([]int32, n)
		day := 86400 * ups
		for i, v := range vals[:n] {
			out[i] = int32(floorDiv(v, day))
		}
		return makeFixed(typ, out, valid)
	case op == "hour":
		out := make([]int64, n)
		day, hour := 86400*ups, 3600*ups
		for i, v := range vals[:n] {
			out[i] = floorMod(v, day) / hour
		}
		return makeFixed(typ, out, valid)
	default:
		return nil
	}
	out := make([]int64, n)
	for i, v := range vals[:n] {
		out[i] = v - floorMod(v, step)
	}
	return makeFixed(typ, out, valid)
}

// datePart computes parts and truncation of date32 values.
func datePart(op, unit string, typ arrow.DataType, days []int32, valid []byte, n int) arrow.Array {
	switch op {
	case "date":
		out := make([]int32, n)
		copy(out, days[:n])
		return makeFixed(typ, out, valid)
	case "date_trunc":
		out := make([]int32, n)
		u := truncUnits[unit]
		for i, d := range days[:n] {
			out[i] = int32(truncDays(int64(d), u))
		}
		return makeFixed(typ, out, valid)
	case "is_weekend":
		out := make([]byte, bitmapBytes(n))
		for i, d := range days[:n] {
			out[i>>3] |= b2u(isoWeekday(int64(d)) >= 6) << (uint(i) & 7)
		}
		return makeBool(n, out, valid)
	}
	out := make([]int64, n)
	for i, d := range days[:n] {
		out[i] = wallPart(op, int64(d)*86400)
	}
	return makeFixed(typ, out, valid)
}
