package expr

import (
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// Sentinel errors of evaluation, checkable with errors.Is.
var (
	// ErrLossy reports a value that a conversion cannot represent exactly:
	// out of range, a fraction or NaN to an integer, a string that does not
	// parse, a timestamp that does not fit a coarser unit.
	ErrLossy = errors.New("lossy conversion")
	// ErrOverflow reports integer arithmetic outside the int64 range.
	ErrOverflow = errors.New("integer overflow")
)

// Error is a plan-time error: an expression that does not type-check
// against a schema, or is malformed.
type Error struct {
	// Column is a column involved in the faulty sub-expression ("" when
	// none is, e.g. for literals only).
	Column string
	// Expr is the faulty sub-expression.
	Expr string
	// Problem says what is wrong.
	Problem string
}

func (e *Error) Error() string {
	if e.Expr == "" {
		return e.Problem
	}
	return fmt.Sprintf("in %s: %s", e.Expr, e.Problem)
}

// RowError is an evaluation error at one row.
type RowError struct {
	// Row is the 0-based row index in the input table.
	Row int64
	// Expr is the expression (or column) being computed.
	Expr string
	// Value is the offending input value as text ("" when not useful).
	Value string
	// Err is ErrLossy or ErrOverflow.
	Err error
	// Detail says what went wrong.
	Detail string
}

func (e *RowError) Error() string {
	msg := fmt.Sprintf("row %d: %s: ", e.Row, e.Expr)
	if e.Value != "" {
		msg += fmt.Sprintf("value %s: ", e.Value)
	}
	return msg + e.Detail
}

// Unwrap returns ErrLossy or ErrOverflow.
func (e *RowError) Unwrap() error { return e.Err }

// val is an evaluated operand: an array of the batch's length, or a
// constant (an array of length 1 standing for every row).
type val struct {
	a      arrow.Array
	scalar bool
}

// evalCtx is one batch being evaluated.
type evalCtx struct {
	n       int
	cols    []arrow.Array
	rowBase int64
}

// cnode is a compiled, type-checked expression node.
type cnode struct {
	typ      arrow.DataType
	nullable bool
	text     string
	constant bool // a literal or folded: ev ignores the batch
	ev       func(c *evalCtx, mask []byte) (val, error)
}

// Program is a compiled expression, ready to evaluate on batches of the
// schema it was compiled against. It is safe for concurrent use.
type Program struct {
	// Type is the result type.
	Type arrow.DataType
	// Nullable reports whether results may be null.
	Nullable bool
	// Cols are the schema indexes of the columns read, ascending.
	Cols []int
	// Text is the expression in SQL-like notation.
	Text string
	root *cnode
}

// Batch is a row range of a table: arrays of equal length indexed by schema
// field (only the columns a Program reads need to be set).
type Batch struct {
	// Rows is the number of rows.
	Rows int
	// RowBase is the table row index of the batch's first row, for errors.
	RowBase int64
	// Cols holds one array per schema field.
	Cols []arrow.Array
}

// Compile type-checks n against schema s. Errors are *Error values naming
// the column and sub-expression at fault.
func Compile(n *Node, s *arrow.Schema) (*Program, error) {
	if err := n.check(); err != nil {
		text := ""
		if n != nil {
			text = n.String()
		}
		return nil, &Error{Expr: text, Problem: err.Error()}
	}
	c := &compiler{schema: s, used: map[int]bool{}}
	root, err := c.compile(n)
	if err != nil {
		return nil, err
	}
	p := &Program{Type: root.typ, Nullable: root.nullable, Text: n.String(), root: root}
	for i := range c.used {
		p.Cols = append(p.Cols, i)
	}
	slices.Sort(p.Cols)
	return p, nil
}

// Eval evaluates the program on a batch and returns an array of b.Rows
// values that the caller owns. mask (a bitmap of b.Rows bits, or nil for
// all rows) limits which rows may raise errors: rows outside it are
// computed but never fail.
func (p *Program) Eval(b Batch, mask []byte) (arrow.Array, error) {
	c := &evalCtx{n: b.Rows, cols: b.Cols, rowBase: b.RowBase}
	v, err := p.root.ev(c, mask)
	if err != nil {
		return nil, err
	}
	if v.scalar {
		return broadcast(v.a, b.Rows), nil
	}
	v.a.Retain()
	return v.a, nil
}

type compiler struct {
	schema *arrow.Schema
	used   map[int]bool
}

func errAt(n *Node, format string, args ...any) *Error {
	col := ""
	if cols := n.Columns(); len(cols) > 0 {
		col = cols[0]
	}
	return &Error{Column: col, Expr: n.String(), Problem: fmt.Sprintf(format, args...)}
}

func (c *compiler) compile(n *Node) (*cnode, error) {
	var (
		out *cnode
		err error
	)
	switch n.Op {
	case "col":
		return c.compileCol(n)
	case "lit":
		return compileLit(n)
	case "add", "sub", "mul", "div", "neg":
		out, err = c.compileArith(n)
	case "eq", "ne", "lt", "le", "gt", "ge":
		out, err = c.compileCompare(n)
	case "and", "or", "not", "is_null", "is_not_null", "is_nan", "coalesce", "case":
		out, err = c.compileLogic(n)
	case "lower", "upper", "trim", "contains", "has_prefix", "has_suffix", "regexp_match":
		out, err = c.compileString(n)
	case "year", "month", "day", "hour", "minute", "second", "day_of_week", "is_weekend", "date_trunc", "date", "at_zone":
		out, err = c.compileTemporal(n)
	case "cast":
		out, err = c.compileCast(n)
	default:
		return nil, errAt(n, "unknown operator %q", n.Op)
	}
	if err != nil {
		return nil, err
	}
	out.text = n.String()
	return fold(n, out)
}

// compileArgs compiles the operands of n.
func (c *compiler) compileArgs(n *Node) ([]*cnode, error) {
	out := make([]*cnode, len(n.Args))
	for i, a := range n.Args {
		cn, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		out[i] = cn
	}
	return out, nil
}

// fold evaluates a node whose operands are all constants once, at plan
// time, so that errors in constant sub-expressions surface early and
// batches skip the work.
func fold(n *Node, cn *cnode) (*cnode, error) {
	if !cn.constant {
		return cn, nil
	}
	v, err := cn.ev(&evalCtx{n: 1}, nil)
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			return nil, errAt(n, "%s", re.Detail)
		}
		return nil, errAt(n, "%v", err)
	}
	a := v.a
	return constNode(cn.typ, a, cn.text), nil
}

// constNode returns a node that always yields the length-1 array a.
func constNode(typ arrow.DataType, a arrow.Array, text string) *cnode {
	return &cnode{typ: typ, nullable: isNullAt(a, 0), text: text, constant: true,
		ev: func(*evalCtx, []byte) (val, error) { return val{a: a, scalar: true}, nil }}
}

// allConst reports whether every node is constant.
func allConst(ns ...*cnode) bool {
	for _, x := range ns {
		if !x.constant {
			return false
		}
	}
	return true
}

// anyNullable reports whether any node may be null.
func anyNullable(ns ...*cnode) bool {
	for _, x := range ns {
		if x.nullable {
			return true
		}
	}
	return false
}

func (c *compiler) compileCol(n *Node) (*cnode, error) {
	idx := c.schema.FieldIndices(n.Name)
	switch {
	case len(idx) == 0:
		return nil, &Error{Column: n.Name, Problem: "missing"}
	case len(idx) > 1:
		return nil, &Error{Column: n.Name, Problem: "ambiguous: appears more than once"}
	}
	i := idx[0]
	c.used[i] = true
	f := c.schema.Field(i)
	typ := f.Type
	decode := false
	if dt, ok := typ.(*arrow.DictionaryType); ok {
		typ, decode = dt.ValueType, true
	}
	name := n.String()
	return &cnode{typ: typ, nullable: f.Nullable, text: name,
		ev: func(c *evalCtx, _ []byte) (val, error) {
			a := c.cols[i]
			if a == nil {
				return val{}, fmt.Errorf("column %s not provided to the evaluator", name)
			}
			if decode {
				d, err := decodeDictionary(a)
				if err != nil {
					return val{}, fmt.Errorf("column %s: %w", name, err)
				}
				a = d
			}
			return val{a: a}, nil
		}}, nil
}

// coerce converts v to type to (exactly; failures are row errors).
func coerce(c *evalCtx, v val, to arrow.DataType, mask []byte, text string) (val, error) {
	if arrow.TypeEqual(v.a.DataType(), to) {
		return v, nil
	}
	a, err := castArray(v.a, to, castOpts{mask: mask, rowBase: c.rowBase, text: text, scalar: v.scalar})
	if err != nil {
		return val{}, err
	}
	return val{a: a, scalar: v.scalar}, nil
}
