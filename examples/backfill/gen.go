package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// GenConfig sizes the synthetic point-of-sale exports. The same config
// always lands the same bytes.
type GenConfig struct {
	Seed   uint64
	Start  time.Time // first day (UTC midnight)
	Days   int
	Orders int // per day, on average
	Stores int
	SKUs   int
}

// salesFile is where day's export lands: one CSV file per day, in a dt=
// directory, as the stores' nightly export drops it.
func salesFile(dir string, day time.Time) string {
	return filepath.Join(dir, "sales", "dt="+day.Format(time.DateOnly), "sales.csv")
}

// landAll writes every day's export. A file whose content is already right
// is left alone, so its modification time (which file sources use to tell
// whether a partition changed) stays as it was and a rerun is a cache hit.
func landAll(dir string, cfg GenConfig) error {
	for d := range cfg.Days {
		day := cfg.Start.AddDate(0, 0, d)
		if err := writeIfChanged(salesFile(dir, day), salesCSV(cfg, d, day)); err != nil {
			return err
		}
	}
	return nil
}

// corrupt rewrites one day's export with a typo in one price, the kind of
// thing a hand-edited export brings: "12.5O" with a letter O. It returns the
// line it broke (1-based, the header is line 1).
func corrupt(dir string, cfg GenConfig, day time.Time) (int, error) {
	b := salesCSV(cfg, int(day.Sub(cfg.Start)/(24*time.Hour)), day)
	lines := bytes.Split(b, []byte("\n"))
	rng := rand.New(rand.NewPCG(cfg.Seed, 999))
	n := 2 + rng.IntN(len(lines)-3) // a data line, not the header or the trailing empty line
	fields := bytes.Split(lines[n-1], []byte(","))
	price := string(fields[4])
	fields[4] = []byte(price[:len(price)-1] + "O") // 12.50 -> 12.5O
	lines[n-1] = bytes.Join(fields, []byte(","))
	return n, writeIfChanged(salesFile(dir, day), bytes.Join(lines, []byte("\n")))
}

// writeIfChanged writes b to path unless the file already holds exactly b.
func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// salesCSV is day d's export: about cfg.Orders order lines (more on
// weekends, slowly growing), stores drawn with a skew, each SKU with a fixed
// list price, in time order.
func salesCSV(cfg GenConfig, d int, day time.Time) []byte {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(d)))
	n := float64(cfg.Orders) * (1 + 0.002*float64(d))
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		n *= 1.4
	}
	count := int(math.Round(n * (0.9 + 0.2*rng.Float64())))
	at := make([]int64, count)
	for i := range at {
		at[i] = rng.Int64N(int64(24 * time.Hour / time.Second))
	}
	slices.Sort(at)
	var b bytes.Buffer
	b.WriteString("order_id,store_id,sku,qty,unit_price,ts\n")
	for i, s := range at {
		store := 1 + int(float64(cfg.Stores)*rng.Float64()*rng.Float64())
		sku := 1 + rng.IntN(cfg.SKUs)
		price := listPrice(cfg.Seed, sku)
		ts := day.Add(time.Duration(s) * time.Second)
		fmt.Fprintf(&b, "%d,%d,%d,%d,%.2f,%s\n", int64(d+1)*1_000_000+int64(i), store, sku, 1+rng.IntN(4), price, ts.Format(time.RFC3339))
	}
	return b.Bytes()
}

// listPrice is a SKU's price, the same every day.
func listPrice(seed uint64, sku int) float64 {
	r := rand.New(rand.NewPCG(seed, uint64(sku)<<20))
	return math.Round(math.Exp(2+r.NormFloat64()*0.8)*100) / 100
}
