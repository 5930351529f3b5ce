package lineage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/kiln-data/kiln/internal/digest"
)

// Catalog answers questions about a lake from its manifests and its run
// records: the runs of a pipeline, the versions of a dataset, where a
// partition came from (Trace), what depends on a dataset (Impact), what
// changed between two runs (Diff) and where a column comes from
// (TraceColumn).
//
// A Catalog reads; it writes nothing but the store's own index. It is safe
// for concurrent use when its Store is.
type Catalog struct {
	lake  string
	store Store
}

// NewCatalog returns the catalog of the lake at lakeRoot. store keeps the run
// records; nil means the lake's own (NewLakeStore(lakeRoot)), which holds
// every run the engine recorded.
func NewCatalog(lakeRoot string, store Store) *Catalog {
	if store == nil {
		store = NewLakeStore(lakeRoot)
	}
	return &Catalog{lake: lakeRoot, store: store}
}

// Lake returns the lake root.
func (c *Catalog) Lake() string { return c.lake }

// Store returns the run record store.
func (c *Catalog) Store() Store { return c.store }

// Runs returns the runs of a pipeline, oldest first (summaries: see
// Summarize).
func (c *Catalog) Runs(ctx context.Context, pipeline string) ([]*RunRecord, error) {
	return c.store.Runs(ctx, pipeline)
}

// Run returns the complete record of a run. id may be a unique prefix of a
// run id (at least 8 characters), as printed by the text renderings.
func (c *Catalog) Run(ctx context.Context, id string) (*RunRecord, error) {
	r, err := c.store.Run(ctx, id)
	if err == nil || !errors.Is(err, ErrNotFound) || len(id) < 8 {
		return r, err
	}
	all, lerr := c.allRuns(ctx)
	if lerr != nil {
		return nil, lerr
	}
	var match []string
	for _, s := range all {
		if strings.HasPrefix(s.RunID, id) {
			match = append(match, s.RunID)
		}
	}
	switch len(match) {
	case 0:
		return nil, err
	case 1:
		return c.store.Run(ctx, match[0])
	}
	return nil, fmt.Errorf("lineage: run id prefix %q is ambiguous: %s", id, strings.Join(match, ", "))
}

// allRuns returns the runs of every pipeline, oldest first.
func (c *Catalog) allRuns(ctx context.Context) ([]*RunRecord, error) {
	pipes, err := c.store.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	var all []*RunRecord
	for _, p := range pipes {
		runs, err := c.store.Runs(ctx, p)
		if err != nil {
			return nil, err
		}
		all = append(all, runs...)
	}
	sortRuns(all)
	return all, nil
}

// DatasetVersion is one committed version of a dataset partition: a node run
// that computed and committed it.
type DatasetVersion struct {
	// Dataset is the dataset name.
	Dataset string `json:"dataset"`
	// Partition is the partition path.
	Partition string `json:"partition"`
	// Kind is "source" or "transform".
	Kind string `json:"kind"`
	// ContentHash is the version's content hash.
	ContentHash digest.Sum `json:"content_hash"`
	// Fingerprint is the fingerprint it was committed with.
	Fingerprint digest.Sum `json:"fingerprint"`
	// Rows is the number of rows.
	Rows int64 `json:"rows"`
	// Bytes is the size of its files.
	Bytes int64 `json:"bytes"`
	// Files are its data files with their BLAKE3 hashes.
	Files []File `json:"files,omitempty"`
	// Schema is its schema.
	Schema []Field `json:"schema,omitempty"`
	// Operation is the source or transform that produced it (without
	// config: see the run record).
	Operation Operation `json:"operation"`
	// Inputs are the input partitions it was computed from.
	Inputs []Input `json:"inputs,omitempty"`
	// SourceState is the source checkpoint committed with it, if any.
	SourceState json.RawMessage `json:"source_state,omitempty"`
	// Pipeline and RunID name the run that committed it.
	Pipeline string `json:"pipeline"`
	// RunID is the id of the run that committed it.
	RunID string `json:"run_id"`
	// Committed is when the node finished (wall clock, UTC).
	Committed time.Time `json:"committed"`
	// Current reports whether it is the partition's committed version now.
	Current bool `json:"current"`
}

// history is every committed version known to the store, by dataset.
type history map[string][]DatasetVersion

// history reads every run summary and collects the computed node runs.
func (c *Catalog) history(ctx context.Context) (history, error) {
	runs, err := c.allRuns(ctx)
	if err != nil {
		return nil, err
	}
	h := history{}
	for _, r := range runs {
		for _, n := range r.Nodes {
			if n.Status != "computed" {
				continue
			}
			h[n.Node] = append(h[n.Node], versionOf(r, &n))
		}
	}
	return h, nil
}

func versionOf(r *RunRecord, n *NodeRun) DatasetVersion {
	return DatasetVersion{
		Dataset: n.Node, Partition: n.Partition, Kind: n.Kind, ContentHash: n.ContentHash, Fingerprint: n.Fingerprint,
		Rows: n.Rows, Bytes: n.Bytes, Files: n.Files, Schema: n.Schema, Operation: n.Operation,
		Inputs: n.Inputs, SourceState: compactJSON(n.SourceState), Pipeline: r.Pipeline, RunID: r.RunID,
		Committed: n.Started.Add(time.Duration(n.DurationMS * float64(time.Millisecond))),
	}
}

// find returns the newest version of a partition with the given content hash
// (and fingerprint, unless zero).
func (h history) find(dataset, partition string, content, fp digest.Sum) (DatasetVersion, bool) {
	vs := h[dataset]
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if v.Partition == partition && v.ContentHash == content && (fp.IsZero() || v.Fingerprint == fp) {
			return v, true
		}
	}
	return DatasetVersion{}, false
}

// Versions returns the committed versions of a dataset that the run records
// know, by partition and then commit order, marking the ones that are
// committed now. Versions committed by runs whose records are gone are not
// listed.
func (c *Catalog) Versions(ctx context.Context, dataset string) ([]DatasetVersion, error) {
	if err := CheckDataset(dataset); err != nil {
		return nil, err
	}
	h, err := c.history(ctx)
	if err != nil {
		return nil, err
	}
	vs := slices.Clone(h[dataset])
	slices.SortStableFunc(vs, func(a, b DatasetVersion) int { return cmp.Compare(a.Partition, b.Partition) })
	current := map[string]*Manifest{}
	for i := range vs {
		v := &vs[i]
		m, ok := current[v.Partition]
		if !ok {
			m, err = ReadManifest(c.lake, dataset, v.Partition)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			current[v.Partition] = m
		}
		v.Current = m != nil && m.ContentHash == v.ContentHash && m.Fingerprint == v.Fingerprint
	}
	// Only the newest of identical commits is current.
	for i := range vs {
		for j := i + 1; j < len(vs) && vs[j].Partition == vs[i].Partition; j++ {
			if vs[j].Current {
				vs[i].Current = false
				break
			}
		}
	}
	return vs, nil
}
