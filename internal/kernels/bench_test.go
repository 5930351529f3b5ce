package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// benchKeys returns n int64 keys, ~groups distinct, uniformly spread over a
// wide range, in chunks of 1M rows.
func benchKeys(n, groups int, wide bool) Col {
	r := rand.New(rand.NewPCG(42, 1))
	b := array.NewInt64Builder(mem)
	b.Reserve(n)
	for range n {
		k := int64(r.IntN(groups))
		if wide {
			k = int64(hash64(uint64(k)) >> 1)
		}
		b.UnsafeAppend(k)
	}
	return split(b.NewArray(), 1<<20)
}

func BenchmarkGroupInt64(b *testing.B) {
	for _, tc := range []struct {
		name string
		wide bool
	}{{"dense", false}, {"hashed", true}} {
		b.Run(tc.name, func(b *testing.B) {
			n := 20_000_000
			c := benchKeys(n, 1_000_000, tc.wide)
			b.ResetTimer()
			for range b.N {
				if _, err := Group([]Col{c}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
		})
	}
}

func BenchmarkSortInt64(b *testing.B) {
	n := 20_000_000
	c := benchKeys(n, 1_000_000, true)
	b.ResetTimer()
	for range b.N {
		if _, err := SortPerm(n, []SortKey{{Col: c}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

func BenchmarkTakeInt64(b *testing.B) {
	n := 20_000_000
	c := benchKeys(n, 1_000_000, true)
	perm, _ := SortPerm(n, []SortKey{{Col: c}})
	b.ResetTimer()
	for range b.N {
		a, err := Take(mem, c, perm)
		if err != nil {
			b.Fatal(err)
		}
		a.Release()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

func BenchmarkHashDensify(b *testing.B) {
	r := rand.New(rand.NewPCG(42, 1))
	n := 20_000_000
	for _, distinct := range []int{1_000_000, 20_000_000} {
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = hash64(uint64(r.IntN(distinct)))
		}
		ids := make([]int32, n)
		for _, seq := range []bool{true, false} {
			b.Run(fmt.Sprintf("distinct=%d/sequential=%t", distinct, seq), func(b *testing.B) {
				if seq {
					defer func(v int) { partitionMin = v }(partitionMin)
					partitionMin = math.MaxInt
				}
				for range b.N {
					hashDensify(keys, ids)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
			})
		}
	}
}

// BenchmarkSortedRuns deduplicates 20M increasing int64 ids with 0.5%
// repeated (a late tail of replays), as FPB P1 does, over every row
// ("all") and over the 99.9% of rows a preceding DropNulls keeps, without
// gathering them first ("at").
func BenchmarkSortedRuns(b *testing.B) {
	n := 20_000_000
	r := rand.New(rand.NewPCG(42, 2))
	bl := array.NewInt64Builder(mem)
	bl.Reserve(n)
	id := int64(0)
	for i := range n {
		if i < n-n/200 {
			id += 1 + int64(r.IntN(2))
			bl.UnsafeAppend(id)
		} else {
			bl.UnsafeAppend(int64(r.IntN(int(id))))
		}
	}
	c := split(bl.NewArray(), 1<<16)
	var at []int32
	for i := range n {
		if r.IntN(1000) != 0 {
			at = append(at, int32(i))
		}
	}
	for _, tc := range []struct {
		name string
		at   []int32
	}{{"all", nil}, {"at", at}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := SortedRunsAt(c, tc.at, false); !ok {
					b.Fatal("not sorted runs")
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
		})
	}
}
