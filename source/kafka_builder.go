package source

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/jsonarrow"
)

// kafkaEmptyObject stands in for a null value (a tombstone) when values are
// decoded as JSON.
var kafkaEmptyObject = []byte("{}")

// kafkaBuilder builds the record batches of one Kafka partition.
type kafkaBuilder struct {
	schema *arrow.Schema
	mem    memory.Allocator
	rows   int

	topic     *array.StringBuilder
	partition *array.Int32Builder
	offset    *array.Int64Builder
	ts        *array.TimestampBuilder
	key       *array.BinaryBuilder
	value     *array.BinaryBuilder // raw values, or nil with dec
	dec       *jsonarrow.Decoder   // JSON values, or nil
	headers   *array.ListBuilder   // or nil
	hStruct   *array.StructBuilder
	hKey      *array.StringBuilder
	hValue    *array.BinaryBuilder
}

func (s *KafkaSource) newBuilder(ctx *kiln.Context) (*kafkaBuilder, error) {
	mem := ctx.Allocator()
	b := &kafkaBuilder{
		schema:    s.schema,
		mem:       mem,
		topic:     array.NewStringBuilder(mem),
		partition: array.NewInt32Builder(mem),
		offset:    array.NewInt64Builder(mem),
		ts:        array.NewTimestampBuilder(mem, s.schema.Field(3).Type.(*arrow.TimestampType)),
		key:       array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary),
	}
	if s.value == nil {
		b.value = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	} else {
		dec, err := jsonarrow.NewDecoder(mem, s.value)
		if err != nil {
			b.release()
			return nil, err
		}
		b.dec = dec
	}
	if s.cfg.Headers {
		b.headers = array.NewListBuilder(mem, kafkaHeadersType.Elem())
		b.hStruct = b.headers.ValueBuilder().(*array.StructBuilder)
		b.hKey = b.hStruct.FieldBuilder(0).(*array.StringBuilder)
		b.hValue = b.hStruct.FieldBuilder(1).(*array.BinaryBuilder)
	}
	return b, nil
}

// append adds a record. With JSON values, a value that does not decode
// appends nothing and returns the decoder's error.
func (b *kafkaBuilder) append(r *kgo.Record) error {
	if b.dec != nil {
		v := r.Value
		if v == nil {
			v = kafkaEmptyObject
		}
		if err := b.dec.Append(v); err != nil {
			return err
		}
	} else if r.Value == nil {
		b.value.AppendNull()
	} else {
		b.value.Append(r.Value)
	}
	b.topic.Append(r.Topic)
	b.partition.Append(r.Partition)
	b.offset.Append(r.Offset)
	b.ts.Append(arrow.Timestamp(r.Timestamp.UnixMilli()))
	if r.Key == nil {
		b.key.AppendNull()
	} else {
		b.key.Append(r.Key)
	}
	if b.headers != nil {
		b.headers.Append(true)
		for _, h := range r.Headers {
			b.hStruct.Append(true)
			b.hKey.Append(h.Key)
			if h.Value == nil {
				b.hValue.AppendNull()
			} else {
				b.hValue.Append(h.Value)
			}
		}
	}
	b.rows++
	return nil
}

// flush returns the rows appended so far as a record batch.
func (b *kafkaBuilder) flush() arrow.RecordBatch {
	cols := []arrow.Array{b.topic.NewArray(), b.partition.NewArray(), b.offset.NewArray(), b.ts.NewArray(), b.key.NewArray()}
	if b.dec != nil {
		rec := b.dec.NewRecordBatch()
		for _, c := range rec.Columns() {
			c.Retain()
			cols = append(cols, c)
		}
		rec.Release()
	} else {
		cols = append(cols, b.value.NewArray())
	}
	if b.headers != nil {
		cols = append(cols, b.headers.NewArray())
	}
	rec := array.NewRecordBatch(b.schema, cols, int64(b.rows))
	for _, c := range cols {
		c.Release()
	}
	b.rows = 0
	return rec
}

func (b *kafkaBuilder) release() {
	for _, r := range []interface{ Release() }{b.topic, b.partition, b.offset, b.ts, b.key} {
		r.Release()
	}
	if b.value != nil {
		b.value.Release()
	}
	if b.dec != nil {
		b.dec.Release()
	}
	if b.headers != nil {
		b.headers.Release()
	}
}
