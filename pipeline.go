package kiln

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kiln-data/kiln/lineage"
)

// Pipeline is a DAG of sources and transforms, with checks and sinks attached
// to its nodes. Declare it once (New, then Source, Transform, Check, Sink),
// then Plan, Run, Backfill or Verify it. Declaring is not safe for concurrent
// use; once declared, a pipeline may run concurrently for different
// partitions.
type Pipeline struct {
	name      string
	lake      string
	logger    *slog.Logger
	gcPercent int
	nodes     []*Node
	byName    map[string]*Node
	errs      []error

	listeners []lineage.Listener

	seqMu    sync.Mutex
	seqLocks map[string]*sync.Mutex // per sequential node, across concurrent runs
}

// sequentialLock returns the lock that serializes a sequential node's
// partitions across concurrent runs of this pipeline in one process.
func (p *Pipeline) sequentialLock(node string) *sync.Mutex {
	p.seqMu.Lock()
	defer p.seqMu.Unlock()
	if p.seqLocks == nil {
		p.seqLocks = map[string]*sync.Mutex{}
	}
	m := p.seqLocks[node]
	if m == nil {
		m = &sync.Mutex{}
		p.seqLocks[node] = m
	}
	return m
}

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithLake sets the lake directory where every node's output is committed
// (default "lake" in the working directory).
func WithLake(dir string) Option { return func(p *Pipeline) { p.lake = dir } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(p *Pipeline) { p.logger = l } }

// DefaultGCPercent is the Go garbage collector's target percentage while a
// run is in progress (see WithGCPercent).
const DefaultGCPercent = 25

// WithGCPercent sets the Go garbage collector's target percentage (as
// GOGC) while Run, Backfill or Verify is in progress; the previous setting
// is restored when the last of them in the process returns. The default is
// DefaultGCPercent: kiln's heap is mostly pointer-free Arrow buffers, so a
// collection is cheap, and the runtime's default of 100 lets resident
// memory reach twice the tables a run holds (on the FPB P1 job at 20M
// events, 25 instead of 100 takes peak RSS from about 4 GiB to 2.6 GiB and
// wall time from 9 s to 5.3 s). A percent of 0 or less leaves the runtime's
// setting alone, and so does a GOGC environment variable: the operator's
// choice wins. The setting is process-wide, as debug.SetGCPercent is.
func WithGCPercent(percent int) Option { return func(p *Pipeline) { p.gcPercent = percent } }

// New returns an empty pipeline. The name identifies it in run records and
// lineage; it is not part of any fingerprint, so renaming a pipeline keeps
// its cache.
func New(name string, opts ...Option) *Pipeline {
	p := &Pipeline{name: name, lake: "lake", logger: slog.Default(), gcPercent: DefaultGCPercent, byName: map[string]*Node{}}
	if !nameRE.MatchString(name) || strings.Contains(name, ".") {
		p.errs = append(p.errs, fmt.Errorf("%w: pipeline name %q: use letters, digits, '_' and '-'", ErrPlan, name))
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Name returns the pipeline name.
func (p *Pipeline) Name() string { return p.name }

// Lake returns the lake directory.
func (p *Pipeline) Lake() string { return p.lake }

// Nodes returns the nodes in declaration order.
func (p *Pipeline) Nodes() []*Node { return append([]*Node(nil), p.nodes...) }

// Node returns the node with the given name, or nil.
func (p *Pipeline) Node(name string) *Node { return p.byName[name] }

// Node is a source or transform in a pipeline. Its name is also the name of
// the dataset it commits: "silver.events" is stored under
// <lake>/silver/events/.
type Node struct {
	p             *Pipeline
	name          string
	source        Source
	transform     Transform
	inputs        []inputRef
	checks        []Check
	sinks         []Sink
	unpartitioned bool
}

// Name returns the node's (and its dataset's) name.
func (n *Node) Name() string { return n.name }

// Pipeline returns the pipeline the node belongs to.
func (n *Node) Pipeline() *Pipeline { return n.p }

// Check attaches quality checks, evaluated on every computed partition of
// the node before anything downstream sees it. It returns n.
func (n *Node) Check(checks ...Check) *Node {
	n.checks = append(n.checks, checks...)
	return n
}

// Unpartitioned marks the node as having a single partition, All (a
// dimension table). Partitioned nodes read it whole. It returns n.
func (n *Node) Unpartitioned() *Node {
	n.unpartitioned = true
	return n
}

// IsSource reports whether the node is a source.
func (n *Node) IsSource() bool { return n.source != nil }

// nameRE is what a dataset name may look like: dot-separated segments of
// lower-case letters, digits, '_' and '-', not starting with '_' or '-'.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$`)

// Source adds a source node named name: its output is committed to the
// dataset of that name.
func (p *Pipeline) Source(name string, s Source) *Node {
	n := &Node{p: p, name: name, source: s}
	if s == nil {
		p.errs = append(p.errs, fmt.Errorf("%w: node %q: nil source", ErrPlan, name))
	}
	p.add(n)
	return n
}

// Transform adds a transform node named name that computes its dataset from
// the inputs, in order. An input is a *Node (read the same partition) or a
// mapped input (Lookback, Whole).
func (p *Pipeline) Transform(name string, t Transform, inputs ...Input) *Node {
	n := &Node{p: p, name: name, transform: t}
	if t == nil {
		p.errs = append(p.errs, fmt.Errorf("%w: node %q: nil transform", ErrPlan, name))
	}
	if len(inputs) == 0 {
		p.errs = append(p.errs, fmt.Errorf("%w: node %q: a transform needs at least one input", ErrPlan, name))
	}
	for i, in := range inputs {
		if in == nil {
			p.errs = append(p.errs, fmt.Errorf("%w: node %q: input %d is nil", ErrPlan, name, i))
			continue
		}
		ref := in.inputRef()
		if ref.node == nil || ref.node.p != p {
			p.errs = append(p.errs, fmt.Errorf("%w: node %q: input %d is not a node of pipeline %q", ErrPlan, name, i, p.name))
			continue
		}
		n.inputs = append(n.inputs, ref)
	}
	p.add(n)
	return n
}

// Sink exports every committed partition of n with s, after n's checks pass.
func (p *Pipeline) Sink(n *Node, s Sink) {
	if n == nil || n.p != p || s == nil {
		p.errs = append(p.errs, fmt.Errorf("%w: sink on a node that is nil or not in pipeline %q, or a nil sink", ErrPlan, p.name))
		return
	}
	n.sinks = append(n.sinks, s)
}

func (p *Pipeline) add(n *Node) {
	if !nameRE.MatchString(n.name) {
		p.errs = append(p.errs, fmt.Errorf("%w: node name %q: use dot-separated lower-case segments like \"silver.events\"", ErrPlan, n.name))
	}
	for _, suf := range []string{quarantineSuffix, rejectedSuffix} {
		if strings.HasSuffix(n.name, suf) {
			p.errs = append(p.errs, fmt.Errorf("%w: node name %q: the suffix %q is reserved", ErrPlan, n.name, suf))
		}
	}
	if _, dup := p.byName[n.name]; dup {
		p.errs = append(p.errs, fmt.Errorf("%w: duplicate node name %q", ErrPlan, n.name))
	} else {
		p.byName[n.name] = n
	}
	p.nodes = append(p.nodes, n)
}

// Input is an input of a transform node: a *Node (the same partition) or a
// mapped input made with Lookback or Whole.
type Input interface {
	inputRef() inputRef
}

type mapping int

const (
	mapSame mapping = iota
	mapLookback
	mapWhole
)

func (m mapping) String() string {
	switch m {
	case mapLookback:
		return "lookback"
	case mapWhole:
		return "whole"
	}
	return "same"
}

type inputRef struct {
	node    *Node
	mapping mapping
	window  time.Duration
}

func (r inputRef) inputRef() inputRef { return r }

func (n *Node) inputRef() inputRef { return inputRef{node: n, mapping: mapSame} }

// Lookback maps a node's partition P to the partitions of n that end within
// window of P's end: with daily partitions, Lookback(n, 30*kiln.Day) reads
// n's partitions P-29 through P, concatenated in partition order. A window
// that is not a whole number of partitions is rounded up. Partitions the
// upstream source does not have (before its data starts) are left out and
// recorded as such; the current partition must exist.
func Lookback(n *Node, window time.Duration) Input {
	return inputRef{node: n, mapping: mapLookback, window: window}
}

// Whole reads n whole. n must be unpartitioned (see Node.Unpartitioned);
// a plain *Node input of an unpartitioned node means the same.
func Whole(n *Node) Input { return inputRef{node: n, mapping: mapWhole} }
