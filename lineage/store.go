package lineage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrNotFound is wrapped by catalog and store errors about a run, dataset or
// partition they do not know.
var ErrNotFound = errors.New("not found")

// Store keeps run records for a Catalog. The default, LakeStore, keeps them
// as files in the lake; MemStore keeps them in memory; other stores (a SQL
// table, a metadata service) implement the same four methods. A Store must
// be safe for concurrent use.
type Store interface {
	// PutRun stores a finished run's record. Records are immutable: storing
	// a run id twice keeps the first.
	PutRun(ctx context.Context, r *RunRecord) error
	// Pipelines returns the names of the pipelines with stored runs, sorted.
	Pipelines(ctx context.Context) ([]string, error)
	// Runs returns the runs of a pipeline ordered by start time, then run
	// id. The records may be summaries (see Summarize): without operation
	// configs, check results and extra facts.
	Runs(ctx context.Context, pipeline string) ([]*RunRecord, error)
	// Run returns the complete record of a run, or an error wrapping
	// ErrNotFound.
	Run(ctx context.Context, runID string) (*RunRecord, error)
}

// Summarize returns a copy of r without what catalog queries do not need
// (operation configs, check results and extra facts), as stores may keep in
// an index. Node inputs, files, schemas, column lineage and source state
// are kept.
func Summarize(r *RunRecord) *RunRecord {
	s := *r
	s.Nodes = make([]NodeRun, len(r.Nodes))
	for i, n := range r.Nodes {
		n.Operation.Config = nil
		n.Checks = nil
		n.Extra = nil
		s.Nodes[i] = n
	}
	return &s
}

// sortRuns orders runs by start time, then run id (version 7 ids sort by
// creation time too).
func sortRuns(runs []*RunRecord) {
	slices.SortFunc(runs, func(a, b *RunRecord) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return cmp.Compare(a.RunID, b.RunID)
	})
}

// MemStore is a Store in memory, for tests and short-lived programs. The
// zero value is ready to use.
type MemStore struct {
	mu   sync.Mutex
	byID map[string]*RunRecord
	runs map[string][]*RunRecord // by pipeline
}

// PutRun implements Store. It keeps a deep copy of r.
func (s *MemStore) PutRun(_ context.Context, r *RunRecord) error {
	if r.RunID == "" || r.Pipeline == "" {
		return errors.New("lineage: run record needs a run id and a pipeline")
	}
	c, err := cloneRecord(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID, s.runs = map[string]*RunRecord{}, map[string][]*RunRecord{}
	}
	if _, dup := s.byID[r.RunID]; dup {
		return nil
	}
	s.byID[r.RunID] = c
	s.runs[r.Pipeline] = append(s.runs[r.Pipeline], c)
	sortRuns(s.runs[r.Pipeline])
	return nil
}

// Pipelines implements Store.
func (s *MemStore) Pipelines(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p := range s.runs {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// Runs implements Store. The records are the stored ones: do not modify them.
func (s *MemStore) Runs(_ context.Context, pipeline string) ([]*RunRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.runs[pipeline]), nil
}

// Run implements Store.
func (s *MemStore) Run(_ context.Context, runID string) (*RunRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[runID]
	if !ok {
		return nil, fmt.Errorf("lineage: run %s: %w", runID, ErrNotFound)
	}
	return r, nil
}

func cloneRecord(r *RunRecord) (*RunRecord, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("lineage: encode run record %s: %w", r.RunID, err)
	}
	var c RunRecord
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("lineage: decode run record %s: %w", r.RunID, err)
	}
	return &c, nil
}
