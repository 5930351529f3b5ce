package source_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
	"github.com/kiln-data/kiln/source"
)

// Land a topic into daily bronze partitions. Each partition records the
// offsets it covers, so the next day continues exactly where it ended.
func ExampleKafka() {
	cluster, _ := kfake.NewCluster(kfake.SeedTopics(1, "orders"))
	defer cluster.Close()
	producer, _ := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic("orders"))
	defer producer.Close()
	for i, ts := range []time.Time{
		time.Date(2024, 1, 30, 9, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 30, 17, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 31, 8, 0, 0, 0, time.UTC),
	} {
		producer.ProduceSync(context.Background(), &kgo.Record{Timestamp: ts, Value: fmt.Appendf(nil, `{"order": %d}`, i)})
	}

	lake, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(lake)
	p := kiln.New("shop", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	p.Source("bronze.orders", source.Kafka(source.KafkaConfig{Brokers: cluster.ListenAddrs(), Topic: "orders"}))
	for _, day := range []kiln.Partition{kiln.Date(2024, 1, 30), kiln.Date(2024, 1, 31)} {
		res, err := p.Run(context.Background(), day)
		if err != nil {
			fmt.Println(err)
			return
		}
		n, _ := res.Node("bronze.orders")
		m, _ := lineage.ReadManifest(lake, "bronze.orders", day.String())
		var state bytes.Buffer
		_ = json.Compact(&state, m.SourceState)
		fmt.Println(day, n.Rows, "rows", state.String())
	}
	// Output:
	// dt=2024-01-30 2 rows {"topic":"orders","ranges":[{"partition":0,"start":0,"end":2,"records":2}]}
	// dt=2024-01-31 1 rows {"topic":"orders","ranges":[{"partition":0,"start":2,"end":3,"records":1}]}
}
