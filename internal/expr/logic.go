package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Boolean logic is SQL's three-valued (Kleene) logic: false AND null is
// false, true OR null is true, otherwise a null operand gives null.
// coalesce and CASE evaluate their operands only where needed: a row's
// errors come only from the branch that row takes.

func (c *compiler) compileLogic(n *Node) (*cnode, error) {
	args, err := c.compileArgs(n)
	if err != nil {
		return nil, err
	}
	boolT := arrow.FixedWidthTypes.Boolean
	needBool := func(i int) error {
		if k := catOf(args[i].typ); k != catBool && k != catNull {
			return errAt(n.Args[i], "%s needs a boolean, got %s", opName(n.Op), TypeName(args[i].typ))
		}
		return nil
	}
	switch n.Op {
	case "and", "or":
		if err := needBool(0); err != nil {
			return nil, err
		}
		if err := needBool(1); err != nil {
			return nil, err
		}
		a, b, op := args[0], args[1], n.Op
		return &cnode{typ: boolT, nullable: a.nullable || b.nullable, constant: allConst(a, b),
			ev: func(c *evalCtx, mask []byte) (val, error) {
				av, err := a.ev(c, mask)
				if err != nil {
					return val{}, err
				}
				bv, err := b.ev(c, mask)
				if err != nil {
					return val{}, err
				}
				return kleene(c, op, av, bv), nil
			}}, nil
	case "not":
		if err := needBool(0); err != nil {
			return nil, err
		}
		a := args[0]
		return &cnode{typ: boolT, nullable: a.nullable, constant: a.constant,
			ev: func(c *evalCtx, mask []byte) (val, error) {
				v, err := a.ev(c, mask)
				if err != nil {
					return val{}, err
				}
				m := rows(c, v)
				if scalarNull(v) || v.a.DataType().ID() == arrow.NULL {
					return nullResult(boolT, m, v.scalar), nil
				}
				bits := boolBits(v.a)
				out := make([]byte, len(bits))
				for i, x := range bits {
					out[i] = ^x
				}
				return val{a: makeBool(m, out, validity(v.a)), scalar: v.scalar}, nil
			}}, nil
	case "is_null", "is_not_null":
		a, isNull := args[0], n.Op == "is_null"
		return &cnode{typ: boolT, constant: a.constant,
			ev: func(c *evalCtx, mask []byte) (val, error) {
				v, err := a.ev(c, mask)
				if err != nil {
					return val{}, err
				}
				m := rows(c, v)
				valid := validity(v.a)
				out := make([]byte, bitmapBytes(m))
				switch {
				case valid == nil && !isNull:
					for i := range out {
						out[i] = 0xFF
					}
				case valid != nil && isNull:
					for i := range out {
						out[i] = ^valid[i]
					}
				case valid != nil:
					copy(out, valid)
				}
				return val{a: makeBool(m, out, nil), scalar: v.scalar}, nil
			}}, nil
	case "is_nan":
		a := args[0]
		if k := catOf(a.typ); k != catFloat && k != catNull {
			return nil, errAt(n, "isnan needs a float, got %s", TypeName(a.typ))
		}
		return &cnode{typ: boolT, nullable: a.nullable, constant: a.constant,
			ev: func(c *evalCtx, mask []byte) (val, error) {
				v, err := a.ev(c, mask)
				if err != nil {
					return val{}, err
				}
				m := rows(c, v)
				if scalarNull(v) || v.a.DataType().ID() == arrow.NULL {
					return nullResult(boolT, m, v.scalar), nil
				}
				if v, err = coerce(c, v, arrow.PrimitiveTypes.Float64, mask, a.text); err != nil {
					return val{}, err
				}
				xs := fixedValues[float64](v.a)
				out := make([]byte, bitmapBytes(m))
				for i, x := range xs {
					out[i>>3] |= b2u(x != x) << (uint(i) & 7)
				}
				return val{a: makeBool(m, out, validity(v.a)), scalar: v.scalar}, nil
			}}, nil
	case "coalesce":
		return c.compileCoalesce(n, args)
	}
	return c.compileCase(n, args)
}

func opName(op string) string {
	switch op {
	case "and":
		return "AND"
	case "or":
		return "OR"
	case "not":
		return "NOT"
	}
	return op
}

// kleene computes AND or OR with three-valued logic.
func kleene(c *evalCtx, op string, a, b val) val {
	n := rows(c, a, b)
	x, xv := kleeneOperand(a, n)
	y, yv := kleeneOperand(b, n)
	out := make([]byte, bitmapBytes(n))
	valid := make([]byte, bitmapBytes(n))
	for i := range out {
		p, pv, q, qv := x[i], xv[i], y[i], yv[i]
		if op == "and" {
			// Known false on either side decides; else both must be known.
			pf, qf := pv&^p, qv&^q
			valid[i] = pv&qv | pf | qf
			out[i] = p & pv & q & qv
		} else {
			pt, qt := pv&p, qv&q
			valid[i] = pv&qv | pt | qt
			out[i] = pt | qt
		}
	}
	return val{a: makeBool(n, out, valid), scalar: a.scalar && b.scalar}
}

// kleeneOperand returns the values and validity bitmaps of a boolean (or
// null-typed) operand for n rows.
func kleeneOperand(v val, n int) (vals, valid []byte) {
	if v.a.DataType().ID() == arrow.NULL || v.scalar && isNullAt(v.a, 0) {
		z := make([]byte, bitmapBytes(n))
		return z, z
	}
	vals = boolOperand(v, n)
	if !v.scalar {
		valid = validity(v.a)
	}
	if valid == nil {
		valid = allBits(n)
	}
	return vals, valid
}

func (c *compiler) compileCoalesce(n *Node, args []*cnode) (*cnode, error) {
	typ := args[0].typ
	for i, a := range args[1:] {
		t, err := unify(typ, a.typ)
		if err != nil {
			return nil, errAt(n.Args[i+1], "coalesce: %v", err)
		}
		typ = t
	}
	nullable := true
	for _, a := range args {
		if !a.nullable {
			nullable = false
		}
	}
	text := n.String()
	return &cnode{typ: typ, nullable: nullable, constant: allConst(args...),
		ev: func(c *evalCtx, mask []byte) (val, error) {
			m, which, pending := newChoice(c, mask, args)
			vals := make([]val, len(args))
			for k, a := range args {
				v, err := a.ev(c, pending)
				if err != nil {
					return val{}, err
				}
				if v, err = coerce(c, v, typ, pending, a.text); err != nil {
					return val{}, err
				}
				vals[k] = v
				vv := validity(v.a)
				if v.scalar {
					if isNullAt(v.a, 0) {
						continue
					}
					vv = nil
				}
				left := false
				for i := range m {
					if which[i] < 0 && (vv == nil || getBit(vv, i)) {
						which[i] = int16(k)
						clearBit(pending, i)
					} else if which[i] < 0 {
						left = true
					}
				}
				if !left {
					break
				}
			}
			out, err := gather(typ, m, vals, which)
			if err != nil {
				return val{}, &RowError{Row: c.rowBase, Expr: text, Err: ErrLossy, Detail: err.Error()}
			}
			return val{a: out, scalar: m == 1 && allConst(args...)}, nil
		}}, nil
}

func (c *compiler) compileCase(n *Node, args []*cnode) (*cnode, error) {
	var conds, values []*cnode
	var elseV *cnode
	i := 0
	for ; i+1 < len(args); i += 2 {
		if k := catOf(args[i].typ); k != catBool && k != catNull {
			return nil, errAt(n.Args[i], "CASE WHEN needs a boolean condition, got %s", TypeName(args[i].typ))
		}
		conds = append(conds, args[i])
		values = append(values, args[i+1])
	}
	if i < len(args) {
		elseV = args[i]
	}
	typ := values[0].typ
	nullable := elseV == nil
	branches := values
	if elseV != nil {
		branches = append(append([]*cnode(nil), values...), elseV)
	}
	for k, v := range branches {
		t, err := unify(typ, v.typ)
		if err != nil {
			return nil, errAt(n, "CASE branch %d: %v", k+1, err)
		}
		typ = t
		nullable = nullable || v.nullable
	}
	text := n.String()
	return &cnode{typ: typ, nullable: nullable, constant: allConst(args...),
		ev: func(c *evalCtx, mask []byte) (val, error) {
			m, which, pending := newChoice(c, mask, args)
			branchMask := make([][]byte, len(branches))
			for k, cond := range conds {
				cv, err := cond.ev(c, pending)
				if err != nil {
					return val{}, err
				}
				bm := make([]byte, bitmapBytes(m))
				if cv.a.DataType().ID() != arrow.NULL && !(cv.scalar && isNullAt(cv.a, 0)) {
					bits := boolOperand(cv, m)
					var cvalid []byte
					if !cv.scalar {
						cvalid = validity(cv.a)
					}
					for i := range m {
						if which[i] < 0 && getBit(bits, i) && (cvalid == nil || getBit(cvalid, i)) {
							which[i] = int16(k)
							clearBit(pending, i)
							setBit(bm, i)
						}
					}
				}
				branchMask[k] = bm
			}
			if elseV != nil {
				e := len(branches) - 1
				bm := make([]byte, bitmapBytes(m))
				for i := range m {
					if which[i] < 0 {
						which[i] = int16(e)
						setBit(bm, i)
					}
				}
				branchMask[e] = bm
			}
			vals := make([]val, len(branches))
			for k, b := range branches {
				bm := branchMask[k]
				if mask != nil && m == c.n {
					bm = andBitmaps(m, bm, mask)
				}
				v, err := b.ev(c, bm)
				if err != nil {
					return val{}, err
				}
				if v, err = coerce(c, v, typ, bm, b.text); err != nil {
					return val{}, err
				}
				vals[k] = v
			}
			out, err := gather(typ, m, vals, which)
			if err != nil {
				return val{}, &RowError{Row: c.rowBase, Expr: text, Err: ErrLossy, Detail: err.Error()}
			}
			return val{a: out, scalar: m == 1 && allConst(args...)}, nil
		}}, nil
}

// newChoice starts a row-by-row choice among operands (coalesce, CASE):
// the result length m (1 when every operand is constant), which operand
// each row takes (-1: none yet), and the rows still pending inside mask
// (the rows whose errors count).
func newChoice(c *evalCtx, mask []byte, args []*cnode) (m int, which []int16, pending []byte) {
	m = c.n
	if allConst(args...) {
		m = 1
	}
	which = make([]int16, m)
	for i := range which {
		which[i] = -1
	}
	pending = allBits(m)
	if mask != nil && m == c.n {
		copy(pending, mask)
	}
	return m, which, pending
}
