package kernels

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAsOfIndexOrderAndLast(t *testing.T) {
	// Group 0: times 10, 10, 10 with created 20, 1, null (= 10) and a row
	// at MinInt64+5; group 1: one row; group 2: only a null-key row.
	r := AsOfRight{
		IDs: []int32{0, 0, 0, 1, 0, 2}, N: 3, KeyNull: []bool{false, false, false, false, false, true},
		Time: int64Col([]int64{math.MinInt64 + 5, 10, 10, 3, 10, 4}, nil, 2), TimeMul: 1,
	}
	created := int64Col([]int64{0, 20, 1, 0, 0, 0}, []bool{false, false, false, false, true, false}, 4)
	r.Created, r.CreatedMul = &created, 1
	ix := NewAsOfIndex(r)
	assert.Equal(t, []int32{0, 4, 5, 5}, ix.Start)
	assert.Equal(t, []int32{0, 2, 4, 1, 3}, ix.Rows, "by group, time, created (null: the time), input row")
	assert.Equal(t, []int64{0, 1, 10, 20, 0}, ix.Created)
	assert.Equal(t, []int{3, 4, -1}, []int{ix.Last(0), ix.Last(1), ix.Last(2)}, "positions of rows 1 and 3")

	ids := []int32{0, 0, 0, 0, 2}
	times := []int64{math.MinInt64 + 6, 10, math.MaxInt64, 9, 10}
	got, err := ix.Match(context.Background(), ids, times, nil, AsOfOptions{Tolerance: math.MaxInt64})
	require.NoError(t, err)
	assert.Equal(t, []int32{0, 1, 1, -1, -1}, got, "a huge tolerance saturates near MinInt64")
	got, err = ix.Match(context.Background(), ids, times, []bool{false, true, false, false, false}, AsOfOptions{ExcludeCreatedAfter: true, Strict: true})
	require.NoError(t, err)
	assert.Equal(t, []int32{-1, -1, 1, 0, -1}, got, "row 0 was created after MinInt64+6")
	got, err = ix.Match(context.Background(), []int32{0, 0}, []int64{10, 10}, nil, AsOfOptions{ExcludeCreatedAfter: true})
	require.NoError(t, err)
	assert.Equal(t, []int32{4, 4}, got, "the row created at 20 is skipped")
	_, err = ix.Match(context.Background(), ids, times, nil, AsOfOptions{Tolerance: -1})
	assert.ErrorContains(t, err, "negative")
	_, err = ix.Match(context.Background(), ids, times[:2], nil, AsOfOptions{})
	assert.Error(t, err)
}

func TestAsOfIndexUnitsAndOffset(t *testing.T) {
	// Times in seconds to milliseconds with a 500 ms offset; a null time
	// leaves the row out.
	r := AsOfRight{IDs: []int32{0, 0, 0}, N: 1, Time: int64Col([]int64{1, 2, 3}, []bool{false, false, true}, 8), TimeMul: 1000, Offset: 500}
	ix := NewAsOfIndex(r)
	assert.Equal(t, []int64{1500, 2500}, ix.Times)
	assert.Nil(t, ix.Created)
	got, err := ix.Match(context.Background(), []int32{0, 0, 0}, []int64{1499, 2499, 2500}, nil, AsOfOptions{ExcludeCreatedAfter: true})
	require.NoError(t, err)
	assert.Equal(t, []int32{-1, 0, 1}, got)
}
