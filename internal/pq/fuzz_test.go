package pq

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/stretchr/testify/require"
)

// FuzzRead feeds arbitrary bytes to Read: it must return a table or an
// error, never panic, and every error from in-memory bytes is ErrCorrupt.
// Run with: go test -fuzz FuzzRead ./internal/pq/
func FuzzRead(f *testing.F) {
	tbl := makeTable(f, 300, 4)
	defer tbl.Release()
	o := smallOpts()
	o.RowGroupRows = 100
	f.Add(writeBytes(f, tbl, o))
	o.Compression = compress.Codecs.Uncompressed // mutations reach the decoders
	f.Add(writeBytes(f, tbl, o))
	empty := makeTable(f, 0, 4)
	defer empty.Release()
	f.Add(writeBytes(f, empty, Defaults()))
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))

	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Read(context.Background(), bytes.NewReader(data), "fuzz.parquet", ReadOptions{})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error is not ErrCorrupt: %v", err)
			}
			return
		}
		got.Release()
	})
}

// TestReadMutations is a deterministic slice of FuzzRead that runs in every
// `go test`: files with a few bytes or integers overwritten (half of them
// in the footer, where lengths and offsets live) give a table or an
// ErrCorrupt error, never a panic or a runaway allocation.
func TestReadMutations(t *testing.T) {
	tbl := makeTable(t, 300, 4)
	defer tbl.Release()
	o := smallOpts()
	o.RowGroupRows = 100
	seeds := [][]byte{writeBytes(t, tbl, o)}
	o.Compression = compress.Codecs.Uncompressed
	seeds = append(seeds, writeBytes(t, tbl, o))
	rng := rand.New(rand.NewPCG(7, 7))
	values := []uint64{0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 0x80000000, 1 << 62, 1<<63 - 1, 1<<64 - 1, 0x10000}
	for it := 0; it < 1500; it++ {
		d := append([]byte{}, seeds[it%2]...)
		for k := 0; k < 1+rng.IntN(3); k++ {
			pos := rng.IntN(len(d))
			if it%3 != 0 {
				pos = len(d) - 1 - rng.IntN(min(len(d), 2000))
			}
			v := values[rng.IntN(len(values))]
			switch w := []int{1, 2, 4, 8}[rng.IntN(4)]; {
			case pos+w > len(d):
			case w == 1:
				d[pos] = byte(v)
			case w == 2:
				binary.LittleEndian.PutUint16(d[pos:], uint16(v))
			case w == 4:
				binary.LittleEndian.PutUint32(d[pos:], uint32(v))
			default:
				binary.LittleEndian.PutUint64(d[pos:], v)
			}
		}
		got, err := Read(context.Background(), bytes.NewReader(d), "m.parquet", ReadOptions{Parallel: it%4 == 0})
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt, "mutation %d", it)
			continue
		}
		got.Release()
	}
}
