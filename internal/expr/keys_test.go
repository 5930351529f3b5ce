package expr

import (
	"bytes"
	"cmp"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeysOrderLikeValues(t *testing.T) {
	floats := []float64{math.Inf(-1), -1e300, -2.5, math.Copysign(0, -1), 0, 1e-300, 3, math.Inf(1)}
	ints := []int64{math.MinInt64, -3, -1, 0, 1, 42, math.MaxInt64}
	fa := makeFixed(f64, floats, nil)
	ia := makeFixed(i64, ints, nil)
	fk, err := NewKeyer(fa)
	require.NoError(t, err)
	ik, err := NewKeyer(ia)
	require.NoError(t, err)
	for i := range floats {
		for j := range floats {
			a, _ := fk.Key(i)
			a = bytes.Clone(a)
			b, _ := fk.Key(j)
			want := cmp.Compare(floats[i], floats[j]) // -0 and +0 are equal
			assert.Equal(t, want, bytes.Compare(a, b), "%v vs %v", floats[i], floats[j])
		}
	}
	for i := range ints {
		for j := range ints {
			a, _ := ik.Key(i)
			a = bytes.Clone(a)
			b, _ := ik.Key(j)
			assert.Equal(t, cmp.Compare(ints[i], ints[j]), bytes.Compare(a, b))
		}
	}
	// Keys turn back into the values.
	for i, f := range floats {
		k, _ := fk.Key(i)
		v, err := KeyValue(k, f64)
		require.NoError(t, err)
		if f == 0 {
			f = 0 // -0 comes back as +0
		}
		assert.Equal(t, math.Float64bits(f), math.Float64bits(fixedValues[float64](v)[0]))
	}
	k, _ := ik.Key(1)
	v, err := KeyValue(k, i32)
	require.NoError(t, err)
	assert.Equal(t, int32(-3), fixedValues[int32](v)[0])
}

func TestKeyerSkipsNullAndNaN(t *testing.T) {
	a := fromJSON(t, f64, `[1, null]`)
	k, err := NewKeyer(a)
	require.NoError(t, err)
	_, ok := k.Key(1)
	assert.False(t, ok)
	n := makeFixed(f64, []float64{math.NaN()}, nil)
	k, err = NewKeyer(n)
	require.NoError(t, err)
	_, ok = k.Key(0)
	assert.False(t, ok)
	_, err = NewKeyer(fromJSON(t, arrow.ListOf(i64), `[[1]]`))
	assert.Error(t, err)
}

func TestValueTextRoundTrip(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/Paris"}
	for _, c := range []struct {
		dt arrow.DataType
		js string
	}{
		{f64, `[0.1, -0, 1e300]`}, {f32, `[0.1]`}, {i8, `[-7]`}, {u64, `[18446744073709551615]`},
		{str, `["a \"b\""]`}, {bln, `[true, false]`}, {d32, `[-1, 19752]`}, {ts, `[1706608800123456789, -1]`},
	} {
		a := fromJSON(t, c.dt, c.js)
		for i := range a.Len() {
			text, err := ValueText(a, i)
			require.NoError(t, err)
			back, err := litArray(c.dt, &text)
			require.NoError(t, err, text)
			assert.Equal(t, a.ValueStr(i), back.ValueStr(0), "%s %s", c.dt, text)
		}
	}
}
