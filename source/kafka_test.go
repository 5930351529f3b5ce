package source_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

func kafkaPipeline(t testing.TB, lake string, cfg source.KafkaConfig, checks ...kiln.Check) *kiln.Pipeline {
	t.Helper()
	p := kiln.New("kafka_test", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	n := p.Source("bronze.events", source.Kafka(cfg))
	n.Check(checks...)
	return p
}

func TestKafkaLandsEachRecordOnce(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 3)
	lake := t.TempDir()
	cfg := source.KafkaConfig{Brokers: brokers, Topic: "events"}
	p := kafkaPipeline(t, lake, cfg)

	// Day 1: two records per partition; one record already stamped day 2.
	id := 0
	var recs []*kgo.Record
	for k := range int32(3) {
		for h := range 2 {
			id++
			recs = append(recs, kafkaRec(k, kafkaDay(1, 10+h), id))
		}
	}
	id++
	recs = append(recs, kafkaRec(1, kafkaDay(2, 0), id))
	kafkaProduce(t, brokers, recs...)

	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	day1, m1 := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	assert.Equal(t, []string{"0@0", "0@1", "1@0", "1@1", "2@0", "2@1"}, kafkaKeys(t, day1), "ordered by partition, then offset; the day-2 record stays out")
	assert.JSONEq(t, `{"topic":"events","ranges":[{"partition":0,"start":0,"end":2,"records":2},{"partition":1,"start":0,"end":2,"records":2},{"partition":2,"start":0,"end":2,"records":2}]}`, string(m1.SourceState))

	// More records arrive, including a late one stamped day 1.
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(2, 5), 100), kafkaRec(2, kafkaDay(1, 23), 101), kafkaRec(2, kafkaDay(3, 1), 102))
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	day2, m2 := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 2))
	assert.Equal(t, []string{"0@2", "1@2", "2@2"}, kafkaKeys(t, day2), "the late record lands with the next partition")
	assert.JSONEq(t, `{"topic":"events","ranges":[{"partition":0,"start":2,"end":3,"records":1},{"partition":1,"start":2,"end":3,"records":1},{"partition":2,"start":2,"end":3,"records":1}]}`, string(m2.SourceState))

	// Rerunning a landed partition is a cache hit: nothing new lands twice.
	res, err := p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	nr, _ := res.Node("bronze.events")
	assert.Equal(t, kiln.StatusCached, nr.Status)

	_, err = p.Run(ctx, kiln.Date(2024, 1, 3))
	require.NoError(t, err)
	day3, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 3))
	assert.Equal(t, []string{"2@3"}, kafkaKeys(t, day3))

	// The columns.
	require.Equal(t, []string{"topic", "partition", "offset", "timestamp", "key", "value"}, fieldNames(day1.Schema()))
	row := tableRow(t, day1, 0)
	assert.Equal(t, "events", row["topic"])
	assert.Equal(t, "2024-01-01T10:00:00Z", row["timestamp"])
	assert.Equal(t, "k1", row["key"])
	assert.JSONEq(t, `{"id": 1, "user": {"name": "u1"}}`, row["value"].(string))
}

func TestKafkaRerunReproducesBytes(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 2)
	lake := t.TempDir()
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events"})
	for i := range 50 {
		kafkaProduce(t, brokers, kafkaRec(int32(i%2), kafkaDay(1, i%24), i))
	}
	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	first, m1 := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	require.EqualValues(t, 50, first.NumRows())

	// Records keep arriving, some stamped day 1; a forced recompute reads
	// the stored ranges, not "up to now".
	for i := range 10 {
		kafkaProduce(t, brokers, kafkaRec(int32(i%2), kafkaDay(1, 23), 1000+i))
	}
	res, err := p.Run(ctx, kiln.Date(2024, 1, 1), kiln.Force())
	require.NoError(t, err)
	nr, _ := res.Node("bronze.events")
	assert.Equal(t, kiln.StatusComputed, nr.Status)
	again, m2 := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	assert.EqualValues(t, 50, again.NumRows())
	assert.Equal(t, m1.ContentHash, m2.ContentHash)
	require.Len(t, m2.Files, 1)
	assert.Equal(t, m1.Files[0].Hash, m2.Files[0].Hash, "file bytes are identical")
	assert.Equal(t, string(m1.SourceState), string(m2.SourceState))

	// Verify agrees.
	_, err = p.Verify(ctx, []kiln.Partition{kiln.Date(2024, 1, 1)})
	require.NoError(t, err)
}

func TestKafkaFailedRunLandsOnceOnRerun(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 2)
	lake := t.TempDir()
	var fail atomic.Bool
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events"}, toggleCheck{&fail})
	for i := range 20 {
		kafkaProduce(t, brokers, kafkaRec(int32(i%2), kafkaDay(1, i), i))
	}
	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)

	// Day 2 is read, then its check fails: nothing is committed.
	for i := range 20 {
		kafkaProduce(t, brokers, kafkaRec(int32(i%2), kafkaDay(2, i), 100+i))
	}
	fail.Store(true)
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.ErrorIs(t, err, kiln.ErrCheckFailed)
	assert.False(t, committedAt(lake, "bronze.events", kiln.Date(2024, 1, 2)))
	day1, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	assert.EqualValues(t, 20, day1.NumRows(), "the previous partition is intact")

	// More records arrive; the rerun lands day 2 exactly once.
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(2, 22), 200))
	fail.Store(false)
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	day2, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 2))
	keys := append(kafkaKeys(t, day1), kafkaKeys(t, day2)...)
	assert.Len(t, keys, 41)
	assertUnique(t, keys)
}

func TestKafkaConsumeFailureCommitsNothing(t *testing.T) {
	ctx := context.Background()
	c, brokers := kafkaCluster(t, 2)
	lake := t.TempDir()
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events", IdleTimeout: 300 * time.Millisecond})
	for i := range 40 {
		kafkaProduce(t, brokers, kafkaRec(int32(i%2), kafkaDay(1, i%24), i))
	}
	// The broker stops answering fetches after the first one: the
	// consumption dies in the middle.
	var fetches, down atomic.Int32
	down.Store(1)
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if fetches.Add(1) > 1 && down.Load() == 1 {
			return nil, errors.New("broker unavailable"), true
		}
		return nil, nil, false
	})
	_, err := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events", IdleTimeout: 300 * time.Millisecond, ClientOptions: []kgo.Opt{kgo.FetchMaxPartitionBytes(200), kgo.FetchMaxBytes(200)}}).
		Run(ctx, kiln.Date(2024, 1, 1))
	require.Error(t, err)
	assert.ErrorContains(t, err, "no progress")
	assert.ErrorContains(t, err, "of [0,20)")
	assert.False(t, committedAt(lake, "bronze.events", kiln.Date(2024, 1, 1)))

	down.Store(0)
	_, err = p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	day1, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	keys := kafkaKeys(t, day1)
	assert.Len(t, keys, 40)
	assertUnique(t, keys)
}

func TestKafkaBackfillInParallelTilesTheLog(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 3)
	lake := t.TempDir()
	var fail atomic.Bool
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events"}, partCheck{kiln.Date(2024, 1, 3), &fail})
	want := map[int][]string{}
	var recs []*kgo.Record
	next := map[int32]int{}
	for d := 1; d <= 5; d++ {
		for i := range 12 {
			k := int32((d + i) % 3)
			recs = append(recs, kafkaRec(k, kafkaDay(d, i*2), d*100+i))
			want[d] = append(want[d], fmt.Sprintf("%d@%d", k, next[k]))
			next[k]++
		}
	}
	kafkaProduce(t, brokers, recs...)
	days, err := kiln.Days("2024-01-01", "2024-01-05")
	require.NoError(t, err)

	// Day 3 is read, then fails its check: days 1 and 2 are committed, day
	// 3 is not, and days 4 and 5 are not even read.
	fail.Store(true)
	b, err := p.Backfill(ctx, days, kiln.Parallel(4))
	require.ErrorIs(t, err, kiln.ErrCheckFailed)
	assert.Equal(t, days[2:], b.Failed())
	for i, d := range days {
		assert.Equal(t, i < 2, committedAt(lake, "bronze.events", d), "day %d", i+1)
	}
	for _, r := range b.Runs[3:] {
		n, _ := r.Node("bronze.events")
		assert.Equal(t, kiln.StatusSkipped, n.Status, "%s", r.Partition)
		assert.ErrorIs(t, n.Err, kiln.ErrUpstream, "%s", r.Partition)
	}

	// The rerun resumes at day 3 and lands every record exactly once, each
	// in its day, whatever the parallelism.
	fail.Store(false)
	_, err = p.Backfill(ctx, days, kiln.Parallel(4))
	require.NoError(t, err)
	var all []string
	for d := 1; d <= 5; d++ {
		tbl, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, d))
		got := kafkaKeys(t, tbl)
		sort.Strings(got)
		w := append([]string(nil), want[d]...)
		sort.Strings(w)
		assert.Equal(t, w, got, "day %d", d)
		all = append(all, got...)
	}
	assert.Len(t, all, 60)
	assertUnique(t, all)
}

func TestKafkaGapLandedLater(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 1)
	lake := t.TempDir()
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events"})
	for d := 1; d <= 4; d++ {
		for i := range 3 {
			kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(d, i), d*10+i))
		}
	}
	for _, d := range []int{1, 3, 4, 2} {
		_, err := p.Run(ctx, kiln.Date(2024, 1, d))
		require.NoError(t, err, "day %d", d)
	}
	var all []string
	for d := 1; d <= 4; d++ {
		tbl, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, d))
		got := kafkaKeys(t, tbl)
		assert.Equal(t, []string{fmt.Sprintf("0@%d", (d-1)*3), fmt.Sprintf("0@%d", (d-1)*3+1), fmt.Sprintf("0@%d", (d-1)*3+2)}, got, "day %d", d)
		all = append(all, got...)
	}
	assertUnique(t, all)
}

func TestKafkaGapBoundedByALaterPartitionAnyDistanceAhead(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 1)
	lake := t.TempDir()
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events", UpToHighWater: true})
	y2027 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(1, 1), 0), kafkaRec(0, kafkaDay(1, 2), 1))
	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(2, 1), 2), kafkaRec(0, y2027, 3), kafkaRec(0, y2027, 4))
	_, err = p.Run(ctx, kiln.Date(2027, 1, 1))
	require.NoError(t, err)
	far, _ := landed(t, lake, "bronze.events", kiln.Date(2027, 1, 1))
	assert.Equal(t, []string{"0@3", "0@4"}, kafkaKeys(t, far))

	// Landing the gap late, up to the high-water mark: it stops where the
	// committed partition three years ahead begins.
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(2, 2), 5))
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.NoError(t, err)
	gap, m := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 2))
	assert.Equal(t, []string{"0@2"}, kafkaKeys(t, gap))
	assert.JSONEq(t, `{"topic":"events","ranges":[{"partition":0,"start":2,"end":3,"records":1}]}`, string(m.SourceState))
}

func TestKafkaAllPartitionUpToHighWater(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 2)
	lake := t.TempDir()
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events", Headers: true})
	r := kafkaRec(1, kafkaDay(9, 0), 1)
	r.Headers = []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}, {Key: "empty"}}
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(1, 0), 0), r, &kgo.Record{Partition: 0, Timestamp: kafkaDay(3, 0)})
	_, err := p.Run(ctx, kiln.All)
	require.NoError(t, err)
	tbl, m := landed(t, lake, "bronze.events", kiln.All)
	assert.Equal(t, []string{"0@0", "0@1", "1@0"}, kafkaKeys(t, tbl))
	assert.Equal(t, "events", kafkaStateJSON(t, m)["topic"])
	row := tableRow(t, tbl, 1)
	assert.Nil(t, row["key"], "a null key stays null")
	assert.Nil(t, row["value"])
	hdrs := tableRow(t, tbl, 2)["headers"]
	assert.Equal(t, `[{"key":"trace","value":"YWJj"},{"key":"empty","value":null}]`, hdrs)
}

func TestKafkaJSONValues(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 2)
	value := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "user_name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	cfg := source.KafkaConfig{Brokers: brokers, Topic: "events", Value: value, ValuePaths: map[string]string{"user_name": "user.name"}}
	kafkaProduce(t, brokers,
		kafkaRec(0, kafkaDay(1, 1), 1),
		&kgo.Record{Partition: 1, Timestamp: kafkaDay(1, 2), Value: []byte(`{"id": "seven"}`)},
		&kgo.Record{Partition: 0, Timestamp: kafkaDay(1, 3), Value: []byte(`{"id": 2,`)},
		&kgo.Record{Partition: 1, Timestamp: kafkaDay(1, 4)}, // a tombstone
		kafkaRec(1, kafkaDay(1, 5), 3),
	)

	// By default a bad value fails the run, naming where it is.
	lake := t.TempDir()
	_, err := kafkaPipeline(t, lake, cfg).Run(ctx, kiln.Date(2024, 1, 1))
	require.Error(t, err)
	assert.ErrorContains(t, err, "topic events partition 0 offset 1: invalid JSON at byte 0: unterminated object")
	assert.False(t, committedAt(lake, "bronze.events", kiln.Date(2024, 1, 1)))

	// With RejectBad the bad values go to the rejected dataset, in
	// partition and offset order.
	cfg.RejectBad = true
	_, err = kafkaPipeline(t, lake, cfg).Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	tbl, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	assert.Equal(t, []string{"0@0", "1@1", "1@2"}, kafkaKeys(t, tbl))
	assert.Equal(t, []string{"topic", "partition", "offset", "timestamp", "key", "id", "user_name"}, fieldNames(tbl.Schema()))
	assert.Equal(t, map[string]any{"topic": "events", "partition": int32(0), "offset": int64(0), "timestamp": "2024-01-01T01:00:00Z", "key": "k1", "id": int64(1), "user_name": "u1"}, tableRow(t, tbl, 0))
	assert.Nil(t, tableRow(t, tbl, 1)["id"], "a tombstone has null value columns")

	rej, _ := landed(t, lake, kiln.RejectedDataset("bronze.events"), kiln.Date(2024, 1, 1))
	require.EqualValues(t, 2, rej.NumRows())
	r0, r1 := tableRow(t, rej, 0), tableRow(t, rej, 1)
	assert.Equal(t, "topic events partition 0 offset 1", r0["_kiln_where"])
	assert.Contains(t, r0["_kiln_reason"], "invalid JSON")
	assert.Equal(t, `{"id": 2,`, r0["_kiln_raw"])
	assert.Equal(t, "topic events partition 1 offset 0", r1["_kiln_where"])
	assert.Contains(t, r1["_kiln_reason"], `column "id": want int64, got a string "seven"`)
}

func TestKafkaRetentionLossFailsReproduction(t *testing.T) {
	ctx := context.Background()
	p, brokers, lake := kafkaFiveLanded(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = "events"
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = 0, 3
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	_, err = req.RequestWith(ctx, cl)
	require.NoError(t, err)

	_, err = p.Run(ctx, kiln.Date(2024, 1, 1), kiln.Force())
	require.Error(t, err)
	assert.ErrorContains(t, err, "cannot reproduce bronze.events dt=2024-01-01 of topic events: partition 0 needs 0..5, the log holds 3..5")
	tbl, _ := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	assert.EqualValues(t, 5, tbl.NumRows(), "the committed partition stays")
}

func TestKafkaDownFailsCleanly(t *testing.T) {
	ctx := context.Background()
	c, brokers := kafkaCluster(t, 1)
	lake := t.TempDir()
	cfg := source.KafkaConfig{Brokers: brokers, Topic: "events", Retry: source.Backoff{Attempts: 3, Initial: time.Millisecond, Budget: time.Second}}
	p := kafkaPipeline(t, lake, cfg)
	kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(1, 1), 1))
	_, err := p.Run(ctx, kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	_, m1 := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))

	c.Close()
	_, err = p.Run(ctx, kiln.Date(2024, 1, 2))
	require.Error(t, err)
	assert.ErrorIs(t, err, source.ErrUnavailable)
	assert.ErrorContains(t, err, "topic events: metadata: unavailable: retries exhausted after 3 attempts")
	assert.ErrorContains(t, err, "connection refused")
	assert.False(t, committedAt(lake, "bronze.events", kiln.Date(2024, 1, 2)))
	_, m2 := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
	assert.Equal(t, m1.ContentHash, m2.ContentHash, "the previous partition is intact")
}

func TestKafkaSameBytesAtAnyGOMAXPROCS(t *testing.T) {
	ctx := context.Background()
	_, brokers := kafkaCluster(t, 3)
	for i := range 300 {
		kafkaProduce(t, brokers, kafkaRec(int32(i%3), kafkaDay(1, i%24), i))
	}
	var hashes []string
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		lake := t.TempDir()
		_, err := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events", Headers: true}).Run(ctx, kiln.Date(2024, 1, 1))
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		_, m := landed(t, lake, "bronze.events", kiln.Date(2024, 1, 1))
		hashes = append(hashes, m.ContentHash.String()+" "+m.Files[0].Hash.String())
	}
	assert.Equal(t, hashes[0], hashes[1])
}

func TestKafkaChangedRangeFailsReproduction(t *testing.T) {
	ctx := context.Background()
	p, _, lake := kafkaFiveLanded(t)
	// Pretend the range held one more record when it was landed (as if
	// compaction had removed one since).
	path := filepath.Join(lake, "bronze", "events", "dt=2024-01-01", "_kiln", "manifest.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), `"records": 5`)
	require.NoError(t, os.WriteFile(path, bytes.Replace(b, []byte(`"records": 5`), []byte(`"records": 6`), 1), 0o644))

	_, err = p.Run(ctx, kiln.Date(2024, 1, 1), kiln.Force())
	require.Error(t, err)
	assert.ErrorContains(t, err, "cannot reproduce bronze.events dt=2024-01-01: topic events partition 0 holds 5 records in [0,5), 6 were landed")
}

func TestKafkaConfigErrors(t *testing.T) {
	ctx := kiln.NewContext(context.Background(), "bronze.events", kiln.All)
	for _, c := range []struct {
		cfg source.KafkaConfig
		msg string
	}{
		{source.KafkaConfig{}, "no topic"},
		{source.KafkaConfig{Topic: "t", Start: "middle"}, `start "middle"`},
		{source.KafkaConfig{Topic: "t", Value: arrow.NewSchema([]arrow.Field{{Name: "offset", Type: arrow.PrimitiveTypes.Int64}}, nil)}, `value column "offset" clashes`},
		{source.KafkaConfig{Topic: "t", Value: arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)}, "not supported"},
		{source.KafkaConfig{Topic: "t", Value: arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil), ValuePaths: map[string]string{"w": "x"}}, `column "w", which is not in the schema`},
	} {
		_, err := source.Kafka(c.cfg).Schema(ctx)
		assert.ErrorContains(t, err, c.msg)
	}
}

func TestKafkaSpecHoldsNoBrokers(t *testing.T) {
	a := source.Kafka(source.KafkaConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "events"}).Spec()
	b := source.Kafka(source.KafkaConfig{Brokers: []string{"127.0.0.1:2"}, Topic: "events", IdleTimeout: time.Second, Retry: source.Backoff{Attempts: 2}}).Spec()
	assert.Equal(t, a, b, "brokers and tuning do not change the fingerprint")
}

// fieldNames lists a schema's column names.
func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// tableRow returns row i as column → value, with binary values as strings
// and timestamps in RFC 3339 (nested values as their JSON).
func tableRow(t testing.TB, tbl arrow.Table, i int) map[string]any {
	t.Helper()
	out := map[string]any{}
	for c, f := range tbl.Schema().Fields() {
		row := i
		for _, ch := range tbl.Column(c).Data().Chunks() {
			if row >= ch.Len() {
				row -= ch.Len()
				continue
			}
			if ch.IsNull(row) {
				out[f.Name] = nil
				break
			}
			switch a := ch.(type) {
			case *array.String:
				out[f.Name] = a.Value(row)
			case *array.Binary:
				out[f.Name] = string(a.Value(row))
			case *array.Int64:
				out[f.Name] = a.Value(row)
			case *array.Int32:
				out[f.Name] = a.Value(row)
			case *array.Float64:
				out[f.Name] = a.Value(row)
			case *array.Boolean:
				out[f.Name] = a.Value(row)
			case *array.Timestamp:
				out[f.Name] = a.Value(row).ToTime(f.Type.(*arrow.TimestampType).Unit).UTC().Format(time.RFC3339Nano)
			default:
				b, err := a.MarshalJSON()
				require.NoError(t, err)
				out[f.Name] = jsonElem(t, b, row)
			}
			break
		}
	}
	return out
}

func assertUnique(t testing.TB, keys []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, k := range keys {
		assert.False(t, seen[k], "landed twice: %s", k)
		seen[k] = true
	}
}
