package digest

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBitStream compares bitStream with a naive bit-at-a-time packer over
// random mixes of aligned and unaligned appends.
func TestBitStream(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for iter := 0; iter < 300; iter++ {
		var want []bool
		var s bitStream
		s.reset(getHasher())
		for op := 0; op < 1+r.IntN(20); op++ {
			switch r.IntN(3) {
			case 0:
				src := make([]byte, 1+r.IntN(200))
				for i := range src {
					src[i] = byte(r.Uint32())
				}
				pos := r.IntN(len(src) * 8)
				if r.IntN(2) == 0 {
					pos &^= 7
				}
				n := r.IntN(len(src)*8 - pos + 1)
				s.bits(src, pos, n)
				for i := pos; i < pos+n; i++ {
					want = append(want, src[i/8]>>(i%8)&1 == 1)
				}
			case 1:
				n := r.IntN(10000)
				s.ones(n)
				for i := 0; i < n; i++ {
					want = append(want, true)
				}
			case 2:
				k := 1 + r.IntN(64)
				w := r.Uint64() & lowMask(k)
				s.word(w, uint(k))
				for i := 0; i < k; i++ {
					want = append(want, w>>i&1 == 1)
				}
			}
		}
		packed := make([]byte, (len(want)+7)/8)
		for i, b := range want {
			if b {
				packed[i/8] |= 1 << (i % 8)
			}
		}
		require.Equal(t, Bytes(packed), s.finish(), "iteration %d", iter)
	}
}

func TestValidRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for iter := 0; iter < 500; iter++ {
		bm := make([]byte, 1+r.IntN(40))
		for i := range bm {
			switch r.IntN(3) {
			case 0:
				bm[i] = 0xFF
			case 1:
				bm[i] = 0
			default:
				bm[i] = byte(r.Uint32())
			}
		}
		pos := r.IntN(len(bm) * 8)
		n := r.IntN(len(bm)*8 - pos + 1)
		var want [][2]int
		start := -1
		for i := 0; i <= n; i++ {
			set := i < n && bm[(pos+i)/8]>>((pos+i)%8)&1 == 1
			if set && start < 0 {
				start = i
			}
			if !set && start >= 0 {
				want = append(want, [2]int{start, i})
				start = -1
			}
		}
		require.Equal(t, want, validRuns(nil, bm, pos, n), "pos %d n %d", pos, n)
		ones := 0
		for _, r := range want {
			ones += r[1] - r[0]
		}
		require.Equal(t, ones, countOnes(bm, pos, n))
	}
}
