package pq

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zstdInput returns n bytes of one of several kinds of page-like data.
func zstdInput(rng *rand.Rand, kind, n int) []byte {
	src := make([]byte, n)
	switch kind {
	case 0: // small alphabet with repeats 64 bytes back
		for i := range src {
			src[i] = byte(rng.IntN(40))
			if i > 64 && rng.IntN(3) == 0 {
				src[i] = src[i-64]
			}
		}
	case 1: // incompressible
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
	case 2: // increasing little-endian int64s, as an id or time column
		v := rng.Uint64N(1 << 40)
		for i := 0; i+8 <= n; i += 8 {
			v += rng.Uint64N(50)
			for b := range 8 {
				src[i+b] = byte(v >> (8 * b))
			}
		}
	case 3: // long repeats from far back in the input
		for i := range src {
			if i >= 200_000 && rng.IntN(2) == 0 {
				src[i] = src[i-200_000]
			} else {
				src[i] = byte(rng.IntN(256))
			}
		}
	}
	return src
}

func TestZstdCodecSameBytesAsArrow(t *testing.T) {
	require.NotNil(t, arrowZstd, "kiln's zstd codec is not registered")
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	require.NoError(t, err)
	require.IsType(t, &zstdCodec{}, c)
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 100, 1023, 1024, 1025, 5000, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3 << 20}
	// Both sides of every window class boundary.
	for w := minWindow; w <= levelWindowFrom; w <<= 1 {
		sizes = append(sizes, w-1, w, w+1)
	}
	if testing.Short() {
		sizes = []int{1, 1024, 1025, minWindow - 1, minWindow, 300 << 10, levelWindowFrom}
	}
	for _, size := range sizes {
		for kind := range 4 {
			src := zstdInput(rng, kind, size)
			for _, level := range []int{1, 3, 7, 11, compress.DefaultCompressionLevel} {
				if level >= 7 && size > 600<<10 {
					continue // the slow levels: the small windows are what is new
				}
				want := arrowZstd.EncodeLevel(make([]byte, 0, size), src, level)
				got := c.EncodeLevel(make([]byte, 0, size), src, level)
				require.True(t, bytes.Equal(want, got), "size %d kind %d level %d: bytes differ from arrow-go's codec", size, kind, level)
				back, err := compress.Decode(c, make([]byte, size), got)
				require.NoError(t, err)
				require.True(t, bytes.Equal(src, back), "size %d kind %d level %d: round trip", size, kind, level)
			}
		}
	}
	_, err = compress.Decode(c, make([]byte, 10), []byte("not zstd"))
	assert.Error(t, err, "corrupt input is an error, not a panic")
}

// Reused encoders keep tables from earlier pages; a page must still
// compress to the bytes a fresh encoder gives.
func TestZstdCodecReusedEncodersSameBytes(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	pages := 300
	if testing.Short() {
		pages = 60
	}
	for i := range pages {
		size := 1 + rng.IntN(700<<10)
		src := zstdInput(rng, i%4, size)
		want := arrowZstd.EncodeLevel(nil, src, 1)
		got := c.EncodeLevel(nil, src, 1)
		require.True(t, bytes.Equal(want, got), "page %d (%d bytes): bytes differ from arrow-go's codec", i, size)
	}
}

func TestZstdWindowFor(t *testing.T) {
	assert.Equal(t, minWindow, windowFor(0))
	assert.Equal(t, minWindow, windowFor(minWindow-1))
	assert.Equal(t, 2*minWindow, windowFor(minWindow), "the input must be shorter than the window")
	assert.Equal(t, 1<<20, windowFor(600<<10))
	assert.Equal(t, 0, windowFor(levelWindowFrom))
}

// An encoder for a page allocates history for its window class only.
func TestZstdSmallPagesSmallEncoders(t *testing.T) {
	fresh := &zstdCodec{Codec: arrowZstd, free: map[encoderClass]chan *zstd.Encoder{}}
	src := zstdInput(rand.New(rand.NewPCG(5, 6)), 0, 200<<10)
	alloc := func(codec compress.Codec, level int) uint64 {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		codec.EncodeLevel(nil, src, level)
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	kiln, arrow := alloc(fresh, 6), alloc(arrowZstd, 6)
	t.Logf("first 200 KiB page at level 6 allocates: kiln %d bytes, arrow-go %d", kiln, arrow)
	assert.Less(t, kiln, arrow/2)
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
