package feature

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/par"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

// ErrNoData reports a feature group with no committed partitions to read.
var ErrNoData = errors.New("feature group has no committed data")

// partData is one committed partition of a group's offline store, read.
type partData struct {
	part     kiln.Partition
	manifest *lineage.Manifest
	table    arrow.Table
}

// Partitions lists the committed partitions of the group's offline store
// (its node's dataset), in partition order.
func (g *Group) Partitions() ([]kiln.Partition, error) {
	if err := g.checkNode(); err != nil {
		return nil, err
	}
	names, err := lake.ListPartitions(g.datasetDir())
	if err != nil {
		return nil, fmt.Errorf("feature group %s: %w", g.ID(), err)
	}
	out := make([]kiln.Partition, 0, len(names))
	for _, n := range names {
		p, err := kiln.ParsePartition(n)
		if err != nil {
			return nil, fmt.Errorf("feature group %s: partition %q: %w", g.ID(), n, err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		// An unpartitioned dataset keeps its manifest in the dataset dir.
		if _, err := lake.ReadManifest(g.datasetDir()); err == nil {
			out = append(out, kiln.All)
		}
	}
	slices.SortFunc(out, kiln.Partition.Compare)
	return out, nil
}

// readManifest reads the manifest of one committed partition.
func (g *Group) readManifest(p kiln.Partition) (*lineage.Manifest, error) {
	dir := filepath.Join(g.datasetDir(), filepath.FromSlash(p.Dir()))
	b, err := lake.ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("feature group %s: %w: partition %s of %s is not committed", g.ID(), kiln.ErrNoPartition, p, g.Dataset())
	}
	if err != nil {
		return nil, fmt.Errorf("feature group %s: %w", g.ID(), err)
	}
	m, err := lineage.UnmarshalManifest(b)
	if err != nil {
		return nil, fmt.Errorf("feature group %s: %s: %w", g.ID(), lake.ManifestPath(dir), err)
	}
	return m, nil
}

// storeColumns are the columns read from the offline store for features:
// keys, event time, created time (when declared), then the features.
func (g *Group) storeColumns(features []string) []string {
	cols := slices.Clone(g.Entity.Keys)
	cols = append(cols, g.EventTime)
	if g.CreatedTime != "" {
		cols = append(cols, g.CreatedTime)
	}
	return append(cols, features...)
}

// readPartitions reads the columns cols of the given committed partitions,
// checking every file against its manifest's BLAKE3. Partitions are read
// concurrently; the result is in the order given. Features missing from a
// partition written before they were added read as nulls.
func (g *Group) readPartitions(ctx context.Context, parts []kiln.Partition, cols []string) ([]partData, error) {
	out := make([]partData, len(parts))
	err := par.Do(ctx, len(parts), func(i int) error {
		m, err := g.readManifest(parts[i])
		if err != nil {
			return err
		}
		t, err := g.readCommitted(ctx, parts[i], m, cols)
		if err != nil {
			return err
		}
		out[i] = partData{part: parts[i], manifest: m, table: t}
		return nil
	})
	if err != nil {
		for _, d := range out {
			if d.table != nil {
				d.table.Release()
			}
		}
		return nil, err
	}
	return out, nil
}

func (g *Group) readCommitted(ctx context.Context, p kiln.Partition, m *lineage.Manifest, cols []string) (arrow.Table, error) {
	dir := filepath.Join(g.datasetDir(), filepath.FromSlash(p.Dir()))
	var tables []arrow.Table
	defer func() {
		for _, t := range tables {
			t.Release()
		}
	}()
	for _, f := range m.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		h, _, err := digest.File(path)
		if err != nil {
			return nil, fmt.Errorf("feature group %s partition %s: %w", g.ID(), p, err)
		}
		if h != f.Hash {
			return nil, fmt.Errorf("feature group %s partition %s: file %s has BLAKE3 %s but its manifest says %s: it changed after commit",
				g.ID(), p, path, h.Short(), f.Hash.Short())
		}
		sc, err := pq.ReadSchema(path)
		if err != nil {
			return nil, fmt.Errorf("feature group %s partition %s: %w", g.ID(), p, err)
		}
		var have []string
		for _, c := range cols {
			if len(sc.FieldIndices(c)) > 0 {
				have = append(have, c)
			} else if g.Feature(c) == nil || g.Feature(c).NotNull {
				return nil, fmt.Errorf("feature group %s partition %s: file %s: %w", g.ID(), p, path,
					&kiln.SchemaError{Column: c, Input: -1, Problem: "missing"})
			}
		}
		t, err := pq.ReadFile(ctx, path, pq.ReadOptions{Columns: have})
		if err != nil {
			return nil, fmt.Errorf("feature group %s partition %s: %w", g.ID(), p, err)
		}
		if len(have) < len(cols) {
			t2 := g.fillMissing(t, cols)
			t.Release()
			t = t2
		}
		tables = append(tables, t)
	}
	if len(tables) == 1 {
		t := tables[0]
		tables = nil
		return t, nil
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("feature group %s partition %s: the manifest lists no files", g.ID(), p)
	}
	return concatTables(tables)
}

// fillMissing returns t with null columns for the features of cols it
// lacks, in the order of cols.
func (g *Group) fillMissing(t arrow.Table, cols []string) arrow.Table {
	fields := make([]arrow.Field, len(cols))
	columns := make([]arrow.Column, len(cols))
	for i, c := range cols {
		if idx := t.Schema().FieldIndices(c); len(idx) > 0 {
			fields[i] = t.Schema().Field(idx[0])
			columns[i] = *arrow.NewColumn(fields[i], t.Column(idx[0]).Data())
			continue
		}
		f := g.Feature(c)
		fields[i] = arrow.Field{Name: c, Type: f.Type, Nullable: true}
		null := array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(t.NumRows()))
		ch := arrow.NewChunked(f.Type, []arrow.Array{null})
		null.Release()
		columns[i] = *arrow.NewColumn(fields[i], ch)
		ch.Release()
	}
	out := array.NewTable(arrow.NewSchema(fields, nil), columns, t.NumRows())
	for i := range columns {
		columns[i].Release()
	}
	return out
}

// concatTables chains the chunks of tables with equal column names (types
// must match) into one table, without copying.
func concatTables(tables []arrow.Table) (arrow.Table, error) {
	s := tables[0].Schema()
	fields := slices.Clone(s.Fields())
	var rows int64
	for ti, t := range tables {
		if int(t.NumCols()) != len(fields) {
			return nil, fmt.Errorf("table %d has %d columns, want %d", ti, t.NumCols(), len(fields))
		}
		for i := range fields {
			f := t.Schema().Field(i)
			if f.Name != fields[i].Name || !arrow.TypeEqual(f.Type, fields[i].Type) {
				return nil, fmt.Errorf("column %q: partition data has %s %s, earlier partitions %s %s", fields[i].Name, f.Name, f.Type, fields[i].Name, fields[i].Type)
			}
			fields[i].Nullable = fields[i].Nullable || f.Nullable
		}
		rows += t.NumRows()
	}
	cols := make([]arrow.Column, len(fields))
	for i, f := range fields {
		var chunks []arrow.Array
		for _, t := range tables {
			for _, c := range t.Column(i).Data().Chunks() {
				if c.Len() > 0 {
					chunks = append(chunks, c)
				}
			}
		}
		ch := arrow.NewChunked(f.Type, chunks)
		cols[i] = *arrow.NewColumn(f, ch)
		ch.Release()
	}
	out := array.NewTable(arrow.NewSchema(fields, nil), cols, rows)
	for i := range cols {
		cols[i].Release()
	}
	return out, nil
}

// inputOf is the lineage input record of a partition read for a training
// set or a materialization.
func (g *Group) inputOf(d partData) lineage.Input {
	return lineage.Input{Dataset: g.Dataset(), Partition: d.part.String(), Mapping: "feature:" + g.ID(), ContentHash: d.manifest.ContentHash}
}
