package kiln

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/digest"
)

// Context is what a source, transform, check or sink gets when it runs: a
// context.Context for cancellation, plus the run's deterministic inputs (the
// partition, the logical time, a seeded random source) and its allocator and
// logger. It is the only sanctioned source of time and randomness inside a
// transform.
//
// A Context is not safe for concurrent use, except as a context.Context and
// through RandStream.
type Context struct {
	context.Context

	pipeline string
	node     string
	part     Partition
	logical  time.Time
	seed     digest.Sum
	planning bool
	log      *slog.Logger
	mem      memory.Allocator

	rng     *rand.Rand
	prev    func() (*Manifest, error)
	next    func() (*Manifest, error)
	lookup  func(dataset string, p Partition) (*Manifest, error)
	rejects []Rejected
	state   json.RawMessage
	extra   map[string]json.RawMessage
}

// Pipeline returns the pipeline name.
func (c *Context) Pipeline() string { return c.pipeline }

// Node returns the name of the node being computed.
func (c *Context) Node() string { return c.node }

// Partition returns the partition being computed.
func (c *Context) Partition() Partition { return c.part }

// Time returns the run's logical time: the end of the partition (the moment
// its data is complete), or the run's LogicalTime option for partitions
// without time. Use it instead of time.Now.
func (c *Context) Time() time.Time { return c.logical }

// Planning reports whether the call is a plan-time schema probe on empty
// inputs rather than a real run.
func (c *Context) Planning() bool { return c.planning }

// Seed returns the node partition's random seed, derived from its
// fingerprint: the same inputs, code and config give the same seed.
func (c *Context) Seed() [32]byte { return c.seed }

// Rand returns a random source seeded from Seed. Successive calls return the
// same source, so the sequence of values depends only on the order of calls.
func (c *Context) Rand() *rand.Rand {
	if c.rng == nil {
		c.rng = c.RandStream(0)
	}
	return c.rng
}

// RandStream returns the i-th independent random source derived from Seed.
// Parallel code uses one stream per fixed chunk of data (never per goroutine)
// so results do not depend on the thread count.
func (c *Context) RandStream(i uint64) *rand.Rand {
	s := digest.NewBuilder("kiln.rand.v1").Bytes("seed", c.seed[:]).Uint("stream", i).Digest()
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(s[0:8]), binary.LittleEndian.Uint64(s[8:16])))
}

// Logger returns a logger with the pipeline, node and partition attached.
func (c *Context) Logger() *slog.Logger { return c.log }

// Allocator returns the Arrow allocator to build output with.
func (c *Context) Allocator() memory.Allocator { return c.mem }

// Previous returns the manifest of the latest committed partition of this
// node before the current one (by partition order), or nil when there is
// none. Sources use it to resume from a checkpoint; checks use it to compare
// with the previous partition.
func (c *Context) Previous() (*Manifest, error) {
	if c.prev == nil {
		return nil, nil
	}
	return c.prev()
}

// Next returns the manifest of the earliest committed partition of this node
// after the current one (by partition order), or nil when there is none.
// Sources that land ranges (offsets, marks) use it to stop where a later
// committed partition begins when an older partition is recomputed.
func (c *Context) Next() (*Manifest, error) {
	if c.next == nil {
		return nil, nil
	}
	return c.next()
}

// Manifest returns the committed manifest of a partition of any dataset in
// the pipeline's lake, or nil when there is none. Checks use it to compare
// with a reference partition.
func (c *Context) Manifest(dataset string, p Partition) (*Manifest, error) {
	if c.lookup == nil {
		return nil, nil
	}
	return c.lookup(dataset, p)
}

// Rejected is an input record a source could not use: where it was, why, and
// its raw text.
type Rejected struct {
	// Where locates the record: "file.csv:17", "page 3 item 5", "offset 812".
	Where string
	// Reason says what is wrong, naming the column where possible.
	Reason string
	// Raw is the record as read (may be empty).
	Raw string
}

// Reject records a bad input record instead of failing the run. The node's
// rejected records are committed, in the order Reject was called, to the
// dataset RejectedDataset(node) with the columns _kiln_where, _kiln_reason
// and _kiln_raw. Sources call it when the user chose to set bad records
// aside rather than fail.
func (c *Context) Reject(r Rejected) { c.rejects = append(c.rejects, r) }

// PreviousState decodes the source state stored with the previous committed
// partition (see SetState) into v. It reports false when there is none.
func (c *Context) PreviousState(v any) (bool, error) {
	m, err := c.Previous()
	if err != nil || m == nil || len(m.SourceState) == 0 {
		return false, err
	}
	if err := json.Unmarshal(m.SourceState, v); err != nil {
		return false, fmt.Errorf("decode previous source state of %s %s: %w", m.Dataset, m.Partition, err)
	}
	return true, nil
}

// SetState records a source checkpoint (a cursor high-water mark, offsets,
// the last page read) to store with the partition's manifest. It is encoded
// as JSON; it must not hold secrets.
func (c *Context) SetState(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode source state: %w", err)
	}
	c.state = b
	return nil
}

// SetExtra records a named fact to store in the manifest and run record
// (for example a data profile). The value is encoded as JSON.
func (c *Context) SetExtra(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode manifest extra %q: %w", key, err)
	}
	if c.extra == nil {
		c.extra = map[string]json.RawMessage{}
	}
	c.extra[key] = b
	return nil
}

// NewContext returns a Context for calling sources, transforms and checks
// outside a pipeline run, as tests do. The logical time is the partition's
// end; the seed is derived from the node name and partition.
func NewContext(ctx context.Context, node string, p Partition) *Context {
	seed := digest.NewBuilder("kiln.testseed.v1").String("node", node).String("partition", p.String()).Digest()
	return &Context{
		Context:  ctx,
		pipeline: "test",
		node:     node,
		part:     p,
		logical:  p.End(),
		seed:     seed,
		log:      slog.Default().With("node", node, "partition", p.String()),
		mem:      memory.DefaultAllocator,
	}
}
