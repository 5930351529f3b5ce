package kiln

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kiln-data/kiln/internal/gctune"
	"github.com/kiln-data/kiln/internal/lake"
	"github.com/kiln-data/kiln/lineage"
)

// RunOption configures Run, Backfill and Verify.
type RunOption func(*runConfig)

type runConfig struct {
	force    bool
	parallel int
	logical  time.Time
	targets  []string
	hooks    *lake.Hooks // test hooks between commit steps
}

// Force recomputes every node even when its committed partition has the same
// fingerprint.
func Force() RunOption { return func(c *runConfig) { c.force = true } }

// Parallel sets how many node partitions may compute at once (default
// GOMAXPROCS). It bounds memory as well as CPU. It never changes results.
func Parallel(n int) RunOption {
	return func(c *runConfig) {
		if n > 0 {
			c.parallel = n
		}
	}
}

// LogicalTime sets the logical time of runs for partitions without time
// (All and static partitions). Time partitions always use their end.
func LogicalTime(t time.Time) RunOption { return func(c *runConfig) { c.logical = t.UTC() } }

// Targets limits the run to the named nodes and everything upstream of them.
func Targets(nodes ...string) RunOption {
	return func(c *runConfig) { c.targets = append(c.targets, nodes...) }
}

// Run computes every node of the pipeline for partition part, reusing
// committed partitions whose fingerprint is unchanged, and commits what it
// computes. Nodes that do not depend on each other run concurrently.
//
// The returned Result is never nil; the error is the Result's Err: nil when
// every node succeeded, otherwise the failures joined (each a *NodeError).
// When ctx is cancelled, the run stops promptly and commits nothing more.
func (p *Pipeline) Run(ctx context.Context, part Partition, opts ...RunOption) (*Result, error) {
	b, _, err := p.execute(ctx, []Partition{part}, modeRun, opts)
	if b == nil || len(b.Runs) == 0 {
		return &Result{Pipeline: p.name, Partition: part, Err: err}, err
	}
	return b.Runs[0], b.Runs[0].Err
}

// Backfill runs the pipeline for each partition, with bounded concurrency
// (see Parallel) and earlier partitions first. Each partition commits or
// fails on its own; a rerun resumes, since committed partitions are cache
// hits. The error joins the failed partitions' errors.
func (p *Pipeline) Backfill(ctx context.Context, parts []Partition, opts ...RunOption) (*BackfillResult, error) {
	b, _, err := p.execute(ctx, parts, modeRun, opts)
	if b == nil {
		return &BackfillResult{}, err
	}
	return b, b.Err()
}

type runMode int

const (
	modeRun runMode = iota
	modeVerify
)

// runner executes a task graph: one task per (node, partition) needed by the
// requested partitions.
type runner struct {
	p       *Pipeline
	plan    *Plan
	cfg     runConfig
	mode    runMode
	targets []Partition
	runIDs  []string
	heads   []*lineage.RunRecord // run headers given to listeners
	sem     *prioSem
	staging string

	mu    sync.Mutex
	tasks map[taskKey]*task
	order []*task
}

type taskKey struct {
	node string
	part Partition
}

func (p *Pipeline) execute(ctx context.Context, parts []Partition, mode runMode, opts []RunOption) (*BackfillResult, *Plan, error) {
	cfg := runConfig{parallel: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	if len(parts) == 0 {
		return nil, nil, fmt.Errorf("%w: no partitions to run", ErrPlan)
	}
	seen := map[Partition]bool{}
	for _, pt := range parts {
		if seen[pt] {
			return nil, nil, fmt.Errorf("%w: partition %s listed twice", ErrPlan, pt)
		}
		seen[pt] = true
	}
	plan, err := p.Plan(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer gctune.Enter(p.gcPercent)()
	r := &runner{
		p: p, plan: plan, cfg: cfg, mode: mode,
		targets: slices.Clone(parts),
		sem:     newPrioSem(cfg.parallel),
		staging: filepath.Join(p.lake, filepath.FromSlash(lake.StagingDir)),
		tasks:   map[taskKey]*task{},
	}
	nodes, err := r.selectNodes()
	if err != nil {
		return nil, nil, err
	}
	for i := range parts {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, nil, fmt.Errorf("kiln: new run id: %w", err)
		}
		r.runIDs = append(r.runIDs, id.String())
		for _, n := range nodes {
			r.task(n, r.partitionOf(n, parts[i]), i, true)
		}
	}
	r.orderSequential()
	started := time.Now().UTC()
	if mode == modeRun {
		for i, part := range parts {
			h := &lineage.RunRecord{Format: lineage.RunFormat, RunID: r.runIDs[i], Pipeline: p.name,
				Partition: part.String(), Started: started, Build: lineage.CurrentBuild()}
			r.heads = append(r.heads, h)
			for _, l := range p.listeners {
				l.RunStarted(h)
			}
		}
	}
	var wg sync.WaitGroup
	for _, t := range r.order {
		wg.Go(func() { t.exec(ctx) })
	}
	wg.Wait()
	return r.results(ctx, started), plan, nil
}

// selectNodes returns the planned nodes to run: all, or the targets and
// their upstream.
func (r *runner) selectNodes() ([]*PlanNode, error) {
	if len(r.cfg.targets) == 0 {
		return r.plan.Nodes, nil
	}
	want := map[*PlanNode]bool{}
	var mark func(n *PlanNode)
	mark = func(n *PlanNode) {
		if want[n] {
			return
		}
		want[n] = true
		for _, in := range n.Inputs {
			mark(in.node)
		}
	}
	for _, name := range r.cfg.targets {
		n := r.plan.Node(name)
		if n == nil {
			return nil, fmt.Errorf("%w: target %q is not a node of pipeline %q", ErrPlan, name, r.p.name)
		}
		mark(n)
	}
	var out []*PlanNode
	for _, n := range r.plan.Nodes {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

func (r *runner) partitionOf(n *PlanNode, p Partition) Partition {
	if !n.Partitioned {
		return All
	}
	return p
}

// task returns the task for (n, part), creating it and its input tasks.
// owner is the index of the requested partition whose run record lists it.
func (r *runner) task(n *PlanNode, part Partition, owner int, required bool) *task {
	key := taskKey{n.Name, part}
	if t, ok := r.tasks[key]; ok {
		if required && !t.required {
			t.markRequired(owner)
		}
		return t
	}
	t := &task{r: r, node: n, part: part, owner: owner, required: required, done: make(chan struct{})}
	r.tasks[key] = t
	for _, in := range n.Inputs {
		ti := taskInput{in: in}
		switch in.mapping {
		case mapSame:
			ti.tasks = []*task{r.task(in.node, part, owner, required)}
			ti.current = ti.tasks[0]
		case mapWhole:
			ti.tasks = []*task{r.task(in.node, All, owner, required)}
			ti.current = ti.tasks[0]
		case mapLookback:
			win := windowParts(part, in.Window)
			for i, wp := range win {
				last := i == len(win)-1
				u := r.task(in.node, wp, owner, required && last)
				ti.tasks = append(ti.tasks, u)
				if last {
					ti.current = u
				}
			}
		}
		for _, u := range ti.tasks {
			u.refs.Add(1)
		}
		t.inputs = append(t.inputs, ti)
	}
	r.order = append(r.order, t)
	return t
}

// orderSequential chains the tasks of each sequential node in partition
// order, so each runs after the previous one committed.
func (r *runner) orderSequential() {
	byNode := map[*PlanNode][]*task{}
	for _, t := range r.order {
		if t.node.sequential() {
			byNode[t.node] = append(byNode[t.node], t)
		}
	}
	for _, ts := range byNode {
		slices.SortFunc(ts, func(a, b *task) int { return a.part.Compare(b.part) })
		for i := 1; i < len(ts); i++ {
			ts[i].after = ts[i-1]
		}
	}
}

// markRequired records that t belongs to a requested partition: its absence
// is an error, and so is the absence of what it reads of the same partition.
func (t *task) markRequired(owner int) {
	if t.required {
		return
	}
	t.required, t.owner = true, owner
	for _, in := range t.inputs {
		in.current.markRequired(owner)
	}
}

func (r *runner) datasetDir(name string) string { return DatasetDir(r.p.lake, name) }

func (r *runner) partitionDir(name string, part Partition) string {
	return PartitionDir(r.p.lake, name, part)
}

// results assembles one Result per requested partition and writes the run
// records.
func (r *runner) results(ctx context.Context, started time.Time) *BackfillResult {
	finished := time.Now().UTC()
	out := &BackfillResult{}
	byOwner := make([][]*task, len(r.targets))
	for _, t := range r.order {
		byOwner[t.owner] = append(byOwner[t.owner], t)
	}
	for i, part := range r.targets {
		tasks := byOwner[i]
		slices.SortStableFunc(tasks, func(a, b *task) int {
			if a.node.index != b.node.index {
				return a.node.index - b.node.index
			}
			return a.part.Compare(b.part)
		})
		res := &Result{RunID: r.runIDs[i], Pipeline: r.p.name, Partition: part, Started: started, Duration: finished.Sub(started)}
		var errs, upstream []error
		for _, t := range tasks {
			nr := t.result()
			if t.required && t.status == StatusAbsent {
				nr.Status = StatusFailed
				nr.Err = &NodeError{Pipeline: r.p.name, Node: t.node.Name, Partition: t.part,
					Err: fmt.Errorf("%w: the source has no data for this partition", ErrNoPartition)}
			}
			// A node skipped for an upstream failure is reported only when
			// the failure itself belongs to another partition's run.
			switch {
			case nr.Err == nil:
			case nr.Status == StatusSkipped && errors.Is(nr.Err, ErrUpstream):
				upstream = append(upstream, nr.Err)
			default:
				errs = append(errs, nr.Err)
			}
			res.Nodes = append(res.Nodes, nr)
		}
		if len(errs) == 0 && len(upstream) > 0 {
			errs = upstream[:1]
		}
		res.Err = errors.Join(errs...)
		if r.mode == modeRun {
			rec := r.record(res, finished, ctx.Err())
			path, err := lineage.WriteRunRecord(r.p.lake, rec)
			if err != nil {
				r.p.logger.Error("write run record", "pipeline", r.p.name, "run_id", res.RunID, "err", err)
				res.Err = errors.Join(res.Err, err)
			}
			res.RecordPath = path
			for _, l := range r.p.listeners {
				l.RunFinished(rec)
			}
		}
		out.Runs = append(out.Runs, res)
	}
	return out
}

func (r *runner) record(res *Result, finished time.Time, ctxErr error) *lineage.RunRecord {
	rec := &lineage.RunRecord{
		Format: lineage.RunFormat, RunID: res.RunID, Pipeline: res.Pipeline, Partition: res.Partition.String(),
		Started: res.Started, Finished: finished, Status: lineage.RunSucceeded, Build: lineage.CurrentBuild(),
	}
	switch {
	case ctxErr != nil:
		rec.Status, rec.Error = lineage.RunCancelled, ctxErr.Error()
	case res.Err != nil:
		rec.Status, rec.Error = lineage.RunFailed, res.Err.Error()
	}
	for _, n := range res.Nodes {
		t := r.tasks[taskKey{n.Node, n.Partition}]
		rec.Nodes = append(rec.Nodes, *t.nodeRun(n))
	}
	return rec
}

// nodeRun describes a task for run records and listeners. res is the task's
// result as reported (its status may differ from the task's, e.g. a
// required partition that was absent).
func (t *task) nodeRun(res NodeResult) *lineage.NodeRun {
	nr := &lineage.NodeRun{
		Node: res.Node, Partition: res.Partition.String(), Kind: res.Kind, Status: string(res.Status),
		Fingerprint: res.Fingerprint, ContentHash: res.ContentHash, Rows: res.Rows, Bytes: res.Bytes,
		Files: res.Files, Inputs: res.Inputs, Operation: t.node.op, Checks: res.Checks,
		Schema: t.node.fields, ColumnLineage: t.node.columns,
		Started: t.started, DurationMS: float64(res.Duration.Microseconds()) / 1000,
		Extra: t.extra,
	}
	if t.manifest != nil {
		nr.SourceState = t.manifest.SourceState
	}
	if res.Err != nil {
		nr.Error = res.Err.Error()
	}
	return nr
}

func (r *runner) notifyStarted(t *task) {
	if r.mode != modeRun || len(r.p.listeners) == 0 {
		return
	}
	nr := &lineage.NodeRun{Node: t.node.Name, Partition: t.part.String(), Kind: t.node.Kind, Status: "running",
		Operation: t.node.op, Inputs: t.used, Schema: t.node.fields, ColumnLineage: t.node.columns, Started: t.started}
	for _, l := range r.p.listeners {
		l.NodeStarted(r.heads[t.owner], nr)
	}
}

func (r *runner) notifyFinished(t *task) {
	if r.mode != modeRun || len(r.p.listeners) == 0 {
		return
	}
	nr := t.nodeRun(t.result())
	for _, l := range r.p.listeners {
		l.NodeFinished(r.heads[t.owner], nr)
	}
}

// sequential reports whether the node's source, transform or any of its
// checks asks for partitions to run in order.
func (n *PlanNode) sequential() bool {
	is := func(v any) bool {
		s, ok := v.(Sequential)
		return ok && s.Sequential()
	}
	if is(n.node.source) || is(n.node.transform) {
		return true
	}
	return slices.ContainsFunc(n.node.checks, func(c Check) bool { return is(c) })
}
