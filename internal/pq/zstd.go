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
//
// It also sizes each encoder's window to the page. An encoder allocates
// its window as history up front (4-8 MiB at arrow-go's settings) although
// a page, compressed alone, never refers further back than its own length.
// A page shorter than a smaller window compresses to the same bytes with
// that window (every match offset is below the page length either way,
// the frame is single-segment either way, and the block size is kept), so
// the codec keeps encoders per window class: a page of kiln's 256 KiB
// target (a little over it, as the size is checked every 1024 values)
// costs a 640 KiB history instead of 4 MiB. Longer inputs use the level's
// own window.
func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		return // no zstd in this arrow-go: nothing to improve
	}
	if _, ok := orig.(compress.StreamingCodec); !ok {
		return
	}
	arrowZstd = orig
	compress.RegisterCodec(compress.Codecs.Zstd, &zstdCodec{Codec: orig, free: map[encoderClass]chan *zstd.Encoder{}})
}

// arrowZstd is arrow-go's own zstd codec (nil if not replaced).
var arrowZstd compress.Codec

// zstdCodec is arrow-go's zstd codec with EncodeLevel's encoders kept
// across garbage collections, per window class.
type zstdCodec struct {
	compress.Codec // arrow-go's: Encode, Decode, CompressBound

	mu   sync.Mutex
	free map[encoderClass]chan *zstd.Encoder
}

// encoderClass is what an idle encoder can be reused for: its level and
// window (0: the level's own).
type encoderClass struct {
	level  zstd.EncoderLevel
	window int
}

// Window classes. The smallest is the largest block size of any level
// (128 KiB): a window below a level's block size would shrink the blocks
// and change the bytes. Inputs of levelWindowFrom bytes or more (within a
// factor two of the smallest level window, 4 MiB) use the level's window.
const (
	minWindow       = 128 << 10
	levelWindowFrom = 2 << 20
)

// windowFor returns the window class for an input of n bytes: the smallest
// power of two from minWindow up that is larger than n, or 0 for the
// level's own window.
func windowFor(n int) int {
	if n >= levelWindowFrom {
		return 0
	}
	w := minWindow
	for w <= n {
		w <<= 1
	}
	return w
}

// idleEncoders is how many idle encoders per class are kept.
func idleEncoders() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }

func (z *zstdCodec) list(c encoderClass) chan *zstd.Encoder {
	z.mu.Lock()
	defer z.mu.Unlock()
	l, ok := z.free[c]
	if !ok {
		l = make(chan *zstd.Encoder, idleEncoders())
		z.free[c] = l
	}
	return l
}

// newEncoder builds an encoder of class c with arrow-go's options. The
// window option comes after the level, which would otherwise reset the
// level's block size.
func newEncoder(c encoderClass) (*zstd.Encoder, error) {
	opts := []zstd.EOption{zstd.WithZeroFrames(true), zstd.WithEncoderLevel(c.level),
		zstd.WithEncoderConcurrency(1), zstd.WithAllLitEntropyCompression(true), zstd.WithLowerEncoderMem(true)}
	if c.window != 0 {
		opts = append(opts, zstd.WithWindowSize(c.window))
	}
	return zstd.NewWriter(nil, opts...)
}

// EncodeLevel compresses src into dst (as arrow-go's codec does: the same
// encoder options, so the same bytes).
func (z *zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	lvl := zstd.EncoderLevelFromZstd(level)
	if level == compress.DefaultCompressionLevel {
		lvl = zstd.SpeedDefault
	}
	c := encoderClass{level: lvl, window: windowFor(len(src))}
	l := z.list(c)
	var enc *zstd.Encoder
	select {
	case enc = <-l:
	default:
		var err error
		if enc, err = newEncoder(c); err != nil {
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
