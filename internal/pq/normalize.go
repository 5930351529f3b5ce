package pq

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// normalizeSchema returns the schema kiln writes for sc: the same fields,
// types, names and nullability, with all schema-level and field-level
// metadata dropped and every dictionary type (at any depth) replaced by its
// value type. Metadata is not content (sources attach varying metadata such
// as pandas blobs or timestamps) and a dictionary is an encoding, so neither
// may make equal content give different files.
func normalizeSchema(sc *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, sc.NumFields())
	for i, f := range sc.Fields() {
		inner := f.Type
		if d, ok := inner.(*arrow.DictionaryType); ok {
			inner = d.ValueType
		}
		if hasDictionary(inner) {
			return nil, fmt.Errorf("pq: field %q: type %s: dictionaries are supported only as top-level columns; decode nested ones first", f.Name, f.Type)
		}
		nf, err := normalizeField(f)
		if err != nil {
			return nil, err
		}
		fields[i] = nf
	}
	return arrow.NewSchema(fields, nil), nil
}

func normalizeField(f arrow.Field) (arrow.Field, error) {
	dt, err := plainType(f.Type)
	if err != nil {
		return arrow.Field{}, fmt.Errorf("pq: field %q: %w", f.Name, err)
	}
	return arrow.Field{Name: f.Name, Type: dt, Nullable: f.Nullable}, nil
}

// plainType replaces dictionary types by their value types and drops child
// field metadata, recursively.
func plainType(dt arrow.DataType) (arrow.DataType, error) {
	switch t := dt.(type) {
	case *arrow.DictionaryType:
		return plainType(t.ValueType)
	case *arrow.ListType:
		e, err := normalizeField(t.ElemField())
		return arrow.ListOfField(e), err
	case *arrow.LargeListType:
		e, err := normalizeField(t.ElemField())
		return arrow.LargeListOfField(e), err
	case *arrow.FixedSizeListType:
		e, err := normalizeField(t.ElemField())
		return arrow.FixedSizeListOfField(t.Len(), e), err
	case *arrow.StructType:
		fs := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			nf, err := normalizeField(f)
			if err != nil {
				return nil, err
			}
			fs[i] = nf
		}
		return arrow.StructOf(fs...), nil
	case *arrow.MapType:
		k, err := normalizeField(t.KeyField())
		if err != nil {
			return nil, err
		}
		it, err := normalizeField(t.ItemField())
		if err != nil {
			return nil, err
		}
		m := arrow.MapOfFields(k, it)
		m.KeysSorted = t.KeysSorted
		return m, nil
	}
	return dt, nil
}

// hasDictionary reports whether dt is or contains a dictionary type.
func hasDictionary(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case *arrow.DictionaryType:
		return true
	case arrow.NestedType:
		for _, f := range t.Fields() {
			if hasDictionary(f.Type) {
				return true
			}
		}
	}
	return false
}

// toPlain returns a (as a new reference) with type dt, the normalised form of
// a's type. Arrays without dictionaries are returned as they are; arrays that
// contain dictionaries are decoded with a cast.
func toPlain(a arrow.Array, dt arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	if arrow.TypeEqual(a.DataType(), dt) {
		a.Retain()
		return a, nil
	}
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.CastArray(ctx, a, compute.SafeCastOptions(dt))
	if err != nil {
		return nil, fmt.Errorf("decoding %s to %s: %w", a.DataType(), dt, err)
	}
	return out, nil
}
