package lineage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// IndexDir is where LakeStore keeps its run index, relative to the lake
// root: <lake>/_lineage/index/<pipeline>.jsonl.
const IndexDir = "_lineage/index"

// LakeStore is the default Store: run records as files in the lake, the
// same files the engine writes (<lake>/_lineage/runs/<pipeline>/<run id>.json,
// one per run, written once by an atomic rename), plus an index of run
// summaries per pipeline (<lake>/_lineage/index/<pipeline>.jsonl) so that
// queries do not parse every record.
//
// Why this layout: runs of different partitions may run at the same time in
// different processes. One file per run never collides and needs no lock;
// the index is only a cache of those files. It is appended with O_APPEND,
// one write of whole lines at a time, so concurrent appenders do not
// overwrite each other; a reader skips any line it cannot parse (a write cut
// short by a crash) and keys lines by run id, so a run indexed twice counts
// once. On every query the store lists the run files, indexes those the
// index lacks (whoever wrote them: the engine, PutRun, or a copy from
// elsewhere) and forgets index lines whose file is gone. Deleting the index
// is always safe: it is rebuilt on the next query (see Reindex).
//
// A LakeStore caches what it has read; it is safe for concurrent use.
type LakeStore struct {
	root string

	mu    sync.Mutex
	pipes map[string]*pipeIndex
}

type pipeIndex struct {
	offset int64                 // bytes of the index file consumed, through its last newline
	runs   map[string]*RunRecord // summaries by run id
}

// NewLakeStore returns the store of the lake at lakeRoot.
func NewLakeStore(lakeRoot string) *LakeStore {
	return &LakeStore{root: lakeRoot, pipes: map[string]*pipeIndex{}}
}

func (s *LakeStore) runsDir(pipeline string) string {
	return filepath.Join(s.root, filepath.FromSlash(RunsDir), pipeline)
}

func (s *LakeStore) indexPath(pipeline string) string {
	return filepath.Join(s.root, filepath.FromSlash(IndexDir), pipeline+".jsonl")
}

// PutRun implements Store: it writes the run record file (as the engine
// does) and appends its summary to the index. A failure to append is not
// an error: the next query indexes the file.
func (s *LakeStore) PutRun(_ context.Context, r *RunRecord) error {
	if err := checkName("pipeline", r.Pipeline); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(s.runsDir(r.Pipeline), r.RunID+".json")); err == nil {
		return nil // immutable: keep the first
	}
	if _, err := WriteRunRecord(s.root, r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summarize(r)
	if pi := s.pipes[r.Pipeline]; pi != nil {
		pi.runs[r.RunID] = sum
	}
	_ = s.appendIndex(r.Pipeline, []*RunRecord{sum})
	return nil
}

// Pipelines implements Store: the folders under <lake>/_lineage/runs.
func (s *LakeStore) Pipelines(context.Context) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(RunsDir)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lineage: list pipelines: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "_") {
			out = append(out, e.Name())
		}
	}
	return out, nil // ReadDir sorts by name
}

// Runs implements Store. It returns summaries (see Summarize), indexing the
// run files the index lacks.
func (s *LakeStore) Runs(ctx context.Context, pipeline string) ([]*RunRecord, error) {
	if err := checkName("pipeline", pipeline); err != nil {
		return nil, err
	}
	ids, err := s.listRuns(pipeline)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.pipes[pipeline]
	if pi == nil {
		pi = &pipeIndex{runs: map[string]*RunRecord{}}
		s.pipes[pipeline] = pi
	}
	if err := pi.read(s.indexPath(pipeline)); err != nil {
		return nil, err
	}
	var fresh []*RunRecord
	out := make([]*RunRecord, 0, len(ids))
	for _, id := range ids {
		sum, ok := pi.runs[id]
		if !ok {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r, err := ReadRunRecord(filepath.Join(s.runsDir(pipeline), id+".json"))
			if err != nil {
				return nil, err
			}
			sum = Summarize(r)
			pi.runs[id] = sum
			fresh = append(fresh, sum)
		}
		out = append(out, sum)
	}
	if len(fresh) > 0 {
		_ = s.appendIndex(pipeline, fresh) // a cache: failing to extend it is harmless
	}
	sortRuns(out)
	return out, nil
}

// Run implements Store: it looks for <run id>.json under every pipeline.
func (s *LakeStore) Run(ctx context.Context, runID string) (*RunRecord, error) {
	if err := checkName("run id", runID); err != nil {
		return nil, err
	}
	pipes, err := s.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pipes {
		path := filepath.Join(s.runsDir(p), runID+".json")
		if _, err := os.Stat(path); err == nil {
			return ReadRunRecord(path)
		}
	}
	return nil, fmt.Errorf("lineage: run %s: %w", runID, ErrNotFound)
}

// Reindex rewrites a pipeline's index from its run files (atomically:
// write a temporary file, then rename). Queries never need it; it compacts
// an index that grew duplicate or broken lines. An append racing with it
// may be lost, and is redone by the next query.
func (s *LakeStore) Reindex(ctx context.Context, pipeline string) error {
	if err := checkName("pipeline", pipeline); err != nil {
		return err
	}
	ids, err := s.listRuns(pipeline)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	pi := &pipeIndex{runs: map[string]*RunRecord{}}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := ReadRunRecord(filepath.Join(s.runsDir(pipeline), id+".json"))
		if err != nil {
			return err
		}
		sum := Summarize(r)
		pi.runs[id] = sum
		if err := appendLine(&buf, sum); err != nil {
			return err
		}
	}
	path := s.indexPath(pipeline)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("lineage: reindex %s: %w", pipeline, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+pipeline+"-*")
	if err != nil {
		return fmt.Errorf("lineage: reindex %s: %w", pipeline, err)
	}
	_, werr := tmp.Write(buf.Bytes())
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lineage: reindex %s: %w", pipeline, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lineage: reindex %s: %w", pipeline, err)
	}
	pi.offset = int64(buf.Len())
	s.mu.Lock()
	s.pipes[pipeline] = pi
	s.mu.Unlock()
	return nil
}

// listRuns returns the run ids with a record file, sorted.
func (s *LakeStore) listRuns(pipeline string) ([]string, error) {
	entries, err := os.ReadDir(s.runsDir(pipeline))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lineage: list runs of %s: %w", pipeline, err)
	}
	var ids []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") {
			continue
		}
		ids = append(ids, strings.TrimSuffix(n, ".json"))
	}
	return ids, nil
}

// read consumes the index lines appended since the last read. Lines that do
// not parse are skipped: their runs are indexed again from the files.
func (pi *pipeIndex) read(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		pi.offset = 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("lineage: read run index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("lineage: read run index: %w", err)
	}
	if st.Size() < pi.offset { // replaced by Reindex or deleted and regrown
		pi.offset = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, pi.offset, st.Size()-pi.offset))
	if err != nil {
		return fmt.Errorf("lineage: read run index %s: %w", path, err)
	}
	end := bytes.LastIndexByte(b, '\n') + 1
	for line := range bytes.SplitSeq(b[:end], []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r RunRecord
		if json.Unmarshal(line, &r) != nil || r.RunID == "" || r.Format < 1 || r.Format > RunFormat {
			continue
		}
		if _, ok := pi.runs[r.RunID]; !ok {
			pi.runs[r.RunID] = &r
		}
	}
	pi.offset += int64(end)
	return nil
}

// appendIndex appends whole lines to a pipeline's index in one write,
// starting with a newline if a crashed writer left the file without one.
func (s *LakeStore) appendIndex(pipeline string, recs []*RunRecord) error {
	path := s.indexPath(pipeline)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			buf.WriteByte('\n')
		}
	}
	for _, r := range recs {
		if err := appendLine(&buf, r); err != nil {
			return err
		}
	}
	_, err = f.Write(buf.Bytes())
	return err
}

func appendLine(buf *bytes.Buffer, r *RunRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("lineage: encode run %s: %w", r.RunID, err)
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return nil
}

// checkName refuses names that could escape a directory.
func checkName(what, s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") {
		return fmt.Errorf("lineage: %s %q is not a valid name", what, s)
	}
	return nil
}
