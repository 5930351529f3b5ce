package feature_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

// keyTable builds a table of a key column of type dt (values appended by
// their Go type), a time column "ts" at t0 and an int64 column "v" = row.
func keyTable(t *testing.T, key string, dt arrow.DataType, vals ...any) arrow.Table {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{{Name: key, Type: dt, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for i, v := range vals {
		switch kb := b.Field(0).(type) {
		case *array.Int64Builder:
			kb.Append(int64(v.(int)))
		case *array.Int32Builder:
			kb.Append(int32(v.(int)))
		case *array.Uint64Builder:
			kb.Append(v.(uint64))
		case *array.StringBuilder:
			kb.Append(v.(string))
		case *array.LargeStringBuilder:
			kb.Append(v.(string))
		case *array.StringViewBuilder:
			kb.Append(v.(string))
		default:
			t.Fatalf("no builder for %s", dt)
		}
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.UnixMicro()))
		b.Field(2).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

func TestPointInTimeKeyTypes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		group, label arrow.DataType
		gkeys, lkeys []any
		want         []*int64
		err          string
	}{
		{name: "integers of different widths compare by value", group: arrow.PrimitiveTypes.Int64, label: arrow.PrimitiveTypes.Int32,
			gkeys: []any{1, 5, -1}, lkeys: []any{5, -1, 7, 1}, want: []*int64{ip(1), ip(2), nil, ip(0)}},
		{name: "a negative label key never equals a large unsigned one", group: arrow.PrimitiveTypes.Uint64, label: arrow.PrimitiveTypes.Int64,
			gkeys: []any{uint64(1), uint64(math.MaxUint64)}, lkeys: []any{-1, 1}, want: []*int64{nil, ip(0)}},
		{name: "a large unsigned label key never equals a negative one", group: arrow.PrimitiveTypes.Int64, label: arrow.PrimitiveTypes.Uint64,
			gkeys: []any{-1, 1}, lkeys: []any{uint64(math.MaxUint64), uint64(1)}, want: []*int64{nil, ip(1)}},
		{name: "string and large_string", group: arrow.BinaryTypes.LargeString, label: arrow.BinaryTypes.String,
			gkeys: []any{"a", "b"}, lkeys: []any{"b", "a", "c"}, want: []*int64{ip(1), ip(0), nil}},
		{name: "string_view group keys", group: arrow.BinaryTypes.StringView, label: arrow.BinaryTypes.String,
			gkeys: []any{"a", "b"}, lkeys: []any{"b", "z"}, want: []*int64{ip(1), nil}},
		{name: "strings and integers do not compare", group: arrow.BinaryTypes.String, label: arrow.PrimitiveTypes.Int64,
			gkeys: []any{"1"}, lkeys: []any{1}, err: "cannot be compared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := keyTable(t, "id", tc.group, tc.gkeys...)
			defer ft.Release()
			lt := keyTable(t, "id", tc.label, tc.lkeys...)
			defer lt.Release()
			g := &feature.Group{Name: "g", Version: 1, Entity: feature.NewEntity("thing", "id"), EventTime: "ts",
				Features: []feature.Feature{{Name: "v"}}}
			out, err := feature.PointInTimeJoin(context.Background(), lt, feature.TrainingSpec{Time: "ts", Features: []string{"g"}, Prefix: true},
				feature.GroupData{Group: g, Table: ft})
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			defer out.Release()
			rows, err := kiln.Rows[struct {
				V *int64 `kiln:"g__v"`
			}](out)
			require.NoError(t, err)
			got := make([]*int64, len(rows))
			for i, r := range rows {
				got[i] = r.V
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPointInTimeTimeErrors(t *testing.T) {
	ft := keyTable(t, "id", arrow.PrimitiveTypes.Int64, 1)
	defer ft.Release()
	lt := keyTable(t, "id", arrow.PrimitiveTypes.Int64, 1)
	defer lt.Release()
	g := &feature.Group{Name: "g", Version: 1, Entity: feature.NewEntity("thing", "id"), EventTime: "ts", TTL: time.Nanosecond,
		Features: []feature.Feature{{Name: "v"}}}
	gd := feature.GroupData{Group: g, Table: ft}
	_, err := feature.PointInTimeJoin(context.Background(), lt, feature.TrainingSpec{Time: "ts", Features: []string{"g"}, Prefix: true}, gd)
	assert.ErrorContains(t, err, "TTL 1ns is not a whole number of the time columns' unit 1µs")
	g.TTL = 0
	_, err = feature.PointInTimeJoin(context.Background(), lt, feature.TrainingSpec{Time: "v", Features: []string{"g"}, Prefix: true}, gd)
	assert.ErrorContains(t, err, `time column "v": type int64 is not a timestamp or date`)
}
