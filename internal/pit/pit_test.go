package pit

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableGrowsAndFinds(t *testing.T) {
	tab := NewTable(0)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := map[uint64]int32{}
	var order []uint64
	for range 10000 {
		k := rng.Uint64() % 5000
		if rng.IntN(10) == 0 {
			k = math.MaxUint64 - k // high bits set
		}
		id, added := tab.Insert(k)
		if want, ok := keys[k]; ok {
			require.False(t, added)
			require.Equal(t, want, id)
		} else {
			require.True(t, added)
			require.Equal(t, int32(len(order)), id, "ids are dense, in insertion order")
			keys[k] = id
			order = append(order, k)
		}
	}
	assert.Equal(t, len(keys), tab.Len())
	for k, id := range keys {
		assert.Equal(t, id, tab.Find(k))
	}
	assert.Equal(t, int32(-1), tab.Find(123456789))
}

func chunked(a ...arrow.Array) *arrow.Chunked {
	c := arrow.NewChunked(a[0].DataType(), a)
	for _, x := range a {
		x.Release()
	}
	return c
}

func ints64(vals []int64, valid []bool) arrow.Array {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func uints64(vals []uint64) arrow.Array {
	b := array.NewUint64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

func strs(vals []string, valid []bool) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func TestKeysMixedIntegerTypes(t *testing.T) {
	l := []*arrow.Chunked{chunked(ints64([]int64{1, -1, 5}, []bool{true, true, false}))}
	r := []*arrow.Chunked{chunked(uints64([]uint64{1, math.MaxUint64}))}
	lc, rc, err := Keys(l, r)
	require.NoError(t, err)
	assert.Equal(t, lc.Code[0], rc.Code[0], "1 == 1")
	assert.True(t, lc.Null[2], "a null key")
	assert.True(t, rc.Null[1], "MaxUint64 cannot equal a signed value")
	assert.NotEqual(t, lc.Code[1] == rc.Code[1] && !rc.Null[1], true, "-1 must not equal MaxUint64")
}

func TestKeysComposite(t *testing.T) {
	// ("a:b", 1) must not equal ("a", ...) by concatenation accidents.
	l := []*arrow.Chunked{chunked(strs([]string{"a", "a:b", "zz", "x"}, []bool{true, true, true, false})), chunked(ints64([]int64{1, 1, 1, 1}, nil))}
	r := []*arrow.Chunked{chunked(strs([]string{"a:b", "a"}, nil)), chunked(ints64([]int64{1, 1}, nil))}
	lc, rc, err := Keys(l, r)
	require.NoError(t, err)
	assert.Equal(t, rc.Code[1], lc.Code[0])
	assert.Equal(t, rc.Code[0], lc.Code[1])
	assert.NotEqual(t, rc.Code[0], rc.Code[1])
	assert.True(t, lc.Null[2], "absent from the right side")
	assert.True(t, lc.Null[3], "null")

	_, _, err = Keys([]*arrow.Chunked{chunked(strs([]string{"a"}, nil))}, []*arrow.Chunked{chunked(ints64([]int64{1}, nil))})
	assert.ErrorContains(t, err, "cannot be compared")
}

func TestTimes(t *testing.T) {
	b := array.NewDate32Builder(memory.DefaultAllocator)
	b.AppendValues([]arrow.Date32{0, 1, -1}, nil)
	c := chunked(b.NewArray())
	b.Release()
	v, null, err := Times(c, time.Microsecond)
	require.NoError(t, err)
	assert.Nil(t, null)
	assert.Equal(t, []int64{0, 86_400_000_000, -86_400_000_000}, v)
	_, _, err = Times(c, 7*time.Hour)
	assert.ErrorContains(t, err, "does not divide")

	tb := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Second})
	tb.AppendValues([]arrow.Timestamp{math.MaxInt64 / 10}, nil)
	tc := chunked(tb.NewArray())
	tb.Release()
	_, _, err = Times(tc, time.Nanosecond)
	assert.ErrorContains(t, err, "overflows")
}

func TestIndexLatestAndTTLEdges(t *testing.T) {
	right := Side{Key: []uint64{7, 7, 7, 8}, Time: []int64{math.MinInt64 + 5, 10, 10, 3}, Created: []int64{0, 2, 1, 0}}
	ix, err := NewIndex(right)
	require.NoError(t, err)
	assert.Equal(t, 2, ix.Groups())
	assert.Equal(t, []int32{1, 3}, ix.Latest(), "time 10 created 2 wins for key 7")
	left := Side{Key: []uint64{7, 7, 7}, Time: []int64{math.MinInt64 + 6, 10, math.MaxInt64}}
	got, err := ix.Match(context.Background(), left, Options{TTL: math.MaxInt64})
	require.NoError(t, err)
	assert.Equal(t, []int32{0, 1, 1}, got, "a huge TTL near MinInt64 does not overflow")
	_, err = ix.Match(context.Background(), left, Options{TTL: -1})
	assert.Error(t, err)
}
