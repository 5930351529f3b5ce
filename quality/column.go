package quality

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/par"
)

// domain is the value domain a column is evaluated in: every supported
// Arrow type maps to one, and kernels are written once per domain.
type domain uint8

const (
	domNone   domain = iota
	domInt           // signed ints, uint8-32, and temporal types as int64 in their unit
	domUint          // uint64
	domFloat         // float32, float64
	domString        // utf8, large_utf8
	domBool          // bool
)

func (d domain) String() string {
	return [...]string{"unsupported", "integer", "uint64", "floating point", "string", "bool"}[d]
}

// numeric reports whether values of the domain have an order and a
// numeric value.
func (d domain) numeric() bool { return d == domInt || d == domUint || d == domFloat }

func domainOf(dt arrow.DataType) domain {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return domInt
	case arrow.UINT64:
		return domUint
	case arrow.FLOAT32, arrow.FLOAT64:
		return domFloat
	case arrow.STRING, arrow.LARGE_STRING:
		return domString
	case arrow.BOOL:
		return domBool
	}
	return domNone
}

// temporal reports whether dt is a date, time, timestamp or duration.
func temporal(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return true
	}
	return false
}

// lookupField finds a column of a schema and checks that its domain is one
// of doms (any when none). The error is a *kiln.SchemaError.
func lookupField(s *arrow.Schema, name string, doms ...domain) (arrow.Field, error) {
	idx := s.FieldIndices(name)
	switch {
	case len(idx) == 0:
		return arrow.Field{}, &kiln.SchemaError{Column: name, Problem: "missing", Input: -1}
	case len(idx) > 1:
		return arrow.Field{}, &kiln.SchemaError{Column: name, Problem: "ambiguous: appears more than once", Input: -1}
	}
	f := s.Field(idx[0])
	if len(doms) == 0 {
		return f, nil
	}
	d := domainOf(f.Type)
	for _, want := range doms {
		if d == want {
			return f, nil
		}
	}
	names := make([]string, len(doms))
	for i, w := range doms {
		names[i] = w.String()
	}
	return arrow.Field{}, &kiln.SchemaError{Column: name, Problem: fmt.Sprintf("has type %s, want %v", f.Type, names), Input: -1}
}

// column is one column of the checked table with global row positions.
type column struct {
	name   string
	typ    arrow.DataType
	dom    domain
	chunks []arrow.Array
	starts []int64 // starts[i] is the global row of chunks[i][0]
	n      int64
}

func newColumn(t arrow.Table, name string, doms ...domain) (*column, error) {
	f, err := lookupField(t.Schema(), name, doms...)
	if err != nil {
		return nil, err
	}
	ch, err := kiln.Column(t, name, nil)
	if err != nil {
		return nil, err
	}
	c := &column{name: name, typ: f.Type, dom: domainOf(f.Type), n: int64(ch.Len())}
	var at int64
	for _, a := range ch.Chunks() {
		if a.Len() == 0 {
			continue
		}
		c.chunks = append(c.chunks, a)
		c.starts = append(c.starts, at)
		at += int64(a.Len())
	}
	return c, nil
}

// pieces calls fn for each part of the global rows [lo, hi) that lies in
// one chunk: rows off..off+n-1 of chunk a, the first being global row at.
func (c *column) pieces(lo, hi int64, fn func(a arrow.Array, off, n int, at int64)) {
	// Binary search for the chunk holding lo.
	i, j := 0, len(c.chunks)
	for i < j {
		m := (i + j) / 2
		if c.starts[m]+int64(c.chunks[m].Len()) <= lo {
			i = m + 1
		} else {
			j = m
		}
	}
	for ; i < len(c.chunks) && lo < hi; i++ {
		a := c.chunks[i]
		off := int(lo - c.starts[i])
		n := int(min(hi-lo, int64(a.Len()-off)))
		fn(a, off, n, lo)
		lo += int64(n)
	}
}

// locate returns the chunk and offset of global row r.
func (c *column) locate(r int64) (arrow.Array, int) {
	var out arrow.Array
	var off int
	c.pieces(r, r+1, func(a arrow.Array, o, _ int, _ int64) { out, off = a, o })
	return out, off
}

// nulls returns the number of nulls in a[off:off+n].
func nulls(a arrow.Array, off, n int) int {
	if a.NullN() == 0 {
		return 0
	}
	if a.DataType().ID() == arrow.NULL {
		return n
	}
	return n - bitutil.CountSetBits(a.NullBitmapBytes(), a.Data().Offset()+off, n)
}

// clearNulls sets bad[i] = 0 for the null rows of a[off:off+n] and
// returns their number. It works eight rows at a time.
func clearNulls(a arrow.Array, off, n int, bad []byte) int {
	k := nulls(a, off, n)
	if k == 0 {
		return 0
	}
	if k == n {
		clear(bad[:n])
		return k
	}
	bm, pos := a.NullBitmapBytes(), a.Data().Offset()+off
	i := 0
	for ; i+8 <= n; i += 8 {
		w := binary.LittleEndian.Uint64(bad[i:]) & expandBits[bitsAt(bm, pos+i)]
		binary.LittleEndian.PutUint64(bad[i:], w)
	}
	for ; i < n; i++ {
		if !bitutil.BitIsSet(bm, pos+i) {
			bad[i] = 0
		}
	}
	return k
}

// expandBits[b] has byte j set to 1 when bit j of b is set.
var expandBits = func() (t [256]uint64) {
	for b := range 256 {
		for j := range 8 {
			if b>>j&1 == 1 {
				t[b] |= 1 << (8 * j)
			}
		}
	}
	return t
}()

// flag returns 1 for true and 0 for false.
func flag(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// validity reads an array's validity bitmap without a method call per
// value.
type validity struct {
	bm   []byte
	base int
	all  bool // no nulls
	none bool // all null (the null type)
}

func validityOf(a arrow.Array) validity {
	switch {
	case a.NullN() == 0:
		return validity{all: true}
	case a.DataType().ID() == arrow.NULL || a.NullN() == a.Len():
		return validity{none: true}
	}
	return validity{bm: a.NullBitmapBytes(), base: a.Data().Offset()}
}

// byteAt returns the validity bits of elements i..i+7 (relative to the
// array) as one byte, element i in bit 0. The elements must exist.
func (v validity) byteAt(i int) byte {
	switch {
	case v.all:
		return 0xff
	case v.none:
		return 0
	}
	return bitsAt(v.bm, v.base+i)
}

// bitsAt returns bits p..p+7 of a bitmap as a byte (bit p in bit 0).
func bitsAt(bm []byte, p int) byte {
	x := uint(bm[p>>3]) >> (p & 7)
	if p&7 != 0 {
		x |= uint(bm[p>>3+1]) << (8 - p&7)
	}
	return byte(x)
}

// valid reports whether element i (relative to the array) is not null.
func (v validity) valid(i int) bool {
	return v.all || (!v.none && bitutil.BitIsSet(v.bm, v.base+i))
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32
}

func widen[S integer](src []S, dst []int64) []int64 {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = int64(v)
	}
	return dst
}

func toFloat[S integer | ~uint64 | ~float32](src []S, dst []float64) []float64 {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}

// intValues returns the values a[off:off+n] of an integer-domain array as
// int64 (temporal types in their unit), converting into buf when needed.
func intValues(a arrow.Array, off, n int, buf []int64) []int64 {
	switch a := a.(type) {
	case *array.Int64:
		return a.Int64Values()[off : off+n]
	case *array.Int32:
		return widen(a.Int32Values()[off:off+n], buf)
	case *array.Int16:
		return widen(a.Int16Values()[off:off+n], buf)
	case *array.Int8:
		return widen(a.Int8Values()[off:off+n], buf)
	case *array.Uint32:
		return widen(a.Uint32Values()[off:off+n], buf)
	case *array.Uint16:
		return widen(a.Uint16Values()[off:off+n], buf)
	case *array.Uint8:
		return widen(a.Uint8Values()[off:off+n], buf)
	case *array.Timestamp:
		return widen(a.TimestampValues()[off:off+n], buf)
	case *array.Date32:
		return widen(a.Date32Values()[off:off+n], buf)
	case *array.Date64:
		return widen(a.Date64Values()[off:off+n], buf)
	case *array.Time32:
		return widen(a.Time32Values()[off:off+n], buf)
	case *array.Time64:
		return widen(a.Time64Values()[off:off+n], buf)
	case *array.Duration:
		return widen(a.DurationValues()[off:off+n], buf)
	}
	panic(fmt.Sprintf("quality: %s is not an integer column", a.DataType()))
}

// uintValues returns the values of a uint64 array.
func uintValues(a arrow.Array, off, n int) []uint64 {
	return a.(*array.Uint64).Uint64Values()[off : off+n]
}

// floatValues returns the values a[off:off+n] of a numeric array as float64,
// converting into sc.floats when needed (sc.ints is scratch too).
func floatValues(a arrow.Array, off, n int, sc *scratch) []float64 {
	switch a := a.(type) {
	case *array.Float64:
		return a.Float64Values()[off : off+n]
	case *array.Float32:
		return toFloat(a.Float32Values()[off:off+n], sc.floats)
	case *array.Uint64:
		return toFloat(a.Uint64Values()[off:off+n], sc.floats)
	case *array.Int64:
		return toFloat(a.Int64Values()[off:off+n], sc.floats)
	}
	return toFloat(intValues(a, off, n, sc.ints), sc.floats)
}

// scratch is per-segment working memory, pooled.
type scratch struct {
	ints   []int64
	floats []float64
	buf    []float64
	kept   []int64
	keptU  []uint64
	keys   []uint64
	bad    []byte
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{ints: make([]int64, par.ChunkRows), floats: make([]float64, par.ChunkRows),
		buf: make([]float64, par.ChunkRows), kept: make([]int64, par.ChunkRows), keptU: make([]uint64, par.ChunkRows), keys: make([]uint64, par.ChunkRows),
		bad: make([]byte, par.ChunkRows)}
}}

func getScratch() *scratch  { return scratchPool.Get().(*scratch) }
func putScratch(s *scratch) { scratchPool.Put(s) }

// stringOffsets returns the value offsets of a[off:off+n] (n+1 of them,
// absolute into data) and the data buffer of a utf8 or large_utf8 array.
type stringPiece struct {
	offs32 []int32
	offs64 []int64
	data   []byte
}

func stringsOf(a arrow.Array, off, n int) stringPiece {
	var data []byte
	if bufs := a.Data().Buffers(); len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	switch a := a.(type) {
	case *array.String:
		return stringPiece{offs32: a.ValueOffsets()[off : off+n+1], data: data}
	case *array.LargeString:
		return stringPiece{offs64: a.ValueOffsets()[off : off+n+1], data: data}
	}
	panic(fmt.Sprintf("quality: %s is not a string column", a.DataType()))
}

// value returns a[i] as a JSON-safe Go value: nil for null, int64, uint64,
// a finite float64 or "NaN"/"+Inf"/"-Inf", bool, a string (invalid UTF-8 is
// quoted), or an RFC 3339 / ISO 8601 string for dates and timestamps.
func value(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint8:
		return int64(a.Value(i))
	case *array.Float64:
		return jsonFloat(a.Value(i))
	case *array.Float32:
		return jsonFloat(float64(a.Value(i)))
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return jsonString(a.Value(i))
	case *array.LargeString:
		return jsonString(a.Value(i))
	case *array.Timestamp:
		return formatTemporal(a.DataType(), int64(a.Value(i)))
	case *array.Date32:
		return formatTemporal(a.DataType(), int64(a.Value(i)))
	case *array.Date64:
		return formatTemporal(a.DataType(), int64(a.Value(i)))
	}
	return a.ValueStr(i)
}

// jsonFloat returns f, or a string naming it when JSON cannot hold it.
func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

func jsonString(s string) any {
	if utf8.ValidString(s) {
		return s
	}
	return strconv.Quote(s)
}

// formatTemporal formats v, a value of a temporal type in its unit; other
// types give v itself.
func formatTemporal(dt arrow.DataType, v int64) any {
	switch dt := dt.(type) {
	case *arrow.TimestampType:
		return timeOf(dt, v).Format(time.RFC3339Nano)
	case *arrow.Date32Type:
		return arrow.Date32(v).ToTime().Format(time.DateOnly)
	case *arrow.Date64Type:
		return arrow.Date64(v).ToTime().Format(time.DateOnly)
	}
	return v
}

// timeOf converts a timestamp value to a time.Time in UTC.
func timeOf(dt *arrow.TimestampType, v int64) time.Time {
	return arrow.Timestamp(v).ToTime(dt.Unit).UTC()
}

// canonicalType returns kiln's canonical name of dt (as in manifests), or
// dt's Arrow name when it has none.
func canonicalType(dt arrow.DataType) string {
	s, err := digest.CanonicalType(dt)
	if err != nil {
		return dt.String()
	}
	return s
}
