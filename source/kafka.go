package source

import (
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/jsonarrow"
)

// KafkaConfig configures a Kafka landing source; see Kafka.
type KafkaConfig struct {
	// Brokers are the seed brokers, host:port. They locate the cluster and
	// are not part of the fingerprint.
	Brokers []string
	// Topic is the topic to land.
	Topic string
	// Value, when set, decodes every record value as a JSON object into
	// these columns (an explicit schema; see HTTPConfig.Schema for the
	// supported types) instead of one binary value column. A null value (a
	// tombstone) decodes as an empty object: all its columns null.
	Value *arrow.Schema
	// ValuePaths maps a Value column to the dotted path of its value in
	// the record ("user.id"); by default a column reads the top-level key
	// of its name.
	ValuePaths map[string]string
	// ValueRaw lists Value columns (utf8) that keep their value's JSON text,
	// for nested objects and arrays.
	ValueRaw []string
	// Headers adds a headers column: list<struct<key: utf8, value: binary>>.
	Headers bool
	// Start is where landing begins on a Kafka partition nothing was landed
	// from yet (see Kafka).
	Start KafkaStart
	// UpToHighWater lands everything up to the high-water mark even for
	// time partitions, instead of stopping at the first record stamped at
	// or after the partition's end.
	UpToHighWater bool
	// RejectBad sets aside values that do not fit Value (invalid JSON, a
	// wrong type) with Context.Reject, instead of failing the run.
	RejectBad bool

	// The fields below tune how records are fetched; they never change the
	// output and are not part of the fingerprint.

	// ClientOptions are extra franz-go client options (TLS, SASL, a
	// dialer). Credentials belong here, never in the config above.
	ClientOptions []kgo.Opt
	// Retry bounds the retries of metadata and offset requests when the
	// cluster is unreachable (defaults: 5 attempts, 200ms initial wait, 5s
	// max step, 30s budget), on top of franz-go's own request retries.
	// When they run out, the run fails with an error wrapping
	// ErrUnavailable.
	Retry Backoff
	// IdleTimeout fails a landing whose consumption makes no progress for
	// this long (default 30s).
	IdleTimeout time.Duration
}

// kafkaBackoff is KafkaConfig.Retry's defaults.
var kafkaBackoff = Backoff{Attempts: 5, Initial: 200 * time.Millisecond, Max: 5 * time.Second, Budget: 30 * time.Second}

// KafkaStart says where a landing begins on a Kafka partition with no
// landed records yet.
type KafkaStart string

// Starts.
const (
	// KafkaStartAuto begins, for a day or hour partition, at the first
	// record stamped at or after the partition's start; otherwise at the
	// earliest retained record.
	KafkaStartAuto KafkaStart = ""
	// KafkaStartEarliest begins at the earliest retained record.
	KafkaStartEarliest KafkaStart = "earliest"
	// KafkaStartLatest begins at the high-water mark of the first landing:
	// only records produced after it are landed.
	KafkaStartLatest KafkaStart = "latest"
)

// KafkaSource lands a Kafka topic into bronze partitions; create one with
// Kafka. It is safe for concurrent use, and kiln.Sequential: the engine
// lands its partitions one at a time, in partition order.
type KafkaSource struct {
	cfg    KafkaConfig
	spec   kafkaSpec
	schema *arrow.Schema
	value  []jsonarrow.Column // the Value columns, or nil for raw bytes
	err    error              // a configuration error, reported by Schema and Read
}

// kafkaSpec is what goes into the fingerprint: everything that shapes the
// output, nothing that only locates or tunes the fetch.
type kafkaSpec struct {
	Topic         string           `json:"topic"`
	Value         []landColumnSpec `json:"value,omitempty"`
	Headers       bool             `json:"headers,omitempty"`
	Start         KafkaStart       `json:"start,omitempty"`
	UpToHighWater bool             `json:"up_to_high_water,omitempty"`
	RejectBad     bool             `json:"reject_bad,omitempty"`
}

// Kafka returns a source that lands cfg.Topic with exactly-once semantics
// per committed partition.
//
// # What a partition holds
//
// Each kiln partition holds, for every Kafka partition of the topic, one
// contiguous range of offsets [start, end), and records that range in its
// manifest (Context.SetState): {"topic": ..., "ranges": [{"partition": 0,
// "start": 120, "end": 245, "records": 125}, ...]}. Ranges are chosen when the partition is
// first landed:
//
//   - start: where the previous committed partition (the day before, for a
//     daily partition) ended; after a gap of unlanded partitions, the first
//     record stamped at or after this partition's start; with nothing
//     landed before, see KafkaConfig.Start.
//   - end, for a day or hour partition: the first offset whose record
//     timestamp is at or after the partition's end, or the high-water mark
//     (the last stable offset: only committed transactional records are
//     read) when no such record exists yet. For All and static partitions,
//     or with UpToHighWater: the high-water mark at landing time.
//   - a later partition that is already committed (kiln.Context.Next)
//     bounds end to its start, so landing a gap late never overlaps what is
//     committed.
//
// So a backfill of past days splits the log by record time, a daily run
// shortly after midnight lands yesterday and not the first minutes of today,
// and consecutive partitions tile the log: a record lands in exactly one
// committed partition. Records whose timestamps go backwards (stamped before
// the partition they land in) land with the partition that was open when
// they arrived; filter by the timestamp column downstream for event-time
// windows. Rows are ordered by Kafka partition, then offset.
//
// # Determinism
//
// A committed partition is a cache hit on later runs (the source reports a
// constant version, so Kafka is not contacted). Recomputing it (Force,
// Verify, a changed check) reads exactly its stored ranges, not "up to now",
// so it reproduces the same rows, the same content hash and the same file
// bytes, as long as the records are still there; if retention or
// compaction removed some (the range's record count differs), the run fails
// instead of committing less.
//
// # Landing order
//
// Land partitions forward in time. The source is kiln.Sequential: the engine
// lands the partitions of one Run or Backfill one at a time in partition
// order, each after the previous one committed, and skips the later ones
// when one fails; so a Backfill with parallelism stays exactly-once, and its
// rerun resumes at the failed partition. Do not land one topic into one
// dataset from two runs at once (two processes, or two concurrent Run
// calls): both would start where the same committed partition ended.
//
// # Failures
//
// Metadata and offset requests to a cluster that is unreachable are retried
// within Retry; when it runs out the run fails with an error wrapping
// ErrUnavailable. A consumption that makes no progress for IdleTimeout
// fails the run. Either way nothing is committed.
func Kafka(cfg KafkaConfig) *KafkaSource {
	s := &KafkaSource{cfg: cfg}
	s.spec = kafkaSpec{Topic: cfg.Topic, Headers: cfg.Headers, Start: cfg.Start, UpToHighWater: cfg.UpToHighWater, RejectBad: cfg.RejectBad}
	s.err = s.init()
	return s
}

func (s *KafkaSource) init() error {
	cfg := s.cfg
	if cfg.Topic == "" {
		return errors.New("kafka source: no topic")
	}
	switch cfg.Start {
	case KafkaStartAuto, KafkaStartEarliest, KafkaStartLatest:
	default:
		return fmt.Errorf("kafka source: start %q: want \"\", %q or %q", cfg.Start, KafkaStartEarliest, KafkaStartLatest)
	}
	fields := []arrow.Field{
		{Name: "topic", Type: arrow.BinaryTypes.String},
		{Name: "partition", Type: arrow.PrimitiveTypes.Int32},
		{Name: "offset", Type: arrow.PrimitiveTypes.Int64},
		{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
		{Name: "key", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}
	if cfg.Value == nil {
		fields = append(fields, arrow.Field{Name: "value", Type: arrow.BinaryTypes.Binary, Nullable: true})
	} else {
		cols, specs, err := landJSONColumns(cfg.Value, cfg.ValuePaths, cfg.ValueRaw)
		if err != nil {
			return fmt.Errorf("kafka source %s: value: %w", cfg.Topic, err)
		}
		s.value, s.spec.Value = cols, specs
		for _, f := range cfg.Value.Fields() {
			for _, g := range fields {
				if g.Name == f.Name {
					return fmt.Errorf("kafka source %s: value column %q clashes with the record column of that name", cfg.Topic, f.Name)
				}
			}
			fields = append(fields, f)
		}
	}
	if cfg.Headers {
		fields = append(fields, arrow.Field{Name: "headers", Type: kafkaHeadersType, Nullable: true})
	}
	s.schema = arrow.NewSchema(fields, nil)
	return nil
}

// kafkaHeadersType is the type of the headers column.
var kafkaHeadersType = arrow.ListOf(arrow.StructOf(
	arrow.Field{Name: "key", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "value", Type: arrow.BinaryTypes.Binary, Nullable: true},
))

// Spec implements kiln.Source. Brokers and client options are not part of
// it: they locate the cluster and tune the fetch.
func (s *KafkaSource) Spec() kiln.Spec {
	return kiln.Spec{Name: "source.kafka", Version: "1", Config: s.spec}
}

// Schema implements kiln.Source: topic, partition, offset, timestamp
// (timestamp[ms, UTC]), key (binary), then value (binary) or the Value
// columns, then headers when asked for. It does not contact Kafka.
func (s *KafkaSource) Schema(*kiln.Context) (*arrow.Schema, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.schema, nil
}

// Sequential implements kiln.Sequential: each partition starts where the
// previous committed one ended.
func (s *KafkaSource) Sequential() bool { return true }

// SourceVersion implements kiln.SourceVersioner. A landed partition is what
// was landed: its content depends only on its stored offset ranges, so the
// version is constant and committed partitions are cache hits.
func (s *KafkaSource) SourceVersion(*kiln.Context) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return "kafka.v1", nil
}
