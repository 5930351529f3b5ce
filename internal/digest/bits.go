package digest

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/zeebo/blake3"
)

// loadBits returns the n (1..64) bits of bitmap bm starting at bit position
// pos, least significant bit first, with all higher bits zero. The caller
// guarantees that bm holds at least (pos+n+7)/8 bytes.
func loadBits(bm []byte, pos, n int) uint64 {
	i, sh := pos>>3, uint(pos&7)
	var v uint64
	if i+9 <= len(bm) {
		v = binary.LittleEndian.Uint64(bm[i:]) >> sh
		if sh != 0 {
			v |= uint64(bm[i+8]) << (64 - sh)
		}
	} else {
		// Near the end of the bitmap: gather only the bytes that exist.
		need := (int(sh) + n + 7) >> 3
		var tmp [9]byte
		copy(tmp[:need], bm[i:i+need])
		v = binary.LittleEndian.Uint64(tmp[:8]) >> sh
		if sh != 0 {
			v |= uint64(tmp[8]) << (64 - sh)
		}
	}
	return v & lowMask(n)
}

// lowMask returns a mask of the n (0..64) low bits.
func lowMask(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(n) - 1
}

// countOnes returns the number of set bits among n bits of bm from pos.
func countOnes(bm []byte, pos, n int) int {
	c := 0
	for i := 0; i < n; i += 64 {
		c += bits.OnesCount64(loadBits(bm, pos+i, min(64, n-i)))
	}
	return c
}

// bitStreamBuf is the staging buffer size of a bitStream.
const bitStreamBuf = 4096

// allOnes is a source of 0xFF bytes for bitStream.ones.
var allOnes = func() (b [bitStreamBuf]byte) {
	for i := range b {
		b[i] = 0xFF
	}
	return b
}()

// bitStream packs a logical bit stream, least significant bit first, into
// bytes and hashes them. finish pads the last partial byte with zero bits.
// It accepts bits from bitmaps at any bit offset; byte-aligned input at a
// byte-aligned stream position is copied without shifting.
type bitStream struct {
	h    *blake3.Hasher
	acc  uint64 // pending bits, low nacc bits valid, higher bits zero
	nacc uint   // 0..63
	n    int    // buffered bytes in buf
	buf  [bitStreamBuf]byte
}

var bitStreamPool = sync.Pool{New: func() any { return &bitStream{h: blake3.New()} }}

// getBitStream returns an empty bitStream from the pool.
func getBitStream() *bitStream {
	s := bitStreamPool.Get().(*bitStream)
	s.h.Reset()
	s.acc, s.nacc, s.n = 0, 0, 0
	return s
}

func putBitStream(s *bitStream) { bitStreamPool.Put(s) }

func (s *bitStream) reset(h *blake3.Hasher) {
	s.h, s.acc, s.nacc, s.n = h, 0, 0, 0
}

func (s *bitStream) flush() {
	if s.n > 0 {
		_, _ = s.h.Write(s.buf[:s.n])
		s.n = 0
	}
}

// emit8 appends 8 bytes.
func (s *bitStream) emit8(v uint64) {
	if s.n+8 > len(s.buf) {
		s.flush()
	}
	binary.LittleEndian.PutUint64(s.buf[s.n:], v)
	s.n += 8
}

// writeBytes appends whole bytes; the stream must be byte-aligned with an
// empty accumulator.
func (s *bitStream) writeBytes(b []byte) {
	if s.n+len(b) > len(s.buf) {
		s.flush()
		if len(b) >= len(s.buf) {
			_, _ = s.h.Write(b)
			return
		}
	}
	s.n += copy(s.buf[s.n:], b)
}

// drainAligned moves whole pending bytes of the accumulator to the buffer.
// It requires nacc%8 == 0 and leaves nacc == 0.
func (s *bitStream) drainAligned() {
	for s.nacc > 0 {
		if s.n == len(s.buf) {
			s.flush()
		}
		s.buf[s.n] = byte(s.acc)
		s.n++
		s.acc >>= 8
		s.nacc -= 8
	}
}

// word appends the k (1..64) low bits of w; bits of w above k must be zero.
func (s *bitStream) word(w uint64, k uint) {
	s.acc |= w << s.nacc
	if s.nacc+k >= 64 {
		s.emit8(s.acc)
		s.acc = w >> (64 - s.nacc) // 0 when nacc == 0 (Go shifts >= 64 give 0)
		s.nacc = s.nacc + k - 64
	} else {
		s.nacc += k
	}
}

// bits appends n bits of bm starting at bit pos.
func (s *bitStream) bits(bm []byte, pos, n int) {
	if n <= 0 {
		return
	}
	if pos&7 == 0 && s.nacc&7 == 0 {
		s.drainAligned()
		nb := n >> 3
		s.writeBytes(bm[pos>>3 : pos>>3+nb])
		if tail := n & 7; tail > 0 {
			s.word(uint64(bm[pos>>3+nb])&lowMask(tail), uint(tail))
		}
		return
	}
	for i := 0; i < n; i += 64 {
		k := min(64, n-i)
		s.word(loadBits(bm, pos+i, k), uint(k))
	}
}

// ones appends n set bits.
func (s *bitStream) ones(n int) {
	if n <= 0 {
		return
	}
	if s.nacc&7 == 0 {
		s.drainAligned()
		for nb := n >> 3; nb > 0; {
			k := min(nb, len(allOnes))
			s.writeBytes(allOnes[:k])
			nb -= k
		}
		if tail := n & 7; tail > 0 {
			s.word(lowMask(tail), uint(tail))
		}
		return
	}
	for ; n > 0; n -= 64 {
		k := min(64, n)
		s.word(lowMask(k), uint(k))
	}
}

// finish pads the stream to a whole byte with zero bits, flushes it and
// returns the digest of the packed bytes.
func (s *bitStream) finish() Sum {
	for s.nacc > 0 {
		if s.n == len(s.buf) {
			s.flush()
		}
		s.buf[s.n] = byte(s.acc)
		s.n++
		s.acc >>= 8
		s.nacc -= min(8, s.nacc)
	}
	s.flush()
	return sumOf(s.h)
}
