package digest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
)

// This file is a slow, literal implementation of the content hash contract
// in the package documentation, written against arrow-go's value accessors
// (IsValid, Value, ValueOffsets, Field) rather than raw buffers. The fast
// implementation must agree with it.

type elem struct {
	a arrow.Array
	i int
}

// refResolve unwraps extension and dictionary arrays: it returns the array
// and index holding the logical value of e, and whether it is valid.
func refResolve(e elem) (elem, bool) {
	a := e.a
	if ext, ok := a.(array.ExtensionArray); ok {
		a = ext.Storage()
	}
	if !a.IsValid(e.i) {
		return elem{}, false
	}
	if d, ok := a.(*array.Dictionary); ok {
		idx := d.GetValueIndex(e.i)
		if !d.Dictionary().IsValid(idx) {
			return elem{}, false
		}
		return elem{d.Dictionary(), idx}, true
	}
	return elem{a, e.i}, true
}

// refLogical strips dictionary and extension wrappers off a type.
func refLogical(dt arrow.DataType) arrow.DataType {
	for {
		switch t := dt.(type) {
		case *arrow.DictionaryType:
			dt = t.ValueType
		case arrow.ExtensionType:
			dt = t.StorageType()
		default:
			return dt
		}
	}
}

func refPackBits(bits []bool) []byte {
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		if b {
			out[i/8] |= 1 << (i % 8)
		}
	}
	return out
}

// refFixed returns the little-endian bytes of a fixed-width value.
func refFixed(e elem) []byte {
	le := binary.LittleEndian
	switch a := e.a.(type) {
	case *array.Int8:
		return []byte{byte(a.Value(e.i))}
	case *array.Uint8:
		return []byte{a.Value(e.i)}
	case *array.Int16:
		return le.AppendUint16(nil, uint16(a.Value(e.i)))
	case *array.Uint16:
		return le.AppendUint16(nil, a.Value(e.i))
	case *array.Int32:
		return le.AppendUint32(nil, uint32(a.Value(e.i)))
	case *array.Uint32:
		return le.AppendUint32(nil, a.Value(e.i))
	case *array.Int64:
		return le.AppendUint64(nil, uint64(a.Value(e.i)))
	case *array.Uint64:
		return le.AppendUint64(nil, a.Value(e.i))
	case *array.Float16:
		v := a.Value(e.i)
		if v.IsNaN() {
			return le.AppendUint16(nil, 0x7E00)
		}
		return le.AppendUint16(nil, v.Uint16())
	case *array.Float32:
		v := a.Value(e.i)
		if math.IsNaN(float64(v)) {
			return le.AppendUint32(nil, 0x7FC00000)
		}
		return le.AppendUint32(nil, math.Float32bits(v))
	case *array.Float64:
		v := a.Value(e.i)
		if math.IsNaN(v) {
			return le.AppendUint64(nil, 0x7FF8000000000000)
		}
		return le.AppendUint64(nil, math.Float64bits(v))
	case *array.Date32:
		return le.AppendUint32(nil, uint32(a.Value(e.i)))
	case *array.Date64:
		return le.AppendUint64(nil, uint64(a.Value(e.i)))
	case *array.Time32:
		return le.AppendUint32(nil, uint32(a.Value(e.i)))
	case *array.Time64:
		return le.AppendUint64(nil, uint64(a.Value(e.i)))
	case *array.Timestamp:
		return le.AppendUint64(nil, uint64(a.Value(e.i)))
	case *array.Duration:
		return le.AppendUint64(nil, uint64(a.Value(e.i)))
	case *array.MonthInterval:
		return le.AppendUint32(nil, uint32(a.Value(e.i)))
	case *array.DayTimeInterval:
		v := a.Value(e.i)
		return le.AppendUint32(le.AppendUint32(nil, uint32(v.Days)), uint32(v.Milliseconds))
	case *array.MonthDayNanoInterval:
		v := a.Value(e.i)
		return le.AppendUint64(le.AppendUint32(le.AppendUint32(nil, uint32(v.Months)), uint32(v.Days)), uint64(v.Nanoseconds))
	case *array.Decimal32:
		return le.AppendUint32(nil, uint32(a.Value(e.i)))
	case *array.Decimal64:
		return le.AppendUint64(nil, uint64(a.Value(e.i)))
	case *array.Decimal128:
		v := a.Value(e.i)
		return le.AppendUint64(le.AppendUint64(nil, v.LowBits()), uint64(v.HighBits()))
	case *array.Decimal256:
		var out []byte
		for _, w := range a.Value(e.i).Array() {
			out = le.AppendUint64(out, w)
		}
		return out
	case *array.FixedSizeBinary:
		return a.Value(e.i)
	}
	panic(fmt.Sprintf("refFixed: %T", e.a))
}

// refBytes returns the bytes of a utf8 or binary value.
func refBytes(e elem) []byte {
	switch a := e.a.(type) {
	case *array.String:
		return []byte(a.Value(e.i))
	case *array.LargeString:
		return []byte(a.Value(e.i))
	case *array.StringView:
		return []byte(a.Value(e.i))
	case *array.Binary:
		return a.Value(e.i)
	case *array.LargeBinary:
		return a.Value(e.i)
	case *array.BinaryView:
		return a.Value(e.i)
	}
	panic(fmt.Sprintf("refBytes: %T", e.a))
}

func refWidth(dt arrow.DataType) int {
	return dt.(arrow.FixedWidthDataType).BitWidth() / 8
}

func refNode(t testing.TB, dt arrow.DataType, elems []elem) Sum {
	typ, err := CanonicalType(dt)
	require.NoError(t, err)
	b := NewBuilder("kiln.node.v1").String("type", typ).Uint("rows", uint64(len(elems)))
	lt := refLogical(dt)
	if lt.ID() == arrow.NULL {
		return b.Digest()
	}
	vals := make([]elem, len(elems))
	valid := make([]bool, len(elems))
	for k, e := range elems {
		vals[k], valid[k] = refResolve(e)
	}
	b.Sum("validity", Bytes(refPackBits(valid)))
	u32 := func(out []byte, n int) []byte { return binary.LittleEndian.AppendUint32(out, uint32(n)) }
	switch t2 := lt.(type) {
	case *arrow.BooleanType:
		bits := make([]bool, len(vals))
		for k, v := range vals {
			bits[k] = valid[k] && v.a.(*array.Boolean).Value(v.i)
		}
		b.Sum("values", Bytes(refPackBits(bits)))
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType,
		*arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		var lens, data []byte
		for k, v := range vals {
			if !valid[k] {
				lens = u32(lens, 0)
				continue
			}
			bs := refBytes(v)
			lens = u32(lens, len(bs))
			data = append(data, bs...)
		}
		b.Sum("lengths", Bytes(lens)).Sum("data", Bytes(data))
	case *arrow.StructType:
		for f, field := range t2.Fields() {
			var child []elem
			for k, v := range vals {
				if valid[k] {
					child = append(child, elem{v.a.(*array.Struct).Field(f), v.i})
				}
			}
			b.Sum("child", refNode(t, field.Type, child))
		}
	case *arrow.FixedSizeListType:
		var child []elem
		for k, v := range vals {
			if valid[k] {
				a := v.a.(*array.FixedSizeList)
				lo, hi := a.ValueOffsets(v.i)
				for j := lo; j < hi; j++ {
					child = append(child, elem{a.ListValues(), int(j)})
				}
			}
		}
		b.Sum("child", refNode(t, t2.Elem(), child))
	case arrow.ListLikeType:
		var lens []byte
		var child []elem
		for k, v := range vals {
			if !valid[k] {
				lens = u32(lens, 0)
				continue
			}
			a := v.a.(array.ListLike)
			lo, hi := a.ValueOffsets(v.i)
			lens = u32(lens, int(hi-lo))
			for j := lo; j < hi; j++ {
				child = append(child, elem{a.ListValues(), int(j)})
			}
		}
		b.Sum("lengths", Bytes(lens)).Sum("child", refNode(t, t2.Elem(), child))
	default:
		w := refWidth(lt)
		var out []byte
		for k, v := range vals {
			if !valid[k] {
				out = append(out, make([]byte, w)...)
				continue
			}
			out = append(out, refFixed(v)...)
		}
		b.Sum("values", Bytes(out))
	}
	return b.Digest()
}

// refContent is the content hash per the documented encoding.
func refContent(t testing.TB, schema *arrow.Schema, cols []*arrow.Chunked) Sum {
	rows := 0
	if len(cols) > 0 {
		rows = cols[0].Len()
	}
	b := NewBuilder("kiln.content.v1").Uint("fields", uint64(schema.NumFields()))
	for _, f := range schema.Fields() {
		typ, err := CanonicalType(f.Type)
		require.NoError(t, err)
		b.String("name", f.Name).String("type", typ).Bool("nullable", f.Nullable)
	}
	b.Uint("rows", uint64(rows))
	segs := (rows + segmentRows - 1) / segmentRows
	for c, f := range schema.Fields() {
		var all []elem
		for _, a := range cols[c].Chunks() {
			for i := 0; i < a.Len(); i++ {
				all = append(all, elem{a, i})
			}
		}
		typ, _ := CanonicalType(f.Type)
		cb := NewBuilder("kiln.column.v1").String("type", typ).Uint("rows", uint64(rows)).Uint("segments", uint64(segs))
		for s := 0; s < segs; s++ {
			cb.Sum("segment", refNode(t, f.Type, all[s*segmentRows:min((s+1)*segmentRows, rows)]))
		}
		b.Sum("column", cb.Digest())
	}
	return b.Digest()
}

func TestMatchesReference(t *testing.T) {
	for _, seg := range []int{SegmentRows, 4} {
		withSegmentRows(t, seg, func() {
			r := rand.New(rand.NewPCG(11, uint64(seg)))
			for _, dt := range append(testTypes, extensionType()) {
				for _, pNull := range []float64{0, 0.3} {
					n := r.IntN(150)
					var vals []any
					var cols map[string]*arrow.Chunked
					if dt.ID() == arrow.EXTENSION {
						cols = map[string]*arrow.Chunked{"ext": extensionColumn(t, r, n, pNull)}
					} else {
						vals = genValues(r, dt, n, pNull)
						cols = layouts(t, r, dt, vals)
					}
					for name, col := range cols {
						schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: dt, Nullable: true}}, nil)
						got, err := Columns(schema, []*arrow.Chunked{col})
						require.NoError(t, err)
						require.Equal(t, refContent(t, schema, []*arrow.Chunked{col}), got, "%s, layout %s, segment %d", dt, name, seg)
					}
				}
			}
		})
	}
}
