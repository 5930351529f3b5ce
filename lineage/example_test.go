package lineage_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

// exampleLake builds the test pipeline's lake for two days and returns its
// directory (the caller removes it).
func exampleLake(listeners ...lineage.Listener) (string, *kiln.BackfillResult) {
	dir, err := os.MkdirTemp("", "kiln-lineage-example")
	if err != nil {
		log.Fatal(err)
	}
	parts, _ := kiln.Days("2024-01-01", "2024-01-02")
	b, err := buildPipeline(dir, CleanConfig{KeepViews: true}, listeners...).Backfill(context.Background(), parts)
	if err != nil {
		log.Fatal(err)
	}
	return dir, b
}

// Trace a gold partition back to the bronze partitions it was built from.
func ExampleCatalog_Trace() {
	lake, _ := exampleLake()
	defer os.RemoveAll(lake)
	cat := lineage.NewCatalog(lake, nil)
	tr, err := cat.Trace(context.Background(), "gold.user_3d", "dt=2024-01-02")
	if err != nil {
		log.Fatal(err)
	}
	// tr.WriteText(os.Stdout) prints the whole tree; here, the sources.
	for _, s := range tr.Sources {
		fmt.Println(s.Dataset, s.Partition, s.Rows, string(s.SourceState))
	}
	// Output:
	// bronze.events dt=2024-01-01 300 {"last_event_id":299}
	// bronze.events dt=2024-01-02 300 {"last_event_id":1000299}
}

// Impact lists what a change to a source would reach.
func ExampleCatalog_Impact() {
	lake, _ := exampleLake()
	defer os.RemoveAll(lake)
	im, err := lineage.NewCatalog(lake, nil).Impact(context.Background(), "bronze.events", "dt=2024-01-01")
	if err != nil {
		log.Fatal(err)
	}
	if err := im.WriteText(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// downstream of bronze.events dt=2024-01-01: 3 datasets
	//   1  silver.events  [pipeline shop]  <- bronze.events (same)
	//        1 partitions: dt=2024-01-01
	//   2  gold.user_daily  [pipeline shop]  <- silver.events (same)
	//        1 partitions: dt=2024-01-01
	//   3  gold.user_3d  [pipeline shop]  <- gold.user_daily (lookback)
	//        2 partitions: dt=2024-01-01 dt=2024-01-02
}

// Diff two runs of a partition after a config change.
func ExampleCatalog_Diff() {
	lake, _ := exampleLake()
	defer os.RemoveAll(lake)
	ctx := context.Background()
	a, err := buildPipeline(lake, CleanConfig{KeepViews: true}).Run(ctx, kiln.Date(2024, 1, 2))
	if err != nil {
		log.Fatal(err)
	}
	b, err := buildPipeline(lake, CleanConfig{KeepViews: false}).Run(ctx, kiln.Date(2024, 1, 2))
	if err != nil {
		log.Fatal(err)
	}
	d, err := lineage.NewCatalog(lake, nil).Diff(ctx, a.RunID, b.RunID)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range d.Changed() {
		fmt.Println(n.Node, n.Partition, n.Causes, n.Root())
	}
	// Output:
	// silver.events dt=2024-01-01 [config] true
	// silver.events dt=2024-01-02 [config] true
	// gold.user_daily dt=2024-01-01 [upstream] false
	// gold.user_daily dt=2024-01-02 [upstream] false
	// gold.user_3d dt=2024-01-02 [upstream] false
}

// Emit OpenLineage events to the lake's events file and, when a URL is
// given, to an HTTP endpoint such as Marquez's (an outage there never
// fails the run).
func ExampleNewOpenLineage() {
	dir, err := os.MkdirTemp("", "kiln-openlineage-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ol, err := lineage.NewOpenLineage(lineage.OpenLineageConfig{
		Lake: dir,
		// HTTP: lineage.HTTPConfig{URL: "http://localhost:5000/api/v1/lineage"},
	})
	if err != nil {
		log.Fatal(err)
	}
	p := buildPipeline(dir, CleanConfig{KeepViews: true}, ol)
	if _, err := p.Run(context.Background(), kiln.Date(2024, 1, 1)); err != nil {
		log.Fatal(err)
	}
	if err := ol.Close(context.Background()); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(ol.EventsFile())
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		for _, typ := range []string{"START", "COMPLETE", "FAIL", "ABORT"} {
			if strings.Contains(sc.Text(), `"eventType":"`+typ+`"`) {
				counts[typ]++
			}
		}
	}
	fmt.Println(counts)
	// Output:
	// map[COMPLETE:7 START:7]
}
