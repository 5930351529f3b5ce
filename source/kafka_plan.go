package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/retry"
)

// kafkaState is the checkpoint a committed partition stores in its manifest:
// the offsets it covers on each Kafka partition.
type kafkaState struct {
	Topic  string       `json:"topic"`
	Ranges []kafkaRange `json:"ranges"`
}

// kafkaRange is the offsets [Start, End) of one Kafka partition, and how
// many data records (rejected ones included) were in it when landed.
type kafkaRange struct {
	Partition int32 `json:"partition"`
	Start     int64 `json:"start"`
	End       int64 `json:"end"`
	Records   int64 `json:"records"`
}

func (st *kafkaState) rangeOf(p int32) (kafkaRange, bool) {
	for _, r := range st.Ranges {
		if r.Partition == p {
			return r, true
		}
	}
	return kafkaRange{}, false
}

// kafkaStateOf decodes the state of a committed manifest; nil when there is
// none or it is for another topic.
func kafkaStateOf(m *kiln.Manifest, topic string) (*kafkaState, error) {
	var st kafkaState
	if ok, err := landStateOf(m, &st); err != nil || !ok || st.Topic != topic {
		return nil, err
	}
	return &st, nil
}

// kafkaOffsets are the offsets listed for each Kafka partition.
type kafkaOffsets struct {
	logStart map[int32]int64
	end      map[int32]int64 // last stable offset (high-water mark for non-transactional data)
	atStart  map[int32]int64 // first offset stamped at or after the partition start, -1 for none
	atEnd    map[int32]int64 // first offset stamped at or after the partition end, -1 for none
}

// kafkaPartitions lists the topic's partitions, sorted.
func kafkaPartitions(ctx context.Context, cl *kgo.Client, pol retry.Policy, topic string) ([]int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	var parts []int32
	err := retryUnavailable(ctx, pol, func(ctx context.Context) error {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return retry.Mark(err)
		}
		if len(resp.Topics) != 1 {
			return fmt.Errorf("metadata: %d topics in the answer", len(resp.Topics))
		}
		t := resp.Topics[0]
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("topic %q does not exist: %w", topic, err)
			}
			if kerr.IsRetriable(err) {
				return retry.Mark(err)
			}
			return err
		}
		parts = parts[:0]
		for _, p := range t.Partitions {
			parts = append(parts, p.Partition)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("topic %s: metadata: %w", topic, err)
	}
	slices.Sort(parts)
	return parts, nil
}

func (s *KafkaSource) policy() retry.Policy {
	return s.cfg.Retry.policy(kafkaBackoff)
}

// kafkaListOffsets asks the partitions' leaders for the offset at ts (a
// millisecond timestamp, or -2 for the log start and -1 for the last stable
// offset). Offsets are -1 when no record is stamped at or after ts.
func kafkaListOffsets(ctx context.Context, cl *kgo.Client, pol retry.Policy, topic string, parts []int32, ts int64) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = 1 // read committed: -1 lists the last stable offset
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = ts
		rp.CurrentLeaderEpoch = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	out := make(map[int32]int64, len(parts))
	err := retryUnavailable(ctx, pol, func(ctx context.Context) error {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return retry.Mark(err)
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					err = fmt.Errorf("partition %d: %w", p.Partition, err)
					if kerr.IsRetriable(err) {
						return retry.Mark(err)
					}
					return err
				}
				out[p.Partition] = p.Offset
			}
		}
		for _, p := range parts {
			if _, ok := out[p]; !ok {
				return retry.Mark(fmt.Errorf("list offsets of %s: no answer for partition %d", topic, p))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("topic %s: list offsets: %w", topic, err)
	}
	return out, nil
}

// listAll lists what planning needs; atStart and atEnd only for time
// partitions.
func (s *KafkaSource) listAll(ctx *kiln.Context, cl *kgo.Client, parts []int32) (*kafkaOffsets, error) {
	var o kafkaOffsets
	var err error
	topic := s.cfg.Topic
	if o.logStart, err = kafkaListOffsets(ctx, cl, s.policy(), topic, parts, -2); err != nil {
		return nil, err
	}
	if o.end, err = kafkaListOffsets(ctx, cl, s.policy(), topic, parts, -1); err != nil {
		return nil, err
	}
	if p := ctx.Partition(); p.Grain().Duration() > 0 {
		if o.atStart, err = kafkaListOffsets(ctx, cl, s.policy(), topic, parts, p.Start().UnixMilli()); err != nil {
			return nil, err
		}
		if o.atEnd, err = kafkaListOffsets(ctx, cl, s.policy(), topic, parts, p.End().UnixMilli()); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// nextCommitted returns the state of the first committed partition after
// the current one, if any.
func (s *KafkaSource) nextCommitted(ctx *kiln.Context) (*kafkaState, error) {
	m, err := ctx.Next()
	if err != nil || m == nil {
		return nil, err
	}
	return kafkaStateOf(m, s.cfg.Topic)
}

// plan chooses the offset ranges of a partition landed for the first time
// (see Kafka for the rules).
func (s *KafkaSource) plan(ctx *kiln.Context, cl *kgo.Client) (*kafkaState, error) {
	topic := s.cfg.Topic
	parts, err := kafkaPartitions(ctx, cl, s.policy(), topic)
	if err != nil {
		return nil, err
	}
	prevMan, err := ctx.Previous()
	if err != nil {
		return nil, err
	}
	prev, err := kafkaStateOf(prevMan, topic)
	if err != nil {
		return nil, err
	}
	next, err := s.nextCommitted(ctx)
	if err != nil {
		return nil, err
	}
	off, err := s.listAll(ctx, cl, parts)
	if err != nil {
		return nil, err
	}
	part := ctx.Partition()
	timed := part.Grain().Duration() > 0
	adjacent := prevMan != nil && timed && prevMan.Partition == part.Add(-1).String()

	st := &kafkaState{Topic: topic}
	for _, k := range parts {
		hwm := off.end[k]
		var lo int64
		pr, covered := kafkaRange{}, false
		if prev != nil {
			pr, covered = prev.rangeOf(k)
		}
		switch {
		case covered && (adjacent || !timed):
			lo = pr.End
		case covered:
			// A gap of unlanded partitions before this one: leave their
			// records to them.
			lo = max(pr.End, firstAt(off.atStart[k], hwm))
		case prev != nil:
			// A Kafka partition created since the previous landing.
			lo = off.logStart[k]
		default:
			switch {
			case s.cfg.Start == KafkaStartEarliest || (s.cfg.Start == KafkaStartAuto && !timed):
				lo = off.logStart[k]
			case s.cfg.Start == KafkaStartLatest:
				lo = hwm
			default:
				lo = firstAt(off.atStart[k], hwm)
			}
		}
		hi := hwm
		if timed && !s.cfg.UpToHighWater {
			hi = firstAt(off.atEnd[k], hwm)
		}
		bounded := false
		if next != nil {
			if nr, ok := next.rangeOf(k); ok && nr.Start < hi {
				hi, bounded = nr.Start, true
			}
		}
		if lo > hi {
			if bounded {
				return nil, fmt.Errorf("topic %s partition %d: this partition would start at offset %d, after the start %d of the committed partition that follows it: the landed ranges are inconsistent", topic, k, lo, hi)
			}
			hi = lo // e.g. starting at "latest" for a partition in the past
		}
		if lo < off.logStart[k] && lo < hi {
			return nil, fmt.Errorf("topic %s partition %d: offsets %d..%d were deleted by retention before they were landed (log start %d)", topic, k, lo, off.logStart[k], off.logStart[k])
		}
		st.Ranges = append(st.Ranges, kafkaRange{Partition: k, Start: lo, End: hi})
	}
	return st, nil
}

// firstAt is a listed offset-for-time, or end when no record is stamped late
// enough yet.
func firstAt(off, end int64) int64 {
	if off < 0 || off > end {
		return end
	}
	return off
}

// checkRetained fails when a stored range can no longer be read in full.
func (s *KafkaSource) checkRetained(ctx *kiln.Context, cl *kgo.Client, st *kafkaState) error {
	var parts []int32
	for _, r := range st.Ranges {
		if r.Start < r.End {
			parts = append(parts, r.Partition)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	logStart, err := kafkaListOffsets(ctx, cl, s.policy(), st.Topic, parts, -2)
	if err != nil {
		return err
	}
	end, err := kafkaListOffsets(ctx, cl, s.policy(), st.Topic, parts, -1)
	if err != nil {
		return err
	}
	var bad []string
	for _, r := range st.Ranges {
		if r.Start < r.End && (logStart[r.Partition] > r.Start || end[r.Partition] < r.End) {
			bad = append(bad, fmt.Sprintf("partition %d needs %d..%d, the log holds %d..%d", r.Partition, r.Start, r.End, logStart[r.Partition], end[r.Partition]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("cannot reproduce %s %s of topic %s: %s", ctx.Node(), ctx.Partition(), st.Topic, strings.Join(bad, "; "))
	}
	return nil
}
