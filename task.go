package kiln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/lineage"
)

// taskInput is one input of a task: the upstream tasks it maps to.
type taskInput struct {
	in      PlanInput
	tasks   []*task
	current *task // the upstream task of the task's own partition
}

// task computes one node for one partition.
type task struct {
	r        *runner
	node     *PlanNode
	part     Partition
	owner    int
	required bool
	inputs   []taskInput
	after    *task // for sequential sources: the previous partition's task
	done     chan struct{}
	refs     atomic.Int32 // consumers that have not used the output yet

	// Set before done is closed.
	status      Status
	err         error
	fp          digest.Sum
	content     digest.Sum
	committed   digest.Sum
	rows        int64
	manifest    *Manifest
	used        []lineage.Input
	checks      []CheckResult
	quarantined int64
	rejected    int64
	extra       map[string]json.RawMessage
	started     time.Time
	dur         time.Duration
	released    bool

	dataMu sync.Mutex
	data   arrow.Table
}

func (t *task) nodeErr(err error) error {
	return &NodeError{Pipeline: t.r.p.name, Node: t.node.Name, Partition: t.part, Err: err}
}

func (t *task) fail(err error) {
	t.status, t.err = StatusFailed, t.nodeErr(err)
}

func (t *task) logger() *slog.Logger {
	return t.r.p.logger.With("pipeline", t.r.p.name, "run_id", t.r.runIDs[t.owner], "node", t.node.Name, "partition", t.part.String())
}

// exec runs the task once its inputs are done.
func (t *task) exec(ctx context.Context) {
	defer close(t.done)
	defer t.releaseInputs()
	if !t.wait(ctx) || !t.gatherInputs() {
		// The node never ran; listeners still hear how it ended.
		t.r.notifyFinished(t)
		return
	}
	t.started = time.Now().UTC()
	if t.node.sequential() {
		// Runs of this pipeline in other goroutines wait their turn too.
		mu := t.r.p.sequentialLock(t.node.Name)
		mu.Lock()
		defer mu.Unlock()
	}
	t.r.notifyStarted(t)
	t.run(ctx)
	t.dur = time.Since(t.started)
	t.r.notifyFinished(t)
	log := t.logger()
	switch t.status {
	case StatusFailed:
		log.Error("node failed", "err", t.err)
	case StatusComputed, StatusUnchanged, StatusVerified, StatusMismatch:
		log.Info("node "+string(t.status), "rows", t.rows, "content", t.content.Short(), "duration", t.dur)
	default:
		log.Debug("node "+string(t.status), "rows", t.rows)
	}
}

// wait blocks until the task's inputs (and, for a sequential node, its
// previous partition) are done. It reports false, with the task's status
// set, when the task cannot run: the run was cancelled or the previous
// partition of a sequential node did not land.
func (t *task) wait(ctx context.Context) bool {
	for _, in := range t.inputs {
		for _, u := range in.tasks {
			select {
			case <-u.done:
			case <-ctx.Done():
				t.status, t.err = StatusSkipped, t.nodeErr(ctx.Err())
				return false
			}
		}
	}
	if t.after != nil {
		select {
		case <-t.after.done:
		case <-ctx.Done():
		}
		if s := t.after.status; s == StatusFailed || s == StatusSkipped {
			t.status = StatusSkipped
			t.err = t.nodeErr(fmt.Errorf("%w: %s partition %s must land first", ErrUpstream, t.node.Name, t.after.part))
			return false
		}
	}
	if err := ctx.Err(); err != nil {
		t.status, t.err = StatusSkipped, t.nodeErr(err)
		return false
	}
	return true
}

// gatherInputs checks the upstream outcomes and records the inputs used. It
// reports false when the task cannot run (and has set its status).
func (t *task) gatherInputs() bool {
	for _, in := range t.inputs {
		for _, u := range in.tasks {
			if u.status == StatusFailed || u.status == StatusSkipped {
				t.status = StatusSkipped
				t.err = t.nodeErr(fmt.Errorf("%w: %s partition %s", ErrUpstream, u.node.Name, u.part))
				return false
			}
		}
		if in.current.status == StatusAbsent {
			t.status = StatusAbsent
			return false
		}
	}
	for _, in := range t.inputs {
		for _, u := range in.tasks {
			if u.status == StatusAbsent {
				continue
			}
			t.used = append(t.used, lineage.Input{Dataset: u.node.Name, Partition: u.part.String(), Mapping: in.in.Mapping, ContentHash: u.content})
		}
	}
	return true
}

// run decides between cache and compute, and computes.
func (t *task) run(ctx context.Context) {
	r, n := t.r, t.node
	c := t.newContext(ctx)
	var m *Manifest
	if r.mode == modeRun || r.mode == modeVerify {
		var err error
		if m, err = r.readManifest(n.Name, t.part); err != nil {
			t.logger().Warn("ignoring unreadable manifest; recomputing", "err", err)
			m = nil
		}
	}

	// The fingerprint before reading: complete for transforms and for
	// sources that can name their version.
	token, hasToken := "", n.Kind == "transform"
	if n.Kind == "source" {
		if v, ok := n.node.source.(SourceVersioner); ok {
			err := safeCall(func() (err error) { token, err = v.SourceVersion(c); return err })
			if errors.Is(err, ErrNoPartition) {
				t.absentSource(c, m)
				return
			}
			if err != nil {
				t.fail(fmt.Errorf("source version: %w", err))
				return
			}
			hasToken = true
		}
	}
	base := t.fingerprint(token, hasToken, nil)
	c.seed = base
	if hasToken {
		t.fp = base
		if r.mode == modeRun && !r.cfg.force && m != nil && m.Fingerprint == t.fp && r.filesPresent(n.Name, t.part, m) {
			t.status, t.manifest, t.content, t.rows, t.checks = StatusCached, m, m.ContentHash, m.Rows, m.Checks
			t.exportCached(c)
			return
		}
	}

	if err := r.sem.acquire(ctx, t.owner, n.index); err != nil {
		t.status, t.err = StatusSkipped, t.nodeErr(err)
		return
	}
	defer r.sem.release()

	out, err := t.compute(c)
	t.releaseInputs()
	if n.Kind == "source" && errors.Is(err, ErrNoPartition) {
		t.absentSource(c, m)
		return
	}
	if err != nil {
		t.fail(err)
		return
	}
	if !arrowx.SchemaEqual(n.Schema, out.Schema()) {
		t.fail(fmt.Errorf("%w: output differs from the planned schema:\n%s", ErrSchemaMismatch, arrowx.SchemaDiff(n.Schema, out.Schema())))
		return
	}
	out = arrowx.WithSchema(out, n.Schema) // drop metadata the plan does not promise
	if n.Kind == "source" {
		if err := t.checkSourceSchema(c, out.Schema()); err != nil {
			t.fail(err)
			return
		}
	}
	passed, quarantine, err := t.applyChecks(c, out)
	if err != nil {
		t.fail(err)
		return
	}
	if t.content, err = digest.Table(passed); err != nil {
		t.fail(fmt.Errorf("content hash: %w", err))
		return
	}
	t.rows = passed.NumRows()
	if !hasToken {
		t.fp = t.fingerprint("", false, &t.content)
	}
	t.extra = c.extra

	if r.mode == modeVerify {
		t.setData(passed)
		if m == nil {
			t.status, t.err = StatusMismatch, t.nodeErr(errors.New("verify: no committed partition to compare with"))
			return
		}
		t.committed, t.manifest = m.ContentHash, m
		if m.ContentHash == t.content {
			t.status = StatusVerified
		} else {
			t.status = StatusMismatch
			t.err = t.nodeErr(fmt.Errorf("verify: recomputed content %s differs from committed %s", t.content.Short(), m.ContentHash.Short()))
		}
		return
	}
	if !r.cfg.force && m != nil && m.Fingerprint == t.fp && m.ContentHash == t.content && r.filesPresent(n.Name, t.part, m) {
		t.status, t.manifest, t.checks = StatusUnchanged, m, m.Checks
		t.setData(passed)
		t.exportCached(c)
		return
	}

	man := t.newManifest(c)
	if n.Kind == "source" {
		if err := t.commitRejected(ctx, c.rejects); err != nil {
			t.fail(err)
			return
		}
	}
	if quarantine != nil {
		if err := t.commitQuarantine(ctx, quarantine); err != nil {
			t.fail(err)
			return
		}
	}
	// The same content under a new fingerprint (a new source version or
	// transform version, new config, changed inputs): the committed data
	// files already hold it, so only the manifest is committed anew.
	kept, cerr := false, error(nil)
	if !r.cfg.force && m != nil && m.ContentHash == t.content && r.filesPresent(n.Name, t.part, m) {
		kept, cerr = r.commitKept(ctx, n.Name, t.part, m, man)
	}
	if !kept && cerr == nil {
		cerr = r.commit(ctx, n.Name, t.part, passed, man)
	}
	if cerr != nil {
		if ctx.Err() != nil {
			t.status, t.err = StatusSkipped, t.nodeErr(cerr)
		} else {
			t.fail(fmt.Errorf("commit: %w", cerr))
		}
		return
	}
	t.status, t.manifest = StatusComputed, man
	t.setData(passed)
	if kept {
		t.status = StatusUnchanged
		t.exportCached(c)
		return
	}
	for i, s := range n.node.sinks {
		if err := safeCall(func() error { return s.Write(c, passed, man) }); err != nil {
			t.err = t.nodeErr(fmt.Errorf("sink %s: %w", n.Sinks[i].Name, err))
			return
		}
	}
}

// absentSource handles a source that no longer has the partition. If it was
// landed before, the landed copy stands (raw files are often deleted after
// landing; bronze keeps them): the node counts as cached. Otherwise the
// partition is absent.
func (t *task) absentSource(c *Context, m *Manifest) {
	if t.r.mode == modeRun && m != nil && t.r.filesPresent(t.node.Name, t.part, m) {
		c.Logger().Info("source no longer has the partition; keeping the landed copy")
		t.status, t.manifest, t.fp, t.content, t.rows, t.checks = StatusCached, m, m.Fingerprint, m.ContentHash, m.Rows, m.Checks
		return
	}
	t.status = StatusAbsent
}

// compute reads the source or applies the transform to the loaded inputs.
func (t *task) compute(c *Context) (arrow.Table, error) {
	n := t.node
	var out arrow.Table
	if n.Kind == "source" {
		err := safeCall(func() (err error) { out, err = n.node.source.Read(c); return err })
		if errors.Is(err, ErrNoPartition) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", n.Op.Name, err)
		}
	} else {
		ins := make([]arrow.Table, len(t.inputs))
		for i, in := range t.inputs {
			tbl, err := t.inputTable(c, in)
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", in.in.Node, err)
			}
			if t.takeInput(in) {
				tbl = arrowx.Own(tbl)
			}
			ins[i] = tbl
		}
		err := safeCall(func() (err error) { out, err = n.node.transform.Apply(c, ins); return err })
		if err != nil {
			return nil, fmt.Errorf("transform %s: %w", n.Op.Name, err)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("%s %s returned no table", n.Kind, n.Op.Name)
	}
	return out, nil
}

// inputTable returns the data of one input: the upstream table, or for a
// lookback the present partitions concatenated oldest first.
func (t *task) inputTable(ctx context.Context, in taskInput) (arrow.Table, error) {
	var parts []arrow.Table
	for _, u := range in.tasks {
		if u.status == StatusAbsent {
			continue
		}
		tbl, err := u.table(ctx)
		if err != nil {
			return nil, err
		}
		parts = append(parts, tbl)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return arrowx.Concat(in.in.node.Schema, parts)
}

// table returns the task's output, loading it from the lake if it is not in
// memory (a cached node).
func (t *task) table(ctx context.Context) (arrow.Table, error) {
	t.dataMu.Lock()
	defer t.dataMu.Unlock()
	if t.data != nil {
		return t.data, nil
	}
	if t.manifest == nil {
		return nil, fmt.Errorf("%s partition %s: no data", t.node.Name, t.part)
	}
	tbl, err := t.r.load(ctx, t.node, t.part, t.manifest)
	if err != nil {
		return nil, err
	}
	if t.refs.Load() > 0 {
		t.data = tbl
	}
	return tbl, nil
}

// setData keeps the output in memory while consumers still need it.
func (t *task) setData(tbl arrow.Table) {
	if t.refs.Load() > 0 {
		t.dataMu.Lock()
		t.data = tbl
		t.dataMu.Unlock()
	}
}

// takeInput hands the input's data over to this task when it is the last
// consumer of every upstream partition in it: the upstream tasks forget
// their tables, so a transform that knows arrowx.Owned can free the input
// column by column as it works. It reports whether it did.
func (t *task) takeInput(in taskInput) bool {
	for _, u := range in.tasks {
		if u.status != StatusAbsent && u.refs.Load() != 1 {
			return false // another consumer still needs it (or this one twice)
		}
	}
	for _, u := range in.tasks {
		u.dataMu.Lock()
		u.data = nil
		u.dataMu.Unlock()
	}
	return true
}

// releaseInputs tells the inputs this task no longer needs them.
func (t *task) releaseInputs() {
	if t.released {
		return
	}
	t.released = true
	for _, in := range t.inputs {
		for _, u := range in.tasks {
			if u.refs.Add(-1) == 0 {
				u.dataMu.Lock()
				u.data = nil
				u.dataMu.Unlock()
			}
		}
	}
}

// exportCached gives sinks that lack the partition a copy of a cached or
// unchanged node's output.
func (t *task) exportCached(c *Context) {
	for i, s := range t.node.node.sinks {
		if sc, ok := s.(SinkChecker); ok {
			cur := false
			if err := safeCall(func() (err error) { cur, err = sc.Current(c, t.manifest); return err }); err != nil {
				t.err = t.nodeErr(fmt.Errorf("sink %s: %w", t.node.Sinks[i].Name, err))
				return
			}
			if cur {
				continue
			}
		}
		tbl, err := t.table(c)
		if err != nil {
			t.err = t.nodeErr(fmt.Errorf("sink %s: %w", t.node.Sinks[i].Name, err))
			return
		}
		if err := safeCall(func() error { return s.Write(c, tbl, t.manifest) }); err != nil {
			t.err = t.nodeErr(fmt.Errorf("sink %s: %w", t.node.Sinks[i].Name, err))
			return
		}
	}
}

// fingerprint hashes what determines the task's output. Sources that cannot
// name a version are fingerprinted by their content instead.
func (t *task) fingerprint(token string, hasToken bool, content *digest.Sum) digest.Sum {
	n := t.node
	b := digest.NewBuilder("kiln.fingerprint.v1").
		String("kind", n.Kind).String("node", n.Name).String("partition", t.part.String()).
		String("op", n.op.Name).String("op_version", n.op.Version).Sum("op_config", n.op.ConfigHash)
	if t.part.Grain().Duration() == 0 {
		b.String("logical_time", t.r.cfg.logical.Format(time.RFC3339Nano))
	}
	for _, c := range n.checkOps {
		b.String("check", c.Name).String("check_version", c.Version).Sum("check_config", c.ConfigHash)
	}
	for _, in := range t.used {
		b.String("input", in.Dataset).String("input_partition", in.Partition).String("input_mapping", in.Mapping).Sum("input_content", in.ContentHash)
	}
	if hasToken {
		b.String("source_version", token)
	}
	if content != nil {
		b.Sum("source_content", *content)
	}
	return b.Digest()
}

func (t *task) newContext(ctx context.Context) *Context {
	r := t.r
	logical := t.part.End()
	if t.part.Grain().Duration() == 0 {
		logical = r.cfg.logical
	}
	c := &Context{
		Context:  ctx,
		pipeline: r.p.name,
		node:     t.node.Name,
		part:     t.part,
		logical:  logical,
		log:      t.logger(),
		mem:      memory.DefaultAllocator,
	}
	c.prev = func() (*Manifest, error) { return r.neighbor(t.node.Name, t.part, -1) }
	c.next = func() (*Manifest, error) { return r.neighbor(t.node.Name, t.part, +1) }
	c.lookup = r.readManifest
	return c
}

func (t *task) newManifest(c *Context) *Manifest {
	n := t.node
	return &Manifest{
		Format:      lineage.ManifestFormat,
		Pipeline:    t.r.p.name,
		Dataset:     n.Name,
		Partition:   t.part.String(),
		Kind:        n.Kind,
		Fingerprint: t.fp,
		ContentHash: t.content,
		Rows:        t.rows,
		Schema:      n.fields,
		Inputs:      t.used,
		Operation:   n.op,
		CheckSpecs:  n.checkOps,
		Checks:      t.checks,
		SourceState: c.state,
		Extra:       c.extra,
		Build:       lineage.CurrentBuild(),
	}
}

func schemaFields(s *arrow.Schema) []lineage.Field {
	out := make([]lineage.Field, s.NumFields())
	for i, f := range s.Fields() {
		typ, err := digest.CanonicalType(f.Type)
		if err != nil {
			typ = f.Type.String()
		}
		out[i] = lineage.Field{Name: f.Name, Type: typ, Nullable: f.Nullable}
	}
	return out
}

func (t *task) result() NodeResult {
	nr := NodeResult{
		Node: t.node.Name, Kind: t.node.Kind, Partition: t.part, Status: t.status,
		Rows: t.rows, Fingerprint: t.fp, ContentHash: t.content, Committed: t.committed,
		Inputs: t.used, Checks: t.checks, Quarantined: t.quarantined, Rejected: t.rejected, Duration: t.dur, Err: t.err,
	}
	if t.manifest != nil && t.r.mode == modeRun {
		nr.Files, nr.Bytes = t.manifest.Files, t.manifest.Bytes()
	}
	return nr
}
