package source

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// colKind is how a column accumulates values.
type colKind uint8

const (
	kindBool      colKind = iota
	kindInt               // int8..int64, kept as int64
	kindUint              // uint8..uint64, kept as uint64
	kindFloat             // float32, float64, kept as float64
	kindString            // utf8, large_utf8
	kindBinary            // binary, large_binary
	kindDate              // date32 days, kept as int64
	kindTimestamp         // timestamp in its unit
	kindStruct            // struct: one child per field
	kindList              // list, large_list: one child
)

// column accumulates the values of one Arrow column in plain Go slices,
// with no interface call or allocation per value, and builds Arrow arrays
// from them without copying. Text parsers (CSV, NDJSON) append to it.
type column struct {
	field arrow.Field
	kind  colKind
	bits  int            // width of int, uint and float kinds
	unit  arrow.TimeUnit // of timestamps
	large bool           // 64-bit offsets

	n     int
	valid []byte // validity bitmap; nil while every value is valid
	i64   []int64
	u64   []uint64
	f64   []float64
	bools []byte  // bool values, as a bitmap
	offs  []int64 // n+1 offsets into data (strings, binary) or child (lists)
	data  []byte
	child []*column

	gen uint64      // NDJSON: the object generation that last set the column
	obj *jsonObject // NDJSON: how a struct's keys map to its children
}

// newColumn returns an empty column for f, or an error naming f when its
// type is not supported by the text formats.
func newColumn(f arrow.Field) (*column, error) {
	c := &column{field: f}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		c.kind = kindBool
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		c.kind, c.bits = kindInt, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		c.kind, c.bits = kindUint, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.Float32Type, *arrow.Float64Type:
		c.kind, c.bits = kindFloat, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.StringType:
		c.kind = kindString
	case *arrow.LargeStringType:
		c.kind, c.large = kindString, true
	case *arrow.BinaryType:
		c.kind = kindBinary
	case *arrow.LargeBinaryType:
		c.kind, c.large = kindBinary, true
	case *arrow.Date32Type:
		c.kind = kindDate
	case *arrow.TimestampType:
		c.kind, c.unit = kindTimestamp, t.Unit
	case *arrow.StructType:
		c.kind = kindStruct
		for _, cf := range t.Fields() {
			ch, err := newColumn(cf)
			if err != nil {
				return nil, err
			}
			c.child = append(c.child, ch)
		}
	case *arrow.ListType:
		return newListColumn(c, t.ElemField(), false)
	case *arrow.LargeListType:
		return newListColumn(c, t.ElemField(), true)
	default:
		return nil, fmt.Errorf("column %q: type %s is not supported by text sources", f.Name, f.Type)
	}
	c.reset()
	return c, nil
}

func newListColumn(c *column, elem arrow.Field, large bool) (*column, error) {
	ch, err := newColumn(elem)
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", c.field.Name, err)
	}
	c.kind, c.large, c.child = kindList, large, []*column{ch}
	c.reset()
	return c, nil
}

// reset empties the column after its values were handed to an array,
// sizing the new buffers like the last batch's so appends rarely grow them.
func (c *column) reset() {
	rows, bytes := max(c.n, 1024), len(c.data)
	c.n, c.valid = 0, nil
	c.i64, c.u64, c.f64, c.bools, c.data, c.offs = nil, nil, nil, nil, nil, nil
	switch c.kind {
	case kindInt, kindDate, kindTimestamp:
		c.i64 = make([]int64, 0, rows)
	case kindUint:
		c.u64 = make([]uint64, 0, rows)
	case kindFloat:
		c.f64 = make([]float64, 0, rows)
	case kindBool:
		c.bools = make([]byte, 0, rows/8+1)
	case kindString, kindBinary:
		c.data = make([]byte, 0, bytes+bytes/8)
		fallthrough
	case kindList:
		c.offs = append(make([]int64, 0, rows+1), 0)
	}
}

// nullable reports whether the column accepts nulls.
func (c *column) nullable() bool { return c.field.Nullable }

func appendBit(bm []byte, i int, v bool) []byte {
	if i>>3 >= len(bm) {
		bm = append(bm, 0)
	}
	if v {
		bm[i>>3] |= 1 << (i & 7)
	}
	return bm
}

// done records one more value, valid or not.
func (c *column) done(valid bool) {
	if !valid && c.valid == nil {
		c.valid = make([]byte, (c.n+8)/8, max(64, (c.n+8)/4))
		bitutil.SetBitsTo(c.valid, 0, int64(c.n), true)
	}
	if c.valid != nil {
		c.valid = appendBit(c.valid, c.n, valid)
	}
	c.n++
}

// appendNull appends a null (a zero value under a cleared validity bit).
func (c *column) appendNull() {
	switch c.kind {
	case kindBool:
		c.bools = appendBit(c.bools, c.n, false)
	case kindInt, kindDate, kindTimestamp:
		c.i64 = append(c.i64, 0)
	case kindUint:
		c.u64 = append(c.u64, 0)
	case kindFloat:
		c.f64 = append(c.f64, 0)
	case kindString, kindBinary:
		c.offs = append(c.offs, int64(len(c.data)))
	case kindList:
		c.offs = append(c.offs, c.offs[len(c.offs)-1])
	case kindStruct:
		for _, ch := range c.child {
			ch.appendNull()
		}
	}
	c.done(false)
}

func (c *column) appendBool(v bool) {
	c.bools = appendBit(c.bools, c.n, v)
	c.done(true)
}

func (c *column) appendI64(v int64) {
	c.i64 = append(c.i64, v)
	c.done(true)
}

func (c *column) appendU64(v uint64) {
	c.u64 = append(c.u64, v)
	c.done(true)
}

func (c *column) appendF64(v float64) {
	c.f64 = append(c.f64, v)
	c.done(true)
}

func (c *column) appendBytes(b []byte) {
	c.data = append(c.data, b...)
	c.offs = append(c.offs, int64(len(c.data)))
	c.done(true)
}

// fitsInt reports whether v fits the column's integer width.
func (c *column) fitsInt(v int64) bool {
	switch c.bits {
	case 8:
		return v >= math.MinInt8 && v <= math.MaxInt8
	case 16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case 32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

func (c *column) fitsUint(v uint64) bool {
	return c.bits == 64 || v < 1<<c.bits
}

// appendText parses a scalar value from text and appends it. It returns a
// reason when the text is not a value of the column's type. validUTF8 says
// the caller already checked the text is valid UTF-8.
func (c *column) appendText(b []byte, validUTF8 bool, layout string) string {
	switch c.kind {
	case kindString:
		if !validUTF8 && !utf8.Valid(b) {
			return "invalid UTF-8"
		}
		c.appendBytes(b)
	case kindInt:
		v, ok := parseInt(b)
		if !ok || !c.fitsInt(v) {
			return fmt.Sprintf("cannot parse %s as %s", quoteValue(b), c.field.Type)
		}
		c.appendI64(v)
	case kindFloat:
		v, ok := parseFloat(b, c.bits)
		if !ok {
			return fmt.Sprintf("cannot parse %s as %s", quoteValue(b), c.field.Type)
		}
		c.appendF64(v)
	case kindTimestamp:
		v, ok := parseTimestamp(b, c.unit, layout)
		if !ok {
			return fmt.Sprintf("cannot parse %s as %s", quoteValue(b), c.field.Type)
		}
		c.appendI64(v)
	case kindBool:
		v, ok := parseBool(b)
		if !ok {
			return fmt.Sprintf("cannot parse %s as bool", quoteValue(b))
		}
		c.appendBool(v)
	case kindUint:
		v, ok := parseUint(b)
		if !ok || !c.fitsUint(v) {
			return fmt.Sprintf("cannot parse %s as %s", quoteValue(b), c.field.Type)
		}
		c.appendU64(v)
	case kindDate:
		v, ok := parseDate(b)
		if !ok {
			return fmt.Sprintf("cannot parse %s as date32 (want YYYY-MM-DD)", quoteValue(b))
		}
		c.appendI64(v)
	case kindBinary:
		c.appendBytes(b)
	default:
		return fmt.Sprintf("type %s cannot be read from text", c.field.Type)
	}
	return ""
}

// quoteValue quotes a bad value for a message, shortened.
func quoteValue(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%q…", b[:64])
	}
	return fmt.Sprintf("%q", b)
}

// truncate drops the values after the first n (rolling back a bad record).
func (c *column) truncate(n int) {
	if n >= c.n {
		return
	}
	switch c.kind {
	case kindBool:
		c.bools = truncBits(c.bools, n)
	case kindInt, kindDate, kindTimestamp:
		c.i64 = c.i64[:n]
	case kindUint:
		c.u64 = c.u64[:n]
	case kindFloat:
		c.f64 = c.f64[:n]
	case kindString, kindBinary:
		c.offs = c.offs[:n+1]
		c.data = c.data[:c.offs[n]]
	case kindList:
		c.offs = c.offs[:n+1]
		c.child[0].truncate(int(c.offs[n]))
	case kindStruct:
		for _, ch := range c.child {
			ch.truncate(n)
		}
	}
	if c.valid != nil {
		c.valid = truncBits(c.valid, n)
	}
	c.n = n
}

func truncBits(bm []byte, n int) []byte {
	bm = bm[:(n+7)/8]
	if n&7 != 0 {
		bm[n>>3] &= byte(1)<<(n&7) - 1
	}
	return bm
}

// build hands the accumulated values to a new Arrow array and resets the
// column.
func (c *column) build() (arrow.Array, error) {
	d, err := c.buildData()
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

func (c *column) buildData() (arrow.ArrayData, error) {
	defer c.reset()
	n := c.n
	nulls := 0
	var validity *memory.Buffer
	if c.valid != nil {
		nulls = n - bitutil.CountSetBits(c.valid, 0, n)
		if nulls > 0 {
			validity = memory.NewBufferBytes(c.valid)
		}
	}
	bufs := []*memory.Buffer{validity, nil}
	var children []arrow.ArrayData
	switch c.kind {
	case kindBool:
		bufs[1] = memory.NewBufferBytes(padBits(c.bools, n))
	case kindInt:
		bufs[1] = memory.NewBufferBytes(narrowInts(c.i64, c.bits))
	case kindUint:
		bufs[1] = memory.NewBufferBytes(narrowUints(c.u64, c.bits))
	case kindFloat:
		if c.bits == 32 {
			f := make([]float32, len(c.f64))
			for i, v := range c.f64 {
				f[i] = float32(v)
			}
			bufs[1] = memory.NewBufferBytes(arrow.Float32Traits.CastToBytes(f))
		} else {
			bufs[1] = memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(c.f64))
		}
	case kindDate:
		bufs[1] = memory.NewBufferBytes(narrowInts(c.i64, 32))
	case kindTimestamp:
		bufs[1] = memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(c.i64))
	case kindString, kindBinary:
		off, err := c.offsetBytes()
		if err != nil {
			return nil, err
		}
		bufs = append(bufs, memory.NewBufferBytes(c.data))
		bufs[1] = off
	case kindList:
		off, err := c.offsetBytes()
		if err != nil {
			return nil, err
		}
		bufs[1] = off
		ch, err := c.child[0].buildData()
		if err != nil {
			return nil, err
		}
		defer ch.Release()
		children = []arrow.ArrayData{ch}
	case kindStruct:
		bufs = bufs[:1]
		for _, cc := range c.child {
			ch, err := cc.buildData()
			if err != nil {
				return nil, err
			}
			defer ch.Release()
			children = append(children, ch)
		}
	}
	return array.NewData(c.field.Type, n, bufs, children, nulls, 0), nil
}

func (c *column) offsetBytes() (*memory.Buffer, error) {
	if c.large {
		return memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(c.offs)), nil
	}
	if last := c.offs[len(c.offs)-1]; last > math.MaxInt32 {
		return nil, fmt.Errorf("column %q: %d bytes in one batch overflow 32-bit offsets (use a large type)", c.field.Name, last)
	}
	o := make([]int32, len(c.offs))
	for i, v := range c.offs {
		o[i] = int32(v)
	}
	return memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(o)), nil
}

// padBits returns a bitmap of n bits with at least one byte.
func padBits(bm []byte, n int) []byte {
	if need := (n + 7) / 8; len(bm) < need {
		bm = append(bm, make([]byte, need-len(bm))...)
	}
	if len(bm) == 0 {
		bm = []byte{0}
	}
	return bm
}

func narrowInts(v []int64, bits int) []byte {
	switch bits {
	case 8:
		return arrow.Int8Traits.CastToBytes(narrow[int8](v))
	case 16:
		return arrow.Int16Traits.CastToBytes(narrow[int16](v))
	case 32:
		return arrow.Int32Traits.CastToBytes(narrow[int32](v))
	}
	return arrow.Int64Traits.CastToBytes(v)
}

func narrowUints(v []uint64, bits int) []byte {
	switch bits {
	case 8:
		return narrow[uint8](v)
	case 16:
		return arrow.Uint16Traits.CastToBytes(narrow[uint16](v))
	case 32:
		return arrow.Uint32Traits.CastToBytes(narrow[uint32](v))
	}
	return arrow.Uint64Traits.CastToBytes(v)
}

// narrow converts values already checked to fit a narrower type.
func narrow[T, S int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](v []S) []T {
	o := make([]T, len(v))
	for i, x := range v {
		o[i] = T(x)
	}
	return o
}

// columnSet is the columns of a table being built, flushed as record
// batches of a fixed number of rows.
type columnSet struct {
	schema *arrow.Schema
	cols   []*column
	rows   int
	recs   []arrow.RecordBatch
}

func newColumnSet(s *arrow.Schema) (*columnSet, error) {
	cs := &columnSet{schema: s, cols: make([]*column, s.NumFields())}
	for i, f := range s.Fields() {
		c, err := newColumn(f)
		if err != nil {
			return nil, err
		}
		cs.cols[i] = c
	}
	return cs, nil
}

// batchRows is how many rows text sources put in one record batch.
const batchRows = 64 << 10

// batchBytes bounds the variable-length data of one column in a batch.
const batchBytes = 1 << 30

// full reports whether the pending rows should be flushed.
func (cs *columnSet) full() bool {
	if cs.rows >= batchRows {
		return true
	}
	for _, c := range cs.cols {
		if len(c.data) > batchBytes {
			return true
		}
	}
	return false
}

// flush turns the pending rows into a record batch.
func (cs *columnSet) flush() error {
	if cs.rows == 0 {
		return nil
	}
	arrs := make([]arrow.Array, len(cs.cols))
	for i, c := range cs.cols {
		a, err := c.build()
		if err != nil {
			for _, b := range arrs[:i] {
				b.Release()
			}
			return err
		}
		arrs[i] = a
	}
	rec := array.NewRecordBatch(cs.schema, arrs, int64(cs.rows))
	for _, a := range arrs {
		a.Release()
	}
	cs.recs = append(cs.recs, rec)
	cs.rows = 0
	return nil
}

// rollback drops the values of the row being built.
func (cs *columnSet) rollback() {
	for _, c := range cs.cols {
		c.truncate(cs.rows)
	}
}

// table flushes and returns the batches as a table; the set is released.
func (cs *columnSet) table() (arrow.Table, error) {
	if err := cs.flush(); err != nil {
		cs.release()
		return nil, err
	}
	t := array.NewTableFromRecords(cs.schema, cs.recs)
	cs.release()
	return t, nil
}

func (cs *columnSet) release() {
	for _, r := range cs.recs {
		r.Release()
	}
	cs.recs = nil
}
