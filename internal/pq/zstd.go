package pq

import (
	"io"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// arrow-go compresses each zstd page with an encoder from a sync.Pool.
// The garbage collector empties sync.Pools, and a fresh encoder allocates
// 5-20 MB of tables and history before its first page. kiln keeps the GC
// target low during runs (many collections), so every collection cost each
// writing goroutine a new encoder: tens of MB of garbage per cycle, a large
// share of a run's peak heap while it writes Parquet. This codec replaces
// arrow-go's for zstd in the process: it keeps idle encoders in a small
// free list the collector does not empty, built with arrow-go's options
// (plus WithLowerEncoderMem, which changes allocation, not output), so
// pages compress to the same bytes. Decoding and streaming are arrow-go's.
func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		return // no zstd in this arrow-go: nothing to improve
	}
	if _, ok := orig.(compress.StreamingCodec); !ok {
		return
	}
	arrowZstd = orig
	compress.RegisterCodec(compress.Codecs.Zstd, &zstdCodec{Codec: orig, free: map[zstd.EncoderLevel]chan *zstd.Encoder{}})
}

// arrowZstd is arrow-go's own zstd codec (nil if not replaced).
var arrowZstd compress.Codec

// zstdCodec is arrow-go's zstd codec with EncodeLevel's encoders kept
// across garbage collections.
type zstdCodec struct {
	compress.Codec // arrow-go's: Encode, Decode, CompressBound

	mu   sync.Mutex
	free map[zstd.EncoderLevel]chan *zstd.Encoder
}

// idleEncoders is how many idle encoders per level are kept.
func idleEncoders() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }

func (z *zstdCodec) list(level zstd.EncoderLevel) chan *zstd.Encoder {
	z.mu.Lock()
	defer z.mu.Unlock()
	l, ok := z.free[level]
	if !ok {
		l = make(chan *zstd.Encoder, idleEncoders())
		z.free[level] = l
	}
	return l
}

// EncodeLevel compresses src into dst (as arrow-go's codec does: the same
// encoder options, so the same bytes).
func (z *zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	lvl := zstd.EncoderLevelFromZstd(level)
	if level == compress.DefaultCompressionLevel {
		lvl = zstd.SpeedDefault
	}
	l := z.list(lvl)
	var enc *zstd.Encoder
	select {
	case enc = <-l:
	default:
		var err error
		enc, err = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(lvl),
			zstd.WithEncoderConcurrency(1), zstd.WithAllLitEntropyCompression(true), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return z.Codec.EncodeLevel(dst, src, level)
		}
	}
	out := enc.EncodeAll(src, dst[:0])
	select {
	case l <- enc:
	default: // enough idle encoders: let this one go
	}
	return out
}

// DecodeWithError implements compress.ErrorCodec with arrow-go's decoder.
func (z *zstdCodec) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}

// NewReader implements compress.StreamingCodec with arrow-go's.
func (z *zstdCodec) NewReader(r io.Reader) io.ReadCloser {
	return z.Codec.(compress.StreamingCodec).NewReader(r)
}

// NewWriter implements compress.StreamingCodec with arrow-go's.
func (z *zstdCodec) NewWriter(w io.Writer) io.WriteCloser {
	return z.Codec.(compress.StreamingCodec).NewWriter(w)
}

// NewWriterLevel implements compress.StreamingCodec with arrow-go's.
func (z *zstdCodec) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return z.Codec.(compress.StreamingCodec).NewWriterLevel(w, level)
}
