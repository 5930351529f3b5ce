package pq

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZstdCodecSameBytesAsArrow(t *testing.T) {
	require.NotNil(t, arrowZstd, "kiln's zstd codec is not registered")
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	require.NoError(t, err)
	require.IsType(t, &zstdCodec{}, c)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 100, 5000, 1 << 20, 3 << 20} {
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(rng.IntN(40))
			if i > 64 && rng.IntN(3) == 0 {
				src[i] = src[i-64]
			}
		}
		for _, level := range []int{1, 3, compress.DefaultCompressionLevel} {
			want := arrowZstd.EncodeLevel(make([]byte, 0, size), src, level)
			got := c.EncodeLevel(make([]byte, 0, size), src, level)
			require.True(t, bytes.Equal(want, got), "size %d level %d: bytes differ from arrow-go's codec", size, level)
			back, err := compress.Decode(c, make([]byte, size), got)
			require.NoError(t, err)
			require.True(t, bytes.Equal(src, back), "size %d level %d: round trip", size, level)
		}
	}
	_, err = compress.Decode(c, make([]byte, 10), []byte("not zstd"))
	assert.Error(t, err, "corrupt input is an error, not a panic")
}

// TestZstdEncodersSurviveGC shows the reason for the codec: after a
// collection, arrow-go's pooled encoder is rebuilt (megabytes), kiln's is
// reused.
func TestZstdEncodersSurviveGC(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	require.NoError(t, err)
	src := bytes.Repeat([]byte("kiln writes parquet pages "), 40_000) // ~1 MB
	dst := make([]byte, 0, 2<<20)
	allocAfterGC := func(codec compress.Codec) uint64 {
		codec.EncodeLevel(dst, src, 1) // warm up
		runtime.GC()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		codec.EncodeLevel(dst, src, 1)
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	arrow, kiln := allocAfterGC(arrowZstd), allocAfterGC(c)
	t.Logf("bytes allocated by one page after GC: arrow-go %d, kiln %d", arrow, kiln)
	assert.Greater(t, arrow, uint64(1<<20))
	assert.Less(t, kiln, uint64(256<<10))
}
