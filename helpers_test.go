package kiln_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// Reading is one row of the test source.
type Reading struct {
	ID     int64     `kiln:"id"`
	Sensor string    `kiln:"sensor"`
	Value  *float64  `kiln:"value"`
	TS     time.Time `kiln:"ts"`
}

// GenCfg configures the test source.
type GenCfg struct {
	Rows  int    `json:"rows"`
	First string `json:"first"` // first day with data
	Days  int    `json:"days"`
	Salt  int    `json:"salt"`
}

var sourceReads atomic.Int64

// readings yields cfg.Rows rows per day for cfg.Days days from cfg.First.
func readings(ctx *kiln.Context, cfg GenCfg) iter.Seq2[Reading, error] {
	return func(yield func(Reading, error) bool) {
		sourceReads.Add(1)
		first, _ := time.Parse(time.DateOnly, cfg.First)
		day := ctx.Partition().Start()
		idx := int(day.Sub(first) / kiln.Day)
		if day.Before(first) || idx >= cfg.Days {
			yield(Reading{}, kiln.ErrNoPartition)
			return
		}
		r := ctx.Rand()
		for i := range cfg.Rows {
			var v *float64
			if i%7 != 3 {
				x := float64(r.IntN(1000))/10 + float64(cfg.Salt)
				v = &x
			}
			row := Reading{ID: int64(idx*100000 + i), Sensor: fmt.Sprintf("s%d", i%5), Value: v,
				TS: day.Add(time.Duration(i) * time.Second)}
			if !yield(row, nil) {
				return
			}
		}
	}
}

func newSource(cfg GenCfg) kiln.Source {
	return kiln.SourceFunc("test.readings", "v1", readings).With(cfg)
}

// Summary is the output row of the per-sensor aggregate.
type Summary struct {
	Sensor string  `kiln:"sensor"`
	N      int64   `kiln:"n"`
	Sum    float64 `kiln:"sum"`
}

// summarize aggregates readings per sensor, ordered by sensor.
var summarize = kiln.Func("test.summarize", "v1", func(ctx *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
	rows, err := kiln.Rows[Reading](in)
	if err != nil {
		return nil, err
	}
	agg := map[string]*Summary{}
	var keys []string
	for _, r := range rows {
		s := agg[r.Sensor]
		if s == nil {
			s = &Summary{Sensor: r.Sensor}
			agg[r.Sensor] = s
			keys = append(keys, r.Sensor)
		}
		s.N++
		if r.Value != nil {
			s.Sum += *r.Value
		}
	}
	sortStrings(keys)
	out := make([]Summary, len(keys))
	for i, k := range keys {
		out[i] = *agg[k]
	}
	return kiln.TableOf(out)
})

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// testPipeline: bronze.readings -> silver.summary, and a 3-day lookback.
func testPipeline(t testing.TB, lake string, cfg GenCfg) *kiln.Pipeline {
	t.Helper()
	p := kiln.New("test", kiln.WithLake(lake), kiln.WithLogger(discard()))
	src := p.Source("bronze.readings", newSource(cfg))
	sum := p.Transform("silver.summary", summarize, src)
	p.Transform("gold.summary_3d", summarize, kiln.Lookback(src, 3*kiln.Day))
	_ = sum
	return p
}

func day(s string) kiln.Partition {
	p, err := kiln.ParsePartition("dt=" + s)
	if err != nil {
		panic(err)
	}
	return p
}

// treeHashes maps every file under dir (slash-separated relative path) to
// its BLAKE3, skipping run records and staging.
func treeHashes(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "_lineage" || rel == "_kiln" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h := blake3.Sum256(b)
		out[rel] = fmt.Sprintf("%x", h[:8])
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	require.NoError(t, err)
	return out
}

func filesUnder(m map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type arrowTable = arrow.Table

// mustRead reads a committed partition of a dataset directory.
func mustRead(t testing.TB, lake, dataset string, p kiln.Partition) arrow.Table {
	t.Helper()
	tbl, err := source.Parquet(filepath.Join(lake, filepath.FromSlash(dataset))).Read(kiln.NewContext(context.Background(), "read", p))
	require.NoError(t, err)
	return tbl
}
