package expr

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
)

// Comparisons follow SQL: a null operand gives null. Numbers compare as
// int64 when both are integers and as float64 otherwise; floats use a total
// order in which NaN equals NaN and is greater than every other value
// (-0.0 equals +0.0), as in DuckDB and PostgreSQL. Strings compare by their
// UTF-8 bytes. Timestamps compare as instants (the time zone does not
// matter), in the finer of the two units.

func (c *compiler) compileCompare(n *Node) (*cnode, error) {
	args, err := c.compileArgs(n)
	if err != nil {
		return nil, err
	}
	a, b := args[0], args[1]
	typ, err := computeType(a.typ, b.typ)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	op, text := n.Op, n.String()
	return &cnode{typ: arrow.FixedWidthTypes.Boolean, nullable: a.nullable || b.nullable, constant: allConst(a, b),
		ev: func(c *evalCtx, mask []byte) (val, error) {
			av, err := a.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			bv, err := b.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			if typ.ID() != arrow.NULL {
				if av, err = coerce(c, av, typ, mask, a.text); err != nil {
					return val{}, err
				}
				if bv, err = coerce(c, bv, typ, mask, b.text); err != nil {
					return val{}, err
				}
			}
			return compare(c, op, typ, av, bv), nil
		}, text: text}, nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func compare(c *evalCtx, op string, typ arrow.DataType, a, b val) val {
	n := rows(c, a, b)
	scalar := a.scalar && b.scalar
	if typ.ID() == arrow.NULL || scalarNull(a, b) {
		return nullResult(arrow.FixedWidthTypes.Boolean, n, scalar)
	}
	valid := andBitmaps(n, validityOf(a), validityOf(b))
	out := make([]byte, bitmapBytes(n))
	switch typ.ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		cmpOrdered(op, fixedValues[int64](a.a), a.scalar, fixedValues[int64](b.a), b.scalar, out, n)
	case arrow.DATE32:
		cmpOrdered(op, fixedValues[int32](a.a), a.scalar, fixedValues[int32](b.a), b.scalar, out, n)
	case arrow.FLOAT64:
		cmpFloat(op, fixedValues[float64](a.a), a.scalar, fixedValues[float64](b.a), b.scalar, out, n)
	case arrow.STRING:
		cmpStrings(op, stringsOf(a.a), a.scalar, stringsOf(b.a), b.scalar, out, n)
	case arrow.BOOL:
		cmpBools(op, a, b, out, n)
	}
	return val{a: makeBool(n, out, valid), scalar: scalar}
}

// flipOp returns the operator that gives the same result with the operands
// swapped.
func flipOp(op string) string {
	switch op {
	case "lt":
		return "gt"
	case "le":
		return "ge"
	case "gt":
		return "lt"
	case "ge":
		return "le"
	}
	return op
}

func ordCmp[T int32 | int64](op string, a, b T) bool {
	switch op {
	case "eq":
		return a == b
	case "ne":
		return a != b
	case "lt":
		return a < b
	case "le":
		return a <= b
	case "gt":
		return a > b
	}
	return a >= b
}

// cmpOrdered compares integers (or timestamps, dates) into out.
func cmpOrdered[T int32 | int64](op string, x []T, xs bool, y []T, ys bool, out []byte, n int) {
	if xs && ys {
		out[0] = b2u(ordCmp(op, x[0], y[0]))
		return
	}
	if xs {
		op, x, y, ys = flipOp(op), y, x, true
	}
	if ys {
		cmpConst(op, x[:n], y[0], out)
		return
	}
	if op == "gt" || op == "ge" {
		op, x, y = flipOp(op), y, x
	}
	x, y = x[:n], y[:n]
	switch op {
	case "eq":
		for i := range x {
			out[i>>3] |= b2u(x[i] == y[i]) << (uint(i) & 7)
		}
	case "ne":
		for i := range x {
			out[i>>3] |= b2u(x[i] != y[i]) << (uint(i) & 7)
		}
	case "lt":
		for i := range x {
			out[i>>3] |= b2u(x[i] < y[i]) << (uint(i) & 7)
		}
	case "le":
		for i := range x {
			out[i>>3] |= b2u(x[i] <= y[i]) << (uint(i) & 7)
		}
	}
}

// floatLess is the total order of comparisons: NaN is greatest and equal
// to itself.
func floatLess(a, b float64) bool { return a < b || b != b && a == a }

func floatEq(a, b float64) bool { return a == b || a != a && b != b }

func floatCmp(op string, a, b float64) bool {
	switch op {
	case "eq":
		return floatEq(a, b)
	case "ne":
		return !floatEq(a, b)
	case "lt":
		return floatLess(a, b)
	case "le":
		return !floatLess(b, a)
	case "gt":
		return floatLess(b, a)
	}
	return !floatLess(a, b)
}

func cmpFloat(op string, x []float64, xs bool, y []float64, ys bool, out []byte, n int) {
	if xs && ys {
		out[0] = b2u(floatCmp(op, x[0], y[0]))
		return
	}
	if xs {
		op, x, y, ys = flipOp(op), y, x, true
	}
	if ys {
		b := y[0]
		x = x[:n]
		if b != b { // NaN constant: only the total order's special cases
			for i := range x {
				out[i>>3] |= b2u(floatCmp(op, x[i], b)) << (uint(i) & 7)
			}
			return
		}
		// b is not NaN: x NaN is greater than b and unequal to it, which
		// is what cmpConst computes.
		cmpConst(op, x, b, out)
		return
	}
	x, y = x[:n], y[:n]
	for i := range x {
		out[i>>3] |= b2u(floatCmp(op, x[i], y[i])) << (uint(i) & 7)
	}
}

func cmpStrings(op string, x strVec, xs bool, y strVec, ys bool, out []byte, n int) {
	for i := range n {
		var a, b []byte
		if xs {
			a = x.value(0)
		} else {
			a = x.value(i)
		}
		if ys {
			b = y.value(0)
		} else {
			b = y.value(i)
		}
		var r bool
		switch op {
		case "eq":
			r = bytes.Equal(a, b)
		case "ne":
			r = !bytes.Equal(a, b)
		default:
			k := bytes.Compare(a, b)
			switch op {
			case "lt":
				r = k < 0
			case "le":
				r = k <= 0
			case "gt":
				r = k > 0
			case "ge":
				r = k >= 0
			}
		}
		out[i>>3] |= b2u(r) << (uint(i) & 7)
	}
}

// boolOperand returns the values bitmap of a boolean operand expanded to n
// rows.
func boolOperand(v val, n int) []byte {
	if !v.scalar {
		return boolBits(v.a)
	}
	out := make([]byte, bitmapBytes(n))
	if getBit(boolBits(v.a), 0) {
		for i := range out {
			out[i] = 0xFF
		}
	}
	return out
}

func cmpBools(op string, a, b val, out []byte, n int) {
	x, y := boolOperand(a, n), boolOperand(b, n)
	for i := range out {
		p, q := x[i], y[i]
		switch op {
		case "eq":
			out[i] = ^(p ^ q)
		case "ne":
			out[i] = p ^ q
		case "lt":
			out[i] = ^p & q
		case "le":
			out[i] = ^p | q
		case "gt":
			out[i] = p &^ q
		case "ge":
			out[i] = p | ^q
		}
	}
}

// cmpConst compares x with a constant b (not NaN) into the bitmap out,
// eight rows per output byte. gt and ge are computed as NOT le and NOT lt,
// which puts NaN above every b as the total order wants.
func cmpConst[T int32 | int64 | float64](op string, x []T, b T, out []byte) {
	n := len(x)
	full := n &^ 7
	switch op {
	case "eq":
		for i := 0; i < full; i += 8 {
			v := x[i : i+8 : i+8]
			out[i>>3] = b2u(v[0] == b) | b2u(v[1] == b)<<1 | b2u(v[2] == b)<<2 | b2u(v[3] == b)<<3 |
				b2u(v[4] == b)<<4 | b2u(v[5] == b)<<5 | b2u(v[6] == b)<<6 | b2u(v[7] == b)<<7
		}
	case "ne":
		for i := 0; i < full; i += 8 {
			v := x[i : i+8 : i+8]
			out[i>>3] = b2u(v[0] != b) | b2u(v[1] != b)<<1 | b2u(v[2] != b)<<2 | b2u(v[3] != b)<<3 |
				b2u(v[4] != b)<<4 | b2u(v[5] != b)<<5 | b2u(v[6] != b)<<6 | b2u(v[7] != b)<<7
		}
	case "lt":
		for i := 0; i < full; i += 8 {
			v := x[i : i+8 : i+8]
			out[i>>3] = b2u(v[0] < b) | b2u(v[1] < b)<<1 | b2u(v[2] < b)<<2 | b2u(v[3] < b)<<3 |
				b2u(v[4] < b)<<4 | b2u(v[5] < b)<<5 | b2u(v[6] < b)<<6 | b2u(v[7] < b)<<7
		}
	case "le":
		for i := 0; i < full; i += 8 {
			v := x[i : i+8 : i+8]
			out[i>>3] = b2u(v[0] <= b) | b2u(v[1] <= b)<<1 | b2u(v[2] <= b)<<2 | b2u(v[3] <= b)<<3 |
				b2u(v[4] <= b)<<4 | b2u(v[5] <= b)<<5 | b2u(v[6] <= b)<<6 | b2u(v[7] <= b)<<7
		}
	case "gt":
		for i := 0; i < full; i += 8 {
			v := x[i : i+8 : i+8]
			out[i>>3] = ^(b2u(v[0] <= b) | b2u(v[1] <= b)<<1 | b2u(v[2] <= b)<<2 | b2u(v[3] <= b)<<3 |
				b2u(v[4] <= b)<<4 | b2u(v[5] <= b)<<5 | b2u(v[6] <= b)<<6 | b2u(v[7] <= b)<<7)
		}
	case "ge":
		for i := 0; i < full; i += 8 {
			v := x[i : i+8 : i+8]
			out[i>>3] = ^(b2u(v[0] < b) | b2u(v[1] < b)<<1 | b2u(v[2] < b)<<2 | b2u(v[3] < b)<<3 |
				b2u(v[4] < b)<<4 | b2u(v[5] < b)<<5 | b2u(v[6] < b)<<6 | b2u(v[7] < b)<<7)
		}
	}
	for i := full; i < n; i++ {
		var r bool
		switch op {
		case "eq":
			r = x[i] == b
		case "ne":
			r = x[i] != b
		case "lt":
			r = x[i] < b
		case "le":
			r = x[i] <= b
		case "gt":
			r = !(x[i] <= b)
		case "ge":
			r = !(x[i] < b)
		}
		out[i>>3] |= b2u(r) << (uint(i) & 7)
	}
}
