package pq

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fieldIDKey is the field metadata key pqarrow uses for Parquet field ids.
// On read it adds it to every field, as "-1" when the file has no id.
const fieldIDKey = "PARQUET:field_id"

// cleanTable returns tbl with the "no field id" metadata that pqarrow adds on
// read removed from its schema and its arrays' types, so a table read back
// equals the table written (arrow.Schema.Equal and array.TableEqual compare
// metadata). Real field ids from other writers are kept. It takes over the
// caller's reference to tbl.
func cleanTable(tbl arrow.Table) arrow.Table {
	sc := tbl.Schema()
	fields := make([]arrow.Field, sc.NumFields())
	changed := false
	for i, f := range sc.Fields() {
		fields[i] = cleanField(f)
		changed = changed || !fields[i].Equal(f)
	}
	if !changed {
		return tbl
	}
	defer tbl.Release()
	md := sc.Metadata()
	cols := make([]arrow.Column, len(fields))
	for i, f := range fields {
		src := tbl.Column(i).Data().Chunks()
		chunks := make([]arrow.Array, len(src))
		for k, a := range src {
			d := retype(a.Data(), f.Type)
			chunks[k] = array.MakeFromData(d)
			d.Release()
		}
		ch := arrow.NewChunked(f.Type, chunks)
		for _, a := range chunks {
			a.Release()
		}
		cols[i] = *arrow.NewColumn(f, ch)
		ch.Release()
	}
	out := array.NewTable(arrow.NewSchema(fields, &md), cols, tbl.NumRows())
	for i := range cols {
		cols[i].Release()
	}
	return out
}

// cleanSchema is cleanTable for a schema alone.
func cleanSchema(sc *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, sc.NumFields())
	for i, f := range sc.Fields() {
		fields[i] = cleanField(f)
	}
	md := sc.Metadata()
	return arrow.NewSchema(fields, &md)
}

func cleanField(f arrow.Field) arrow.Field {
	out := arrow.Field{Name: f.Name, Type: cleanType(f.Type), Nullable: f.Nullable}
	var keys, vals []string
	for i, k := range f.Metadata.Keys() {
		v := f.Metadata.Values()[i]
		if k == fieldIDKey && v == "-1" {
			continue
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	if len(keys) > 0 {
		out.Metadata = arrow.NewMetadata(keys, vals)
	}
	return out
}

func cleanType(dt arrow.DataType) arrow.DataType {
	switch t := dt.(type) {
	case *arrow.ListType:
		return arrow.ListOfField(cleanField(t.ElemField()))
	case *arrow.LargeListType:
		return arrow.LargeListOfField(cleanField(t.ElemField()))
	case *arrow.FixedSizeListType:
		return arrow.FixedSizeListOfField(t.Len(), cleanField(t.ElemField()))
	case *arrow.StructType:
		fs := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			fs[i] = cleanField(f)
		}
		return arrow.StructOf(fs...)
	case *arrow.MapType:
		m := arrow.MapOfFields(cleanField(t.KeyField()), cleanField(t.ItemField()))
		m.KeysSorted = t.KeysSorted
		return m
	}
	return dt
}

// retype returns a new reference to d's memory with type dt, which must
// differ from d's type at most in field metadata.
func retype(d arrow.ArrayData, dt arrow.DataType) arrow.ArrayData {
	var childTypes []arrow.DataType
	switch t := dt.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			childTypes = append(childTypes, f.Type)
		}
	case *arrow.MapType:
		childTypes = []arrow.DataType{t.Elem()}
	case arrow.ListLikeType:
		childTypes = []arrow.DataType{t.Elem()}
	}
	children := d.Children()
	if len(childTypes) != len(children) {
		childTypes = nil // not a shape we know: keep the children as they are
	}
	newChildren := make([]arrow.ArrayData, len(children))
	for i, c := range children {
		if childTypes == nil {
			c.Retain()
			newChildren[i] = c
		} else {
			newChildren[i] = retype(c, childTypes[i])
		}
	}
	defer func() {
		for _, c := range newChildren {
			c.Release()
		}
	}()
	if dt.ID() == arrow.DICTIONARY {
		// Dictionary() returns a typed nil for other data, so test the type.
		return array.NewDataWithDictionary(dt, d.Len(), d.Buffers(), d.NullN(), d.Offset(), d.Dictionary().(*array.Data))
	}
	return array.NewData(dt, d.Len(), d.Buffers(), newChildren, d.NullN(), d.Offset())
}

// secondsFields returns, per top-level field of sc, the timestamp[s] type
// the stored schema origin gives it when pqarrow read it as timestamp[ms]
// (Parquet has no seconds unit), else nil.
func secondsFields(sc, origin *arrow.Schema) []arrow.DataType {
	if origin == nil {
		return nil
	}
	var out []arrow.DataType
	for i, f := range sc.Fields() {
		idx := origin.FieldIndices(f.Name)
		if len(idx) != 1 {
			continue
		}
		want, ok := origin.Field(idx[0]).Type.(*arrow.TimestampType)
		got, ok2 := f.Type.(*arrow.TimestampType)
		if !ok || !ok2 || want.Unit != arrow.Second || got.Unit != arrow.Millisecond || want.TimeZone != got.TimeZone {
			continue
		}
		if out == nil {
			out = make([]arrow.DataType, sc.NumFields())
		}
		out[i] = want
	}
	return out
}

// restoreSeconds casts the columns secondsFields names back to
// timestamp[s]. It takes over the caller's reference to tbl.
func restoreSeconds(tbl arrow.Table, origin *arrow.Schema, mem memory.Allocator) (arrow.Table, error) {
	types := secondsFields(tbl.Schema(), origin)
	if types == nil {
		return tbl, nil
	}
	defer tbl.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	fields := tbl.Schema().Fields()
	cols := make([]arrow.Column, len(fields))
	defer releaseColumns(cols)
	for i := range fields {
		data := tbl.Column(i).Data()
		if types[i] == nil {
			data.Retain()
		} else {
			fields[i].Type = types[i]
			chunks := make([]arrow.Array, 0, len(data.Chunks()))
			for _, a := range data.Chunks() {
				c, err := compute.CastArray(ctx, a, compute.SafeCastOptions(types[i]))
				if err != nil {
					for _, c := range chunks {
						c.Release()
					}
					return nil, fmt.Errorf("%w: column %q: restoring timestamp[s]: %w", ErrCorrupt, fields[i].Name, err)
				}
				chunks = append(chunks, c)
			}
			data = arrow.NewChunked(types[i], chunks)
			for _, c := range chunks {
				c.Release()
			}
		}
		cols[i] = *arrow.NewColumn(fields[i], data)
		data.Release()
	}
	md := tbl.Schema().Metadata()
	return array.NewTable(arrow.NewSchema(fields, &md), cols, tbl.NumRows()), nil
}

// compactingAllocator makes shrinking reallocations copy when they would
// waste more than a quarter of the allocation. arrow-go's record readers
// over-reserve value buffers (2x on the benchmark table) and then shrink
// them with Reallocate, which memory.GoAllocator implements by reslicing:
// the table read would keep the whole over-sized allocation alive.
type compactingAllocator struct{ memory.Allocator }

func (a compactingAllocator) Reallocate(size int, b []byte) []byte {
	if size > 0 && size < len(b) && len(b)-size > len(b)/4 {
		nb := a.Allocate(size)
		copy(nb, b[:size])
		a.Free(b)
		return nb
	}
	return a.Allocator.Reallocate(size, b)
}

// compact returns a (as a new reference) with every buffer that holds more
// than a quarter of unused capacity copied to an exact-size buffer; arrow-go
// builders finish buffers without shrinking them (string offsets come back
// with 2x capacity).
func compact(a arrow.Array, mem memory.Allocator) arrow.Array {
	d, changed := compactData(a.Data(), mem)
	if !changed {
		d.Release()
		a.Retain()
		return a
	}
	defer d.Release()
	return array.MakeFromData(d)
}

func compactData(d arrow.ArrayData, mem memory.Allocator) (arrow.ArrayData, bool) {
	changed := false
	bufs := make([]*memory.Buffer, len(d.Buffers()))
	for i, b := range d.Buffers() {
		bufs[i] = b
		if b == nil || b.Len() < 64<<10 || cap(b.Buf())-b.Len() <= cap(b.Buf())/4 {
			continue
		}
		nb := memory.NewResizableBuffer(mem)
		nb.Resize(b.Len())
		copy(nb.Bytes(), b.Bytes())
		defer nb.Release()
		bufs[i] = nb
		changed = true
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		nc, ch := compactData(c, mem)
		defer nc.Release()
		children[i] = nc
		changed = changed || ch
	}
	if !changed {
		d.Retain()
		return d, false
	}
	if d.DataType().ID() == arrow.DICTIONARY { // Dictionary() is a typed nil otherwise
		return array.NewDataWithDictionary(d.DataType(), d.Len(), bufs, d.NullN(), d.Offset(), d.Dictionary().(*array.Data)), true
	}
	return array.NewData(d.DataType(), d.Len(), bufs, children, d.NullN(), d.Offset()), true
}
