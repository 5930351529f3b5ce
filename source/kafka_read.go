package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
)

// kafkaBatchRows is how many rows of one Kafka partition go into one record
// batch.
const kafkaBatchRows = 64 * 1024

// Read implements kiln.Source. A partition committed before is read back
// from its stored offset ranges; a new one is planned (see Kafka), read, and
// its ranges recorded with Context.SetState.
func (s *KafkaSource) Read(ctx *kiln.Context) (arrow.Table, error) {
	if s.err != nil {
		return nil, s.err
	}
	cl, err := kgo.NewClient(s.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("topic %s: %w", s.cfg.Topic, err)
	}
	defer cl.Close()

	own, err := ctx.Manifest(ctx.Node(), ctx.Partition())
	if err != nil {
		return nil, err
	}
	st, err := kafkaStateOf(own, s.cfg.Topic)
	if err != nil {
		return nil, err
	}
	if st != nil {
		// Recompute a committed partition: exactly its stored ranges.
		if err := s.checkRetained(ctx, cl, st); err != nil {
			return nil, err
		}
		return s.land(ctx, st, true)
	}
	// Landing for the first time, after the previous partition committed
	// (the source is sequential).
	if st, err = s.plan(ctx, cl); err != nil {
		return nil, err
	}
	return s.land(ctx, st, false)
}

func (s *KafkaSource) clientOpts() []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(s.cfg.Brokers...)}
	return append(opts, s.cfg.ClientOptions...)
}

// land reads the ranges, records them as the partition's state, and reports
// rejected values in Kafka partition then offset order. Reproducing a
// committed partition, the number of records found in each range must be
// the number landed.
func (s *KafkaSource) land(ctx *kiln.Context, st *kafkaState, reproduce bool) (arrow.Table, error) {
	parts, err := s.consume(ctx, st)
	if err != nil {
		return nil, err
	}
	for i, p := range parts {
		if !reproduce {
			st.Ranges[i].Records = p.records
		} else if p.records != st.Ranges[i].Records {
			for _, p := range parts {
				for _, b := range p.batches {
					b.Release()
				}
			}
			return nil, fmt.Errorf("cannot reproduce %s %s: topic %s partition %d holds %d records in [%d,%d), %d were landed (compacted or rewritten since)",
				ctx.Node(), ctx.Partition(), st.Topic, p.r.Partition, p.records, p.r.Start, p.r.End, st.Ranges[i].Records)
		}
	}
	var batches []arrow.RecordBatch
	var rejected int
	for _, p := range parts {
		batches = append(batches, p.batches...)
		for _, r := range p.rejects {
			ctx.Reject(r)
		}
		rejected += len(p.rejects)
	}
	if err := ctx.SetState(st); err != nil {
		return nil, err
	}
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	ctx.Logger().Debug("kafka landing", "topic", st.Topic, "ranges", kafkaRangesText(st), "rows", rows, "rejected", rejected)
	if len(batches) == 0 {
		return arrowx.EmptyTable(s.schema), nil
	}
	tbl := array.NewTableFromRecords(s.schema, batches)
	for _, b := range batches {
		b.Release()
	}
	return tbl, nil
}

func kafkaRangesText(st *kafkaState) string {
	var b strings.Builder
	for i, r := range st.Ranges {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d:[%d,%d)", r.Partition, r.Start, r.End)
	}
	return b.String()
}

// kafkaPart is the consumption state of one Kafka partition.
type kafkaPart struct {
	r       kafkaRange
	next    int64 // the next offset expected
	done    bool
	b       *kafkaBuilder
	batches []arrow.RecordBatch
	rejects []kiln.Rejected
	err     error // a bad value, when not rejecting
	records int64 // data records read (control records excluded)
}

// consume reads every range in full. Partitions are returned in partition
// order, each with its batches in offset order.
func (s *KafkaSource) consume(ctx *kiln.Context, st *kafkaState) (parts []*kafkaPart, err error) {
	byID := map[int32]*kafkaPart{}
	start := map[int32]kgo.Offset{}
	defer func() {
		for _, p := range parts {
			if p.b != nil {
				p.b.release()
			}
			if err != nil {
				for _, b := range p.batches {
					b.Release()
				}
			}
		}
	}()
	for _, r := range st.Ranges {
		p := &kafkaPart{r: r, next: r.Start, done: r.Start >= r.End}
		parts = append(parts, p)
		if !p.done {
			if p.b, err = s.newBuilder(ctx); err != nil {
				return parts, err
			}
			byID[r.Partition] = p
			start[r.Partition] = kgo.NewOffset().At(r.Start)
		}
	}
	if len(byID) == 0 {
		return parts, nil
	}
	opts := append(s.clientOpts(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{st.Topic: start}),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return parts, fmt.Errorf("topic %s: %w", st.Topic, err)
	}
	defer cl.Close()

	idle := s.cfg.IdleTimeout
	if idle <= 0 {
		idle = 30 * time.Second
	}
	remaining := len(byID)
	for remaining > 0 {
		pollCtx, cancel := context.WithTimeout(ctx, idle)
		fetches := cl.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return parts, err
		}
		progressed := false
		var ferr error
		fetches.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			if ferr == nil {
				ferr = fmt.Errorf("topic %s partition %d: %w", topic, partition, err)
			}
		})
		if ferr != nil {
			return parts, ferr
		}
		var paused []int32
		fetches.EachRecord(func(r *kgo.Record) {
			p := byID[r.Partition]
			if p == nil || p.done || r.Offset < p.next {
				return
			}
			progressed = true
			if r.Offset < p.r.End && !r.Attrs.IsControl() {
				p.records++
				// A bad value stops its partition; the others go on, so
				// the error reported (the first partition's) does not
				// depend on the order fetches arrive in.
				p.err = s.appendRecord(p, r)
			}
			p.next = r.Offset + 1
			if p.next >= p.r.End || p.err != nil {
				p.done = true
				remaining--
				paused = append(paused, r.Partition)
			}
		})
		if len(paused) > 0 {
			cl.PauseFetchPartitions(map[string][]int32{st.Topic: paused})
		}
		if !progressed && remaining > 0 {
			var waiting []string
			for _, p := range parts {
				if !p.done {
					waiting = append(waiting, fmt.Sprintf("partition %d at offset %d of [%d,%d)", p.r.Partition, p.next, p.r.Start, p.r.End))
				}
			}
			return parts, fmt.Errorf("topic %s: no progress for %s: %s (records removed by retention or compaction, or brokers unreachable)", st.Topic, idle, strings.Join(waiting, "; "))
		}
	}
	for _, p := range parts {
		if p.err != nil {
			return parts, p.err
		}
	}
	for _, p := range parts {
		if p.b != nil && p.b.rows > 0 {
			p.batches = append(p.batches, p.b.flush())
		}
	}
	return parts, nil
}

// appendRecord adds one record to its partition's builder, setting bad
// values aside when asked to.
func (s *KafkaSource) appendRecord(p *kafkaPart, r *kgo.Record) error {
	if err := p.b.append(r); err != nil {
		where := fmt.Sprintf("topic %s partition %d offset %d", r.Topic, r.Partition, r.Offset)
		if !s.cfg.RejectBad {
			return fmt.Errorf("%s: %w", where, err)
		}
		p.rejects = append(p.rejects, landRejected(where, err, r.Value))
		return nil
	}
	if p.b.rows >= kafkaBatchRows {
		p.batches = append(p.batches, p.b.flush())
	}
	return nil
}
