package feature

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/canon"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
)

var datasetRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$`)

// TrainingSetVersion is the version of the point-in-time join logic; it is
// part of every training set's fingerprint.
const TrainingSetVersion = "1"

// TrainingSet is a point-in-time training set: the joined table and
// exactly what it was built from.
type TrainingSet struct {
	// Table is the training set (see PointInTimeJoin for its shape).
	Table arrow.Table
	// Inputs are the label table and every group partition read, with
	// their content hashes, in order (labels first, then each group's
	// partitions in partition order).
	Inputs []lineage.Input
	// Operation is the spec, canonically serialized, with its hash.
	Operation lineage.Operation
	// Fingerprint is BLAKE3 over the operation, the group definitions'
	// hashes and the inputs' content hashes: equal fingerprints, equal
	// training sets.
	Fingerprint digest.Sum
}

// Release releases the table.
func (ts *TrainingSet) Release() { ts.Table.Release() }

// BuildTrainingSet builds a point-in-time training set of the label table
// from the groups' offline stores: every committed partition of each group
// whose features are referenced (each file checked against its manifest's
// BLAKE3). labelsName names the label table in the training set's inputs
// (for example the dataset it was read from). See PointInTimeJoin for the
// join's rules and the output's shape.
func BuildTrainingSet(ctx context.Context, labels arrow.Table, labelsName string, spec TrainingSpec, groups ...*Group) (*TrainingSet, error) {
	for _, g := range groups {
		if err := g.ensureResolved(ctx); err != nil {
			return nil, err
		}
	}
	ods, err := planOnDemand(spec.OnDemand, groups)
	if err != nil {
		return nil, err
	}
	sel, err := resolveRefs(spec.Features, groups, ods)
	if err != nil {
		return nil, err
	}
	lh, err := digest.Table(labels)
	if err != nil {
		return nil, fmt.Errorf("training set: hash label table: %w", err)
	}
	ts := &TrainingSet{Inputs: []lineage.Input{{Dataset: labelsName, Partition: "all", Mapping: "labels", ContentHash: lh}}}
	var data []GroupData
	defer func() {
		for _, d := range data {
			d.Table.Release()
		}
	}()
	var defs []digest.Sum
	for _, n := range sel.needs() {
		g, feats := n.g, n.feats
		def, err := g.Definition()
		if err != nil {
			return nil, err
		}
		defs = append(defs, def.Hash)
		parts, err := g.Partitions()
		if err != nil {
			return nil, err
		}
		t, inputs, err := g.load(ctx, parts, feats)
		if err != nil {
			return nil, err
		}
		ts.Inputs = append(ts.Inputs, inputs...)
		data = append(data, GroupData{Group: g, Table: t})
	}
	if ts.Operation, err = trainingOperation(spec); err != nil {
		return nil, err
	}
	b := digest.NewBuilder("kiln.feature.training_set.v1").
		String("version", TrainingSetVersion).Sum("config", ts.Operation.ConfigHash)
	for _, d := range defs {
		b.Sum("definition", d)
	}
	for _, in := range ts.Inputs {
		b.String("input", in.Dataset+"/"+in.Partition).Sum("content", in.ContentHash)
	}
	ts.Fingerprint = b.Digest()
	if ts.Table, err = pointInTime(ctx, memory.DefaultAllocator, labels, spec, data); err != nil {
		return nil, err
	}
	return ts, nil
}

// load reads the given committed partitions of the group (the keys, times
// and features feats), concatenated in partition order, with the lineage
// inputs they are.
func (g *Group) load(ctx context.Context, parts []kiln.Partition, feats []string) (arrow.Table, []lineage.Input, error) {
	if len(parts) == 0 {
		return nil, nil, fmt.Errorf("feature group %s: %w: dataset %s has no committed partition", g.ID(), ErrNoData, g.Dataset())
	}
	pd, err := g.readPartitions(ctx, parts, g.storeColumns(feats))
	if err != nil {
		return nil, nil, err
	}
	tables := make([]arrow.Table, len(pd))
	inputs := make([]lineage.Input, len(pd))
	for i, d := range pd {
		tables[i] = d.table
		inputs[i] = g.inputOf(d)
	}
	t, err := concatTables(tables)
	for _, d := range pd {
		d.table.Release()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("feature group %s: %w", g.ID(), err)
	}
	return t, inputs, nil
}

// trainingOperation describes the spec for manifests: the plain fields and,
// for each on-demand set, its inputs and its transform's spec.
func trainingOperation(spec TrainingSpec) (lineage.Operation, error) {
	type odConf struct {
		Name        string   `json:"name"`
		Inputs      []string `json:"inputs"`
		Request     []string `json:"request,omitempty"`
		RequestTime string   `json:"request_time,omitempty"`
		Transform   string   `json:"transform"`
		Version     string   `json:"version"`
		Config      any      `json:"config"`
	}
	conf := struct {
		TrainingSpec
		OnDemand []odConf `json:"on_demand,omitempty"`
	}{TrainingSpec: spec}
	for _, od := range spec.OnDemand {
		s := od.Transform.Spec()
		var req []string
		for _, f := range od.Request {
			req = append(req, f.Name+" "+f.Type.String())
		}
		conf.OnDemand = append(conf.OnDemand, odConf{Name: od.Name, Inputs: od.Inputs, Request: req, RequestTime: od.RequestTime,
			Transform: s.Name, Version: s.Version, Config: s.Config})
	}
	js, err := canon.JSON(conf)
	if err != nil {
		return lineage.Operation{}, fmt.Errorf("training set spec: %w", err)
	}
	h, err := canon.Hash(conf)
	if err != nil {
		return lineage.Operation{}, fmt.Errorf("training set spec: %w", err)
	}
	return lineage.Operation{Name: "feature.training_set", Version: TrainingSetVersion, Config: json.RawMessage(js), ConfigHash: h}, nil
}

// Commit writes the training set to the lake as the dataset name (for
// example "gold.training.churn"), unpartitioned, with kiln's commit
// protocol (lake.CommitTable): Parquet files with fixed settings, of at
// most lake.FileRows rows each and written concurrently, then a manifest
// listing the exact label table and group partitions used with their
// content hashes, then an atomic swap. It returns the manifest.
func (ts *TrainingSet) Commit(ctx context.Context, lakeDir, name string) (*kiln.Manifest, error) {
	if !datasetRE.MatchString(name) {
		return nil, fmt.Errorf("training set: dataset name %q: use dot-separated segments like \"gold.training.churn\"", name)
	}
	content, err := digest.Table(ts.Table)
	if err != nil {
		return nil, fmt.Errorf("training set %s: content hash: %w", name, err)
	}
	schema := make([]lineage.Field, ts.Table.Schema().NumFields())
	for i, f := range ts.Table.Schema().Fields() {
		typ, err := digest.CanonicalType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("training set %s: column %q: %w", name, f.Name, err)
		}
		schema[i] = lineage.Field{Name: f.Name, Type: typ, Nullable: f.Nullable}
	}
	m := &kiln.Manifest{
		Format: lineage.ManifestFormat, Pipeline: "feature", Dataset: name, Partition: "all", Kind: "transform",
		Fingerprint: ts.Fingerprint, ContentHash: content, Rows: ts.Table.NumRows(), Schema: schema,
		Inputs: ts.Inputs, Operation: ts.Operation, Build: lineage.CurrentBuild(),
	}
	dir := filepath.Join(lakeDir, filepath.FromSlash(strings.ReplaceAll(name, ".", "/")))
	err = lake.CommitTable(ctx, dir, filepath.Join(lakeDir, filepath.FromSlash(lake.StagingDir)), ts.Table, pq.Defaults(), func(files []lake.FileInfo) ([]byte, error) {
		m.Files = make([]lineage.File, len(files))
		for i, f := range files {
			m.Files[i] = lineage.File{Path: f.Path, Rows: f.Rows, Bytes: f.Bytes, Hash: f.Hash}
		}
		return m.Marshal()
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("training set %s: %w", name, err)
	}
	return m, nil
}
