package typed

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSchemaIsCached(t *testing.T) {
	s1, err := SchemaOf[event]()
	require.NoError(t, err)
	s2, err := SchemaOf[event]()
	require.NoError(t, err)
	assert.Same(t, s1, s2)
	c1, err := CodecOf[event]()
	require.NoError(t, err)
	c2, err := CodecOf[event]()
	require.NoError(t, err)
	assert.Same(t, c1, c2)
	assert.Same(t, s1, c1.Schema())

	// The batches carry the cached schema too.
	rec, err := FromSlice(checkedMem(t), []event{{EventID: 1}})
	require.NoError(t, err)
	defer rec.Release()
	assert.Same(t, s1, rec.Schema())
}

func TestBuilderAppend(t *testing.T) {
	mem := checkedMem(t)
	b := NewBuilderFor[event](t, mem)
	defer b.Release()
	ts := time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC)
	rows := []event{
		{EventID: 1, UserID: ptr(int64(10)), Kind: "view", TS: ts},
		{EventID: 2, Kind: "buy", Amount: ptr(9.5), TS: ts.Add(time.Second)},
	}
	for i := range rows {
		require.NoError(t, b.Append(&rows[i]))
	}
	assert.Equal(t, 2, b.Len())
	assert.EqualError(t, b.Append(nil), "typed: Append of a nil *T")
	rec := b.NewRecordBatch()
	defer rec.Release()
	assert.Equal(t, 0, b.Len())
	assert.Equal(t, int64(2), rec.NumRows())
	got, err := DecodeRecordBatch[event](rec)
	require.NoError(t, err)
	assert.Equal(t, rows, got)

	// The builder keeps no reference to appended values.
	rows[0].Kind = "mutated"
	*rows[0].UserID = 99
	got, err = DecodeRecordBatch[event](rec)
	require.NoError(t, err)
	assert.Equal(t, "view", got[0].Kind)
	assert.Equal(t, int64(10), *got[0].UserID)
}

func TestBuilderErrorAppendsNothing(t *testing.T) {
	type row struct {
		ID   int64
		Name string
		At   time.Time `kiln:"at,unit=ns"`
	}
	mem := checkedMem(t)
	b := NewBuilderFor[row](t, mem)
	defer b.Release()
	ok := row{ID: 1, Name: "a", At: time.Unix(1, 0).UTC()}
	require.NoError(t, b.Append(&ok))
	err := b.Append(&row{ID: 2, Name: "b"}) // zero time: out of range at ns
	assert.ErrorContains(t, err, `typed: row 1: column "at": time 0001-01-01T00:00:00Z is out of range`)
	err = b.AppendSlice([]row{ok, ok, {ID: 3}})
	assert.ErrorContains(t, err, `typed: row 2: column "at"`)
	assert.Equal(t, 1, b.Len())
	require.NoError(t, b.Append(&ok))
	rec := b.NewRecordBatch()
	defer rec.Release()
	require.NoError(t, array.ValidateRecordFull(rec))
	got, err := DecodeRecordBatch[row](rec)
	require.NoError(t, err)
	assert.Equal(t, []row{ok, ok}, got)
}

// TestBatchesIndependentOfBuilderHistory checks that a batch depends only on
// its own rows: dictionaries (top-level and nested) start fresh, null slots
// hold zeros.
func TestBatchesIndependentOfBuilderHistory(t *testing.T) {
	type row struct {
		Kind  *string  `kiln:"kind,dict"`
		Tags  []string `kiln:"tags,dict"`
		N     *int64
		Inner *inner
	}
	first := []row{{Kind: ptr("a"), Tags: []string{"t1"}, N: ptr(int64(5))}, {Kind: ptr("b"), Tags: []string{"t2", "t3"}}}
	second := []row{{Kind: ptr("c"), Tags: []string{"t3"}, N: ptr(int64(7))}, {Kind: nil, N: nil, Inner: &inner{Name: "x", Tags: []string{"q"}}}}

	mem := checkedMem(t)
	reused := NewBuilderFor[row](t, mem)
	defer reused.Release()
	require.NoError(t, reused.AppendSlice(first))
	reused.NewRecordBatch().Release()
	require.NoError(t, reused.AppendSlice(second))
	got := reused.NewRecordBatch()
	defer got.Release()

	want, err := FromSlice(mem, second)
	require.NoError(t, err)
	defer want.Release()

	require.True(t, array.RecordEqual(want, got), "want\n%v\ngot\n%v", want, got)
	kinds := got.Column(0).(*array.Dictionary)
	assert.Equal(t, 1, kinds.Dictionary().Len(), "dictionary holds only this batch's values")
	tags := got.Column(1).(*array.List).ListValues().(*array.Dictionary)
	assert.Equal(t, 1, tags.Dictionary().Len())
	for i, col := range []arrow.Array{got.Column(0).(*array.Dictionary).Indices(), got.Column(2)} {
		assert.Equal(t, 1, col.NullN(), "column %d", i)
		assert.Equal(t, byte(0), col.Data().Buffers()[1].Bytes()[col.Len()*col.DataType().(arrow.FixedWidthDataType).BitWidth()/8-1],
			"column %d: null slot holds zero", i)
	}
}

func TestBuilderReserve(t *testing.T) {
	mem := checkedMem(t)
	b := NewBuilderFor[allTypes](t, mem)
	defer b.Release()
	b.Reserve(100)
	require.NoError(t, b.Append(&allTypes{I: 1}))
	b.Reserve(1000)
	require.NoError(t, b.AppendSlice(make([]allTypes, 1000)))
	rec := b.NewRecordBatch()
	defer rec.Release()
	require.NoError(t, array.ValidateRecordFull(rec))
	assert.Equal(t, int64(1001), rec.NumRows())
}

// TestConcurrentUse shares one codec among goroutines, each with its own
// builder; run with -race.
func TestConcurrentUse(t *testing.T) {
	type row struct {
		ID    int64
		Kind  string `kiln:"kind,dict"`
		At    *time.Time
		Inner inner
	}
	mem := checkedMem(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			c, err := CodecOf[row]()
			if err != nil {
				errs <- err
				return
			}
			b := c.NewBuilder(mem)
			defer b.Release()
			var want []row
			for i := range 200 {
				at := time.Unix(int64(g*1000+i), 0).UTC()
				r := row{ID: int64(g*1000 + i), Kind: fmt.Sprint(i % 3), At: &at, Inner: inner{Name: fmt.Sprint(g)}}
				want = append(want, r)
				if err := b.Append(&r); err != nil {
					errs <- err
					return
				}
			}
			rec := b.NewRecordBatch()
			defer rec.Release()
			got, err := DecodeRecordBatch[row](rec)
			if err != nil {
				errs <- err
				return
			}
			if !assert.Equal(t, want, got) {
				errs <- fmt.Errorf("goroutine %d: mismatch", g)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Batches cut after Reserve hold little unused capacity in string columns:
// exactly the offsets they need and, after the first batch, value room
// sized from the previous batch (doubling could leave half unused).
func TestBuilderReserveStringsTight(t *testing.T) {
	type row struct {
		Kind string  `kiln:"kind"`
		Note *string `kiln:"note"`
	}
	mem := checkedMem(t)
	b := NewBuilderFor[row](t, mem)
	defer b.Release()
	kinds := []string{"view", "add_to_cart", "purchase"}
	const n = 10_000
	for batch := range 4 {
		b.Reserve(n)
		var want []string
		for i := range n {
			k := kinds[(i*7+batch)%3]
			want = append(want, k)
			r := row{Kind: k}
			if i%2 == 0 {
				r.Note = &k
			}
			require.NoError(t, b.Append(&r))
		}
		rec := b.NewRecordBatch()
		require.NoError(t, array.ValidateRecordFull(rec))
		kind := rec.Column(0).(*array.String)
		for i, w := range want {
			require.Equal(t, w, kind.Value(i))
		}
		for c := range 2 {
			bufs := rec.Column(c).Data().Buffers()
			offsets, values := bufs[1], bufs[2]
			assert.LessOrEqual(t, offsets.Cap(), (n+1)*4+64, "batch %d column %d: offsets capacity", batch, c)
			if batch > 0 {
				assert.LessOrEqual(t, values.Cap(), values.Len()*9/8+64, "batch %d column %d: value capacity %d for %d bytes", batch, c, values.Cap(), values.Len())
			}
		}
		rec.Release()
	}
}
