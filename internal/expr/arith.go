package expr

import (
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
)

// Arithmetic runs in int64 when both operands are integers (overflow is an
// error, ErrOverflow) and in float64 otherwise (IEEE 754). Division always
// gives float64; division by zero (including 0/0 and x/-0.0) gives null.

func addInt64(a, b int64) (int64, bool) { s := a + b; return s, (a^s)&(b^s) >= 0 }
func subInt64(a, b int64) (int64, bool) { d := a - b; return d, (a^b)&(a^d) >= 0 }

func mulInt64(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	hi -= uint64(a>>63) & uint64(b)
	hi -= uint64(b>>63) & uint64(a)
	r := int64(lo)
	return r, int64(hi) == r>>63
}

func (c *compiler) compileArith(n *Node) (*cnode, error) {
	args, err := c.compileArgs(n)
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if k := catOf(a.typ); !isNumeric(k) && k != catNull {
			return nil, errAt(n.Args[i], "%s needs numbers, got %s", opWord(n.Op), TypeName(a.typ))
		}
	}
	if n.Op == "neg" {
		typ := arrow.DataType(arrow.PrimitiveTypes.Int64)
		if catOf(args[0].typ) == catFloat {
			typ = arrow.PrimitiveTypes.Float64
		}
		a := args[0]
		return &cnode{typ: typ, nullable: a.nullable, constant: a.constant,
			ev: func(c *evalCtx, mask []byte) (val, error) {
				v, err := a.ev(c, mask)
				if err != nil {
					return val{}, err
				}
				if v, err = coerce(c, v, typ, mask, a.text); err != nil {
					return val{}, err
				}
				zero := constZero(typ)
				return arith(c, "sub", typ, zero, v, mask, n.String())
			}}, nil
	}
	typ, _ := computeType(args[0].typ, args[1].typ)
	if typ.ID() == arrow.NULL {
		typ = arrow.PrimitiveTypes.Int64
	}
	if n.Op == "div" {
		typ = arrow.PrimitiveTypes.Float64
	}
	a, b := args[0], args[1]
	op, text := n.Op, n.String()
	return &cnode{typ: typ, nullable: a.nullable || b.nullable || op == "div", constant: allConst(a, b),
		ev: func(c *evalCtx, mask []byte) (val, error) {
			av, err := a.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			bv, err := b.ev(c, mask)
			if err != nil {
				return val{}, err
			}
			if av, err = coerce(c, av, typ, mask, a.text); err != nil {
				return val{}, err
			}
			if bv, err = coerce(c, bv, typ, mask, b.text); err != nil {
				return val{}, err
			}
			return arith(c, op, typ, av, bv, mask, text)
		}}, nil
}

func opWord(op string) string {
	switch op {
	case "add":
		return "addition"
	case "sub":
		return "subtraction"
	case "mul":
		return "multiplication"
	case "div":
		return "division"
	case "neg":
		return "negation"
	}
	return op
}

func constZero(typ arrow.DataType) val {
	if typ.ID() == arrow.FLOAT64 {
		return val{a: makeFixed(typ, []float64{0}, nil), scalar: true}
	}
	return val{a: makeFixed(typ, []int64{0}, nil), scalar: true}
}

// rows returns the length of an operation's result: 1 when every operand
// is a constant, else the batch length.
func rows(c *evalCtx, vs ...val) int {
	for _, v := range vs {
		if !v.scalar {
			return c.n
		}
	}
	return 1
}

// scalarNull reports whether some operand is a null constant.
func scalarNull(vs ...val) bool {
	for _, v := range vs {
		if v.scalar && isNullAt(v.a, 0) {
			return true
		}
	}
	return false
}

// validityOf returns the validity of v for a result of n rows (nil when
// all valid; a valid constant contributes nothing).
func validityOf(v val) []byte {
	if v.scalar {
		return nil
	}
	return validity(v.a)
}

// nullResult returns an all-null result of type typ.
func nullResult(typ arrow.DataType, n int, scalar bool) val {
	return val{a: allNull(typ, n), scalar: scalar}
}

func arith(c *evalCtx, op string, typ arrow.DataType, a, b val, mask []byte, text string) (val, error) {
	n := rows(c, a, b)
	scalar := a.scalar && b.scalar
	if scalarNull(a, b) {
		return nullResult(typ, n, scalar), nil
	}
	valid := andBitmaps(n, validityOf(a), validityOf(b))
	if typ.ID() == arrow.FLOAT64 {
		x, y := fixedValues[float64](a.a), fixedValues[float64](b.a)
		out := make([]float64, n)
		floatLoop(op, x, a.scalar, y, b.scalar, out)
		if op == "div" {
			valid = clearZeroDivisors(y, b.scalar, valid, n)
		}
		return val{a: makeFixed(typ, out, valid), scalar: scalar}, nil
	}
	x, y := fixedValues[int64](a.a), fixedValues[int64](b.a)
	out := make([]int64, n)
	if !intLoop(op, x, a.scalar, y, b.scalar, out) {
		if err := overflowRow(c, op, x, a.scalar, y, b.scalar, valid, mask, text); err != nil {
			return val{}, err
		}
	}
	return val{a: makeFixed(typ, out, valid), scalar: scalar}, nil
}

// clearZeroDivisors clears the validity of rows whose divisor is zero.
func clearZeroDivisors(y []float64, ys bool, valid []byte, n int) []byte {
	if ys {
		if y[0] == 0 {
			return make([]byte, bitmapBytes(n))
		}
		return valid
	}
	zero := false
	for _, v := range y {
		if v == 0 {
			zero = true
			break
		}
	}
	if !zero {
		return valid
	}
	out := allBits(n)
	if valid != nil {
		copy(out, valid)
	}
	for i, v := range y {
		if v == 0 {
			clearBit(out, i)
		}
	}
	return out
}

func floatLoop(op string, x []float64, xs bool, y []float64, ys bool, out []float64) {
	switch {
	case xs && ys:
		out[0] = floatOp(op, x[0], y[0])
	case xs:
		a := x[0]
		switch op {
		case "add":
			for i := range out {
				out[i] = a + y[i]
			}
		case "sub":
			for i := range out {
				out[i] = a - y[i]
			}
		case "mul":
			for i := range out {
				out[i] = a * y[i]
			}
		case "div":
			for i := range out {
				out[i] = a / y[i]
			}
		}
	case ys:
		b := y[0]
		switch op {
		case "add":
			for i := range out {
				out[i] = x[i] + b
			}
		case "sub":
			for i := range out {
				out[i] = x[i] - b
			}
		case "mul":
			for i := range out {
				out[i] = x[i] * b
			}
		case "div":
			for i := range out {
				out[i] = x[i] / b
			}
		}
	default:
		x, y := x[:len(out)], y[:len(out)]
		switch op {
		case "add":
			for i := range out {
				out[i] = x[i] + y[i]
			}
		case "sub":
			for i := range out {
				out[i] = x[i] - y[i]
			}
		case "mul":
			for i := range out {
				out[i] = x[i] * y[i]
			}
		case "div":
			for i := range out {
				out[i] = x[i] / y[i]
			}
		}
	}
}

func floatOp(op string, a, b float64) float64 {
	switch op {
	case "add":
		return a + b
	case "sub":
		return a - b
	case "mul":
		return a * b
	}
	return a / b
}

// intLoop computes out and reports false when some row (possibly a null
// one) overflowed.
func intLoop(op string, x []int64, xs bool, y []int64, ys bool, out []int64) bool {
	var ov int64
	switch {
	case xs && ys:
		r, ok := intOp(op, x[0], y[0])
		out[0] = r
		return ok
	case xs:
		a := x[0]
		switch op {
		case "add":
			for i := range out {
				s := a + y[i]
				ov |= (a ^ s) & (y[i] ^ s)
				out[i] = s
			}
		case "sub":
			for i := range out {
				d := a - y[i]
				ov |= (a ^ y[i]) & (a ^ d)
				out[i] = d
			}
		case "mul":
			for i := range out {
				r, ok := mulInt64(a, y[i])
				if !ok {
					ov = -1
				}
				out[i] = r
			}
		}
	case ys:
		b := y[0]
		switch op {
		case "add":
			for i := range out {
				s := x[i] + b
				ov |= (x[i] ^ s) & (b ^ s)
				out[i] = s
			}
		case "sub":
			for i := range out {
				d := x[i] - b
				ov |= (x[i] ^ b) & (x[i] ^ d)
				out[i] = d
			}
		case "mul":
			for i := range out {
				r, ok := mulInt64(x[i], b)
				if !ok {
					ov = -1
				}
				out[i] = r
			}
		}
	default:
		x, y := x[:len(out)], y[:len(out)]
		switch op {
		case "add":
			for i := range out {
				s := x[i] + y[i]
				ov |= (x[i] ^ s) & (y[i] ^ s)
				out[i] = s
			}
		case "sub":
			for i := range out {
				d := x[i] - y[i]
				ov |= (x[i] ^ y[i]) & (x[i] ^ d)
				out[i] = d
			}
		case "mul":
			for i := range out {
				r, ok := mulInt64(x[i], y[i])
				if !ok {
					ov = -1
				}
				out[i] = r
			}
		}
	}
	return ov >= 0
}

func intOp(op string, a, b int64) (int64, bool) {
	switch op {
	case "add":
		return addInt64(a, b)
	case "sub":
		return subInt64(a, b)
	}
	return mulInt64(a, b)
}

// overflowRow finds the first valid, active row that overflowed and
// returns its error (nil when the overflow was under a null or inactive
// row).
func overflowRow(c *evalCtx, op string, x []int64, xs bool, y []int64, ys bool, valid, mask []byte, text string) error {
	n := max(len(x), len(y))
	if xs && ys {
		n = 1
	}
	for i := range n {
		a, b := x[0], y[0]
		if !xs {
			a = x[i]
		}
		if !ys {
			b = y[i]
		}
		if _, ok := intOp(op, a, b); ok {
			continue
		}
		if valid != nil && !getBit(valid, i) || mask != nil && !getBit(mask, i) {
			continue
		}
		sym := map[string]string{"add": "+", "sub": "-", "mul": "*"}[op]
		return &RowError{Row: c.rowBase + int64(i), Expr: text, Err: ErrOverflow,
			Detail: fmt.Sprintf("integer overflow: %d %s %d is outside the int64 range", a, sym, b)}
	}
	return nil
}
