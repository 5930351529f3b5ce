package pq

import (
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckSchemaMessage(t *testing.T) {
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/Paris"}, Metadata: md},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}},
		{Name: "u", Type: arrow.SparseUnionOf([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32}}, []arrow.UnionTypeCode{5})},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.ListOf(arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64})))},
	}, &md)
	msg := flight.SerializeSchema(sc, memory.DefaultAllocator)
	require.NoError(t, checkSchemaMessage(msg), "a valid schema passes")
	kv := metadata.NewKeyValueMetadata()
	require.NoError(t, kv.Append(arrowSchemaKey, base64.StdEncoding.EncodeToString(msg)))
	require.NoError(t, checkStoredSchema(kv))

	// Overwriting any aligned word with a huge value either still parses
	// within bounds or is rejected; it never reaches arrow-go's allocator
	// unchecked (checkStoredSchema would crash the test process if it did).
	rejected := 0
	for pos := 0; pos+4 <= len(msg); pos += 4 {
		for _, v := range []uint32{0x7fffffff, 0xffffffff, 0x00ffffff} {
			bad := append([]byte{}, msg...)
			binary.LittleEndian.PutUint32(bad[pos:], v)
			if checkSchemaMessage(bad) != nil {
				rejected++
			}
			kv := metadata.NewKeyValueMetadata()
			require.NoError(t, kv.Append(arrowSchemaKey, base64.StdEncoding.EncodeToString(bad)))
			if err := checkStoredSchema(kv); err != nil {
				assert.ErrorIs(t, err, ErrCorrupt)
			}
		}
	}
	assert.Greater(t, rejected, len(msg)/4)
	assert.Error(t, checkSchemaMessage(msg[:7]))
	assert.Error(t, checkSchemaMessage(msg[:len(msg)/2]))
}
