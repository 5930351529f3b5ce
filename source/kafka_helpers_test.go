package source_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/internal/arrowx"
	"github.com/kiln-data/kiln/internal/pq"
	"github.com/kiln-data/kiln/lineage"
	"github.com/kiln-data/kiln/source"
)

// kafkaCluster starts an in-process Kafka cluster (kfake, on loopback) with
// the topic "events" of n partitions.
func kafkaCluster(t testing.TB, n int32) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(n, "events"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// kafkaProduce writes records synchronously, each to its set partition.
func kafkaProduce(t testing.TB, brokers []string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0), kgo.DefaultProduceTopic("events"))
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
}

// kafkaRec is a record for partition p stamped at ts with a JSON value.
func kafkaRec(p int32, ts time.Time, id int) *kgo.Record {
	return &kgo.Record{
		Partition: p,
		Timestamp: ts,
		Key:       fmt.Appendf(nil, "k%d", id),
		Value:     fmt.Appendf(nil, `{"id": %d, "user": {"name": "u%d"}}`, id, id%7),
	}
}

// kafkaFiveLanded lands five records of a one-partition topic as
// 2024-01-01 of a new lake, and returns the pipeline, the brokers and the
// lake.
func kafkaFiveLanded(t testing.TB) (*kiln.Pipeline, []string, string) {
	t.Helper()
	_, brokers := kafkaCluster(t, 1)
	lake := t.TempDir()
	p := kafkaPipeline(t, lake, source.KafkaConfig{Brokers: brokers, Topic: "events"})
	for i := range 5 {
		kafkaProduce(t, brokers, kafkaRec(0, kafkaDay(1, i), i))
	}
	_, err := p.Run(context.Background(), kiln.Date(2024, 1, 1))
	require.NoError(t, err)
	return p, brokers, lake
}

// kafkaDay returns a time on 2024-01-d.
func kafkaDay(d int, hour int) time.Time { return time.Date(2024, 1, d, hour, 0, 0, 0, time.UTC) }

// landed reads a committed partition back from the lake with its manifest.
func landed(t testing.TB, lake, dataset string, part kiln.Partition) (arrow.Table, *lineage.Manifest) {
	t.Helper()
	dir := filepath.Join(lake, filepath.FromSlash(strings.ReplaceAll(dataset, ".", "/")), filepath.FromSlash(part.Dir()))
	b, err := os.ReadFile(filepath.Join(dir, "_kiln", "manifest.json"))
	require.NoError(t, err, "partition %s of %s is not committed", part, dataset)
	m, err := lineage.UnmarshalManifest(b)
	require.NoError(t, err)
	var tables []arrow.Table
	var schema *arrow.Schema
	for _, f := range m.Files {
		tbl, err := pq.ReadFile(context.Background(), filepath.Join(dir, filepath.FromSlash(f.Path)), pq.ReadOptions{})
		require.NoError(t, err)
		schema = tbl.Schema()
		tables = append(tables, tbl)
	}
	if schema == nil {
		return nil, m
	}
	tbl, err := arrowx.Concat(schema, tables)
	require.NoError(t, err)
	return tbl, m
}

// committedAt reports whether a dataset partition has a manifest.
func committedAt(lake, dataset string, part kiln.Partition) bool {
	dir := filepath.Join(lake, filepath.FromSlash(strings.ReplaceAll(dataset, ".", "/")), filepath.FromSlash(part.Dir()))
	_, err := os.Stat(filepath.Join(dir, "_kiln", "manifest.json"))
	return err == nil
}

// int64Column returns a column's values, in row order.
func int64Column(t testing.TB, tbl arrow.Table, name string) []int64 {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	require.Len(t, idx, 1, "column %s", name)
	var out []int64
	for _, c := range tbl.Column(idx[0]).Data().Chunks() {
		switch a := c.(type) {
		case *array.Int64:
			out = append(out, a.Int64Values()...)
		case *array.Int32:
			for _, v := range a.Int32Values() {
				out = append(out, int64(v))
			}
		default:
			t.Fatalf("column %s is %s", name, c.DataType())
		}
	}
	return out
}

// kafkaKeys lists the (partition, offset) pairs of a landed table, in row
// order.
func kafkaKeys(t testing.TB, tbl arrow.Table) []string {
	t.Helper()
	if tbl == nil {
		return nil
	}
	ps, os := int64Column(t, tbl, "partition"), int64Column(t, tbl, "offset")
	out := make([]string, len(ps))
	for i := range ps {
		out[i] = fmt.Sprintf("%d@%d", ps[i], os[i])
	}
	return out
}

// kafkaStateJSON decodes a manifest's source state.
func kafkaStateJSON(t testing.TB, m *lineage.Manifest) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(m.SourceState, &v))
	return v
}

// toggleCheck fails while its flag is set: a downstream gate that makes a
// run fail after the source was read.
type toggleCheck struct{ fail *atomic.Bool }

func (c toggleCheck) Spec() kiln.Spec { return kiln.Spec{Name: "test.toggle", Version: "1"} }

func (c toggleCheck) Evaluate(_ *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	return kiln.CheckResult{Check: "toggle", Severity: kiln.SeverityError, Success: !c.fail.Load(), ElementCount: t.NumRows()}, nil
}

// partCheck fails on one partition while its flag is set.
type partCheck struct {
	part kiln.Partition
	fail *atomic.Bool
}

func (c partCheck) Spec() kiln.Spec { return kiln.Spec{Name: "test.part", Version: "1"} }

func (c partCheck) Evaluate(ctx *kiln.Context, t arrow.Table) (kiln.CheckResult, error) {
	bad := c.fail.Load() && ctx.Partition().String() == c.part.String()
	return kiln.CheckResult{Check: "part", Severity: kiln.SeverityError, Success: !bad, ElementCount: t.NumRows()}, nil
}

// jsonElem returns element i of a JSON array, compacted.
func jsonElem(t testing.TB, b []byte, i int) string {
	t.Helper()
	var arr []json.RawMessage
	require.NoError(t, json.Unmarshal(b, &arr))
	require.Greater(t, len(arr), i)
	var out bytes.Buffer
	require.NoError(t, json.Compact(&out, arr[i]))
	return out.String()
}
