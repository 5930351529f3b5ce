package feature

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature/online"
	"github.com/kiln-data/kiln/internal/kernels"
)

// MaterializeResult says what a materialization did.
type MaterializeResult struct {
	// Partitions are the partitions read and written, in order.
	Partitions []kiln.Partition
	// Skipped are the partitions already materialized with the same
	// content hash.
	Skipped []kiln.Partition
	// Rows is the number of offline rows read.
	Rows int64
	// Entities is the number of entities whose latest row was offered to
	// the store; Written how many of them the store took (the others held
	// a newer value).
	Entities, Written int
	// Duration is how long it took.
	Duration time.Duration
}

// putBatch is how many records Materialize hands the store at once.
const putBatch = 8192

// Materialize writes the latest value per entity of the group's committed
// partitions to the online store: the given partitions (kiln.Range gives a
// range), or every committed partition when none are given.
//
// It is incremental: a partition already materialized with the same
// content hash and the same features (recorded in the metadata under
// meta:<group>:<version>) is skipped, so a rerun is a no-op that writes
// nothing; after a compatible change to the group's features, partitions
// are materialized again. Of the remaining
// partitions, each entity's latest row is chosen exactly as a training set
// chooses it (greatest event time, then created time, then partition and
// row order), and the store keeps a record only if it is not older than the
// one it holds: materializing an old partition after a newer one never
// rolls a value back. TTLs are applied when values are read (Get), as the
// offline join applies them at the label time.
//
// The group is added to the groups the Online serves.
func (o *Online) Materialize(ctx context.Context, g *Group, parts ...kiln.Partition) (*MaterializeResult, error) {
	start := time.Now()
	if err := g.ensureResolved(ctx); err != nil {
		return nil, err
	}
	def, err := g.Definition()
	if err != nil {
		return nil, err
	}
	o.addGroup(g)
	if len(parts) == 0 {
		if parts, err = g.Partitions(); err != nil {
			return nil, err
		}
	}
	parts = slices.Clone(parts)
	slices.SortFunc(parts, kiln.Partition.Compare)
	parts = slices.Compact(parts)

	meta, err := o.readMeta(ctx, g)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		meta = &storeMeta{Format: MetaFormat, Schemas: map[string][]string{}, Partitions: map[string]Materialized{}}
	}
	names := make([]string, len(g.Features))
	for i, f := range g.Features {
		names[i] = f.Name
	}
	id := schemaID(names)
	idHex := hex.EncodeToString(id[:])
	res := &MaterializeResult{}
	var todo []kiln.Partition
	for _, p := range parts {
		m, err := g.readManifest(p)
		if err != nil {
			return nil, err
		}
		if rec, ok := meta.Partitions[p.String()]; ok && rec.ContentHash == m.ContentHash && rec.Schema == idHex {
			res.Skipped = append(res.Skipped, p)
			continue
		}
		todo = append(todo, p)
	}
	res.Partitions = todo
	if len(todo) == 0 {
		res.Duration = time.Since(start)
		return res, nil
	}

	data, err := g.readPartitions(ctx, todo, g.storeColumns(names))
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, d := range data {
			d.table.Release()
		}
	}()
	tables := make([]arrow.Table, len(data))
	var seqs []uint64
	for i, d := range data {
		tables[i] = d.table
		n := d.table.NumRows()
		res.Rows += n
		base := partSeq(d.part)
		for r := range n {
			seqs = append(seqs, base|uint64(r))
		}
	}
	all, err := concatTables(tables)
	if err != nil {
		return nil, fmt.Errorf("feature group %s: %w", g.ID(), err)
	}
	defer all.Release()

	entries, unit, maxEvent, err := latestEntries(g, all, seqs, names)
	if err != nil {
		return nil, fmt.Errorf("feature group %s: materialize: %w", g.ID(), err)
	}
	if meta.TimeUnitNS != 0 && meta.TimeUnitNS != int64(unit) {
		return nil, fmt.Errorf("feature group %s: materialize: the time columns' unit changed from %s to %s: a new group version is needed",
			g.ID(), time.Duration(meta.TimeUnitNS), unit)
	}
	res.Entities = len(entries)
	for lo := 0; lo < len(entries); lo += putBatch {
		w, err := o.store.Put(ctx, entries[lo:min(lo+putBatch, len(entries))])
		res.Written += w
		if err != nil {
			return res, fmt.Errorf("feature group %s: materialize: %w", g.ID(), err)
		}
	}

	meta.Definition = def
	meta.TimeUnitNS = int64(unit)
	meta.Schemas[idHex] = names
	for _, d := range data {
		meta.Partitions[d.part.String()] = Materialized{ContentHash: d.manifest.ContentHash, Schema: idHex}
		if meta.Last == "" || mustParse(meta.Last).Compare(d.part) < 0 {
			meta.Last = d.part.String()
		}
	}
	if len(entries) > 0 && maxEvent.After(meta.MaxEventTime) {
		meta.MaxEventTime = maxEvent
	}
	meta.Entities += int64(res.Written)
	if err := o.writeMeta(ctx, g, meta); err != nil {
		return res, fmt.Errorf("feature group %s: materialize: %w", g.ID(), err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

func mustParse(s string) kiln.Partition {
	p, _ := kiln.ParsePartition(s)
	return p
}

// partSeq is the high half of the sequence numbers of a partition's rows:
// its start in minutes since the epoch, offset to be unsigned, so that
// later partitions have greater sequence numbers.
func partSeq(p kiln.Partition) uint64 {
	if p.Start().IsZero() {
		return 0
	}
	return uint64(p.Start().Unix()/60+1<<31) << 32
}

// latestEntries picks each entity's latest row of t and encodes it as a
// store entry. seqs are the rows' sequence numbers.
func latestEntries(g *Group, t arrow.Table, seqs []uint64, names []string) ([]online.Entry, time.Duration, time.Time, error) {
	keyCols := make([]*arrow.Chunked, len(g.Entity.Keys))
	for i, k := range g.Entity.Keys {
		c, err := kiln.Column(t, k, nil)
		if err != nil {
			return nil, 0, time.Time{}, err
		}
		keyCols[i] = c
	}
	latest, unit, err := latestRows(context.Background(), g, t, keyCols) // in offline row order
	if err != nil {
		return nil, 0, time.Time{}, err
	}

	// Flatten the columns to single arrays for random access.
	flat := func(c *arrow.Chunked) (arrow.Array, error) {
		idx := make([]int32, len(latest))
		for i, l := range latest {
			idx[i] = l.row
		}
		return kernels.Take(memory.DefaultAllocator, kernels.NewCol(c), idx)
	}
	keys := make([]arrow.Array, len(keyCols))
	feats := make([]arrow.Array, len(names))
	defer func() {
		for _, a := range append(keys, feats...) {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, c := range keyCols {
		if keys[i], err = flat(c); err != nil {
			return nil, 0, time.Time{}, err
		}
	}
	encs := make([]valueEncoder, len(names))
	for i, n := range names {
		c, err := kiln.Column(t, n, g.Features[i].Type)
		if err != nil {
			return nil, 0, time.Time{}, err
		}
		if feats[i], err = flat(c); err != nil {
			return nil, 0, time.Time{}, err
		}
		if encs[i], err = newEncoder(feats[i]); err != nil {
			return nil, 0, time.Time{}, fmt.Errorf("feature %q: %w", n, err)
		}
	}
	id := schemaID(names)
	prefix := g.Name + ":" + fmt.Sprint(g.Version) + ":"
	entries := make([]online.Entry, len(latest))
	var maxEvent int64
	var kb, vb []byte
	for j, l := range latest {
		kb = append(kb[:0], prefix...)
		for i, a := range keys {
			if i > 0 {
				kb = append(kb, ':')
			}
			kb, _ = appendArrowKey(kb, a, j)
		}
		ev := l.event
		if j == 0 || ev > maxEvent {
			maxEvent = ev
		}
		vb = append(vb[:0], valueFormat)
		vb = append(vb, id[:]...)
		vb = binary.AppendUvarint(vb, uint64(len(encs)))
		for _, enc := range encs {
			vb = enc(vb, j)
		}
		entries[j] = online.Entry{Key: string(kb), Version: online.MakeVersion(ev, l.created, seqs[l.row]), Value: slices.Clone(vb)}
	}
	return entries, unit, unitsToTime(maxEvent, unit), nil
}

// unitsToTime converts a count of units since the epoch to a time.
func unitsToTime(v int64, unit time.Duration) time.Time {
	if unit >= time.Second {
		return time.Unix(v*int64(unit/time.Second), 0).UTC()
	}
	per := int64(time.Second / unit)
	sec, rem := v/per, v%per
	if rem < 0 {
		sec, rem = sec-1, rem+per
	}
	return time.Unix(sec, rem*int64(unit)).UTC()
}
