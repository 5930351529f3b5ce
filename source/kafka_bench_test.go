package source_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// BenchmarkKafkaLanding lands 1M small records (4 partitions, ~60-byte
// values) from an in-process kfake cluster per iteration: raw bytes, and
// values decoded as JSON.
func BenchmarkKafkaLanding(b *testing.B) {
	const n, parts = 1_000_000, 4
	_, brokers := kafkaCluster(b, parts)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("events"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	var perr error
	var mu sync.Mutex
	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var bytes int64
	for i := range n {
		wg.Add(1)
		v := fmt.Appendf(nil, `{"id": %d, "user": {"name": "u%d"}, "amount": %d.5}`, i, i%1000, i%977)
		bytes += int64(len(v))
		cl.Produce(context.Background(), &kgo.Record{Partition: int32(i % parts), Timestamp: ts, Key: fmt.Appendf(nil, "k%d", i%5000), Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	cl.Close()
	if perr != nil {
		b.Fatal(perr)
	}
	value := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "user_name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	for _, c := range []struct {
		name string
		cfg  source.KafkaConfig
	}{
		{"bytes", source.KafkaConfig{Brokers: brokers, Topic: "events"}},
		{"json", source.KafkaConfig{Brokers: brokers, Topic: "events", Value: value, ValuePaths: map[string]string{"user_name": "user.name"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			src := source.Kafka(c.cfg)
			b.SetBytes(bytes)
			for b.Loop() {
				tbl, err := src.Read(kiln.NewContext(context.Background(), "bronze.events", kiln.All))
				if err != nil {
					b.Fatal(err)
				}
				if tbl.NumRows() != n {
					b.Fatalf("landed %d records, want %d", tbl.NumRows(), n)
				}
				tbl.Release()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
