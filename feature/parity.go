package feature

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/kernels"
)

// ParityOptions configures a parity check.
type ParityOptions struct {
	// Features are the references to compare (default: every feature of
	// the group). They may name on-demand sets the Online declares, whose
	// request columns must then be in Labels.
	Features []string
	// Labels, when set, are the entity rows and times to check: the
	// group's entity key columns and a timestamp column named by Time,
	// plus any request columns on-demand features read. Otherwise the
	// check samples Entities entities from the materialized partitions and
	// checks each at every offset of Offsets after the latest materialized
	// event time.
	Labels arrow.Table
	// Time names the time column of Labels.
	Time string
	// Entities is the sample size (default 100).
	Entities int
	// Offsets are the times checked, after the latest materialized event
	// time (default: 0, TTL/2, TTL and just past the TTL; or 0, 1h and a
	// year without a TTL).
	Offsets []time.Duration
	// Seed seeds the sample.
	Seed uint64
}

// Mismatch is one value that differs between the online and offline paths.
type Mismatch struct {
	// Row is the label row; Key its entity key; At its time.
	Row int
	Key string
	At  time.Time
	// Feature is the result column.
	Feature string
	// Offline and Online are the two values (Go values, as in Result).
	Offline, Online any
}

func (m Mismatch) String() string {
	return fmt.Sprintf("row %d key %s at %s: %s offline %v (%T), online %v (%T)",
		m.Row, m.Key, m.At.Format(time.RFC3339Nano), m.Feature, m.Offline, m.Offline, m.Online, m.Online)
}

// ParityReport is the outcome of a parity check.
type ParityReport struct {
	// Rows is the number of (entity, time) rows checked; Values the number
	// of values compared.
	Rows, Values int
	// Mismatches lists every differing value, in row then column order.
	Mismatches []Mismatch
	// Partitions are the partitions compared (those materialized).
	Partitions []kiln.Partition
}

// OK reports whether no value differed.
func (r *ParityReport) OK() bool { return len(r.Mismatches) == 0 }

// Parity compares the online store with the offline store for a group: for
// each (entity, time) row, the values Lookup returns at that time against
// the point-in-time values a training set holds for a label at that time,
// computed from the partitions the store has materialized. It reports every
// mismatch. Online stores keep only the latest value per entity, so the
// two paths agree only at times at or after the latest materialized event
// time, which is what the default sample checks.
func (o *Online) Parity(ctx context.Context, g *Group, opts ParityOptions) (*ParityReport, error) {
	meta, err := o.readMeta(ctx, g)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, fmt.Errorf("feature group %s: parity: not materialized in this store", g.ID())
	}
	rep := &ParityReport{}
	for p := range meta.Partitions {
		q, err := kiln.ParsePartition(p)
		if err != nil {
			return nil, fmt.Errorf("online metadata %s: %w", metaKey(g), err)
		}
		rep.Partitions = append(rep.Partitions, q)
	}
	slices.SortFunc(rep.Partitions, kiln.Partition.Compare)
	refs := opts.Features
	if len(refs) == 0 {
		refs = []string{g.Name + "@" + fmt.Sprint(g.Version)}
	}
	names := make([]string, len(g.Features))
	for i, f := range g.Features {
		names[i] = f.Name
	}
	data, _, err := g.load(ctx, rep.Partitions, names)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	labels, timeCol := opts.Labels, opts.Time
	if labels == nil {
		timeCol = "_kiln_parity_time"
		if labels, err = paritySample(g, data, meta.MaxEventTime, opts, timeCol); err != nil {
			return nil, err
		}
		defer labels.Release()
	}
	spec := TrainingSpec{Features: refs, Time: timeCol, OnDemand: o.ods}
	off, err := pointInTime(ctx, memory.DefaultAllocator, labels, spec, []GroupData{{Group: g, Table: data}})
	if err != nil {
		return nil, fmt.Errorf("parity: offline: %w", err)
	}
	defer off.Release()
	first := int(labels.NumCols()) // the features follow the label columns

	keyCols := make([]arrow.Array, len(g.Entity.Keys))
	for i, k := range g.Entity.Keys {
		c, err := kiln.Column(labels, k, nil)
		if err != nil {
			return nil, fmt.Errorf("parity: labels: %w", err)
		}
		if keyCols[i], err = kernels.Take(memory.DefaultAllocator, kernels.NewCol(c), identity(int(labels.NumRows()))); err != nil {
			return nil, err
		}
		defer keyCols[i].Release()
	}
	tc, err := kiln.Column(labels, timeCol, nil)
	if err != nil {
		return nil, fmt.Errorf("parity: labels: %w", err)
	}
	times, err := microTimes(memory.DefaultAllocator, tc)
	if err != nil {
		return nil, fmt.Errorf("parity: labels: column %q: %w", timeCol, err)
	}
	defer times.Release()
	offRows := rowsOf(off)
	all := tableRecord(labels)
	defer all.Release()
	for i := range int(labels.NumRows()) {
		if times.IsNull(i) {
			continue
		}
		at := time.UnixMicro(int64(times.(*array.Timestamp).Value(i))).UTC()
		key := make(Key, len(keyCols))
		var kb []byte
		for j, a := range keyCols {
			key[j] = valueAt(a, i)
			if j > 0 {
				kb = append(kb, ':')
			}
			kb, _ = appendArrowKey(kb, a, i)
		}
		rec := all.NewSlice(int64(i), int64(i+1))
		res, err := o.Lookup(ctx, Request{Features: refs, Keys: []Key{key}, At: at, Data: rec})
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("parity: online lookup of row %d: %w", i, err)
		}
		rep.Rows++
		for j, f := range res.Fields {
			rep.Values++
			ov := offRows[i][first+j]
			if !sameValue(ov, res.Rows[0][j]) {
				rep.Mismatches = append(rep.Mismatches, Mismatch{Row: i, Key: string(kb), At: at, Feature: f.Name, Offline: ov, Online: res.Rows[0][j]})
			}
		}
	}
	return rep, nil
}

// paritySample picks entities from the offline data and pairs each with
// the check times.
func paritySample(g *Group, data arrow.Table, maxEvent time.Time, opts ParityOptions, timeCol string) (arrow.Table, error) {
	n := opts.Entities
	if n <= 0 {
		n = 100
	}
	offsets := opts.Offsets
	if len(offsets) == 0 {
		if g.TTL > 0 {
			offsets = []time.Duration{0, g.TTL / 2, g.TTL, g.TTL + time.Microsecond}
		} else {
			offsets = []time.Duration{0, time.Hour, 365 * kiln.Day}
		}
	}
	// Distinct entities in first-appearance order.
	keyCols := make([]*arrow.Chunked, len(g.Entity.Keys))
	for i, k := range g.Entity.Keys {
		c, err := kiln.Column(data, k, nil)
		if err != nil {
			return nil, err
		}
		keyCols[i] = c
	}
	flat := make([]arrow.Array, len(keyCols))
	for i, c := range keyCols {
		a, err := kernels.Take(memory.DefaultAllocator, kernels.NewCol(c), identity(int(data.NumRows())))
		if err != nil {
			return nil, err
		}
		defer a.Release()
		flat[i] = a
	}
	seen := map[string]bool{}
	var distinct []int32
	var kb []byte
	for r := range int(data.NumRows()) {
		kb = kb[:0]
		ok := true
		for j, a := range flat {
			if j > 0 {
				kb = append(kb, ':')
			}
			var valid bool
			kb, valid = appendArrowKey(kb, a, r)
			ok = ok && valid
		}
		if ok && !seen[string(kb)] {
			seen[string(kb)] = true
			distinct = append(distinct, int32(r))
		}
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9a11))
	rng.Shuffle(len(distinct), func(i, j int) { distinct[i], distinct[j] = distinct[j], distinct[i] })
	distinct = distinct[:min(n, len(distinct))]
	var idx []int32
	tb := array.NewTimestampBuilder(memory.DefaultAllocator, requestTimeType)
	defer tb.Release()
	base := maxEvent.Truncate(time.Microsecond)
	if base.Before(maxEvent) {
		base = base.Add(time.Microsecond)
	}
	for _, r := range distinct {
		for _, off := range offsets {
			idx = append(idx, r)
			tb.Append(arrow.Timestamp(base.Add(off).UnixMicro()))
		}
	}
	fields := make([]arrow.Field, 0, len(flat)+1)
	cols := make([]arrow.Array, 0, len(flat)+1)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, a := range flat {
		c, err := kernels.Take(memory.DefaultAllocator, kernels.ColOf(a.DataType(), a), idx)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
		fields = append(fields, arrow.Field{Name: g.Entity.Keys[i], Type: a.DataType(), Nullable: true})
	}
	cols = append(cols, tb.NewArray())
	fields = append(fields, arrow.Field{Name: timeCol, Type: requestTimeType, Nullable: true})
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(idx)))
	defer rec.Release()
	return array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec}), nil
}

func identity(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// tableRecord flattens a small table into one record batch.
func tableRecord(t arrow.Table) arrow.RecordBatch {
	cols := make([]arrow.Array, t.NumCols())
	for i := range cols {
		ch := t.Column(i).Data()
		a, err := array.Concatenate(ch.Chunks(), memory.DefaultAllocator)
		if err != nil || len(ch.Chunks()) == 0 {
			a = array.MakeArrayOfNull(memory.DefaultAllocator, ch.DataType(), int(t.NumRows()))
		}
		cols[i] = a
	}
	rec := array.NewRecordBatch(t.Schema(), cols, t.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// rowsOf reads a table's cells as Go values.
func rowsOf(t arrow.Table) [][]any {
	n := int(t.NumRows())
	out := make([][]any, n)
	for i := range out {
		out[i] = make([]any, t.NumCols())
	}
	for j := range int(t.NumCols()) {
		i := 0
		for _, a := range t.Column(j).Data().Chunks() {
			for k := 0; k < a.Len(); k++ {
				out[i][j] = valueAt(a, k)
				i++
			}
		}
	}
	return out
}

// sameValue compares two Go values bit for bit (NaNs with equal bits are
// equal; -0 and +0 differ).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}
