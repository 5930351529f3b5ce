package kiln_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kiln-data/kiln"
)

// A pipeline program's main: kiln.Main turns it into a command-line tool
// (run, backfill, verify, plan, status, trace, impact, quality, report).
//
//	$ go run ./cmd/shop run --partition 2024-01-30
//	$ go run ./cmd/shop backfill --from 2024-01-01 --to 2024-01-30 --parallel 4 --report
//	$ go run ./cmd/shop status
func ExampleMain() {
	p := kiln.New("shop", kiln.WithLake("lake"))
	o := p.Source("bronze.orders", kiln.SourceFunc("example.orders", "v1", orders))
	p.Transform("gold.spend", spend, o)
	kiln.Main(p)
}

// MainArgs is Main without os.Exit, for tests and for programs that add
// their own commands.
func ExampleMainArgs() {
	lake, _ := os.MkdirTemp("", "kiln-example-")
	defer os.RemoveAll(lake)
	p := kiln.New("shop")
	o := p.Source("bronze.orders", kiln.SourceFunc("example.orders", "v1", orders))
	p.Transform("gold.spend", spend, o)

	code := kiln.MainArgs(context.Background(), p, []string{"plan", "--format", "mermaid"}, os.Stdout, os.Stderr)
	fmt.Println("exit code", code)

	var out strings.Builder
	code = kiln.MainArgs(context.Background(), p, []string{"--lake", lake, "--progress", "off", "--log-level", "warn",
		"quality", "gold.spend", "2024-01-30"}, &out, &out)
	fmt.Println("exit code", code)
	// Output:
	// flowchart LR
	//   n0["bronze.orders<br/>source: example.orders v1"]
	//   n1["gold.spend<br/>transform: example.spend v1"]
	//   n0 --> n1
	//   classDef source fill:#e7f5ff,stroke:#1c7ed6
	//   class n0 source
	//   classDef transform fill:#f3f0ff,stroke:#7048e8
	//   class n1 transform
	// exit code 0
	// exit code 1
}

// Metrics are Prometheus collectors registered in your own registry; a
// pipeline reports to them as a listener.
func ExampleNewMetrics() {
	lake, _ := os.MkdirTemp("", "kiln-example-")
	defer os.RemoveAll(lake)
	reg := prometheus.NewRegistry()
	m, err := kiln.NewMetrics(reg, kiln.MetricsLake(lake))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := kiln.New("shop", kiln.WithLake(lake), kiln.WithListener(m), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	o := p.Source("bronze.orders", kiln.SourceFunc("example.orders", "v1", orders))
	p.Transform("gold.spend", spend, o)
	for range 2 {
		if _, err := p.Run(context.Background(), kiln.Date(2024, 1, 30)); err != nil {
			fmt.Println(err)
			return
		}
	}
	fams, _ := reg.Gather()
	for _, f := range fams {
		switch f.GetName() {
		case "rows_processed_total", "cache_hits_total", "runs_total":
			for _, s := range f.GetMetric() {
				var labels []string
				for _, l := range s.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				fmt.Printf("%s{%s} %g\n", f.GetName(), strings.Join(labels, ","), s.GetCounter().GetValue())
			}
		}
	}
	// Output:
	// cache_hits_total{node=bronze.orders,pipeline=shop} 1
	// cache_hits_total{node=gold.spend,pipeline=shop} 1
	// rows_processed_total{node=bronze.orders,pipeline=shop} 3
	// rows_processed_total{node=gold.spend,pipeline=shop} 2
	// runs_total{pipeline=shop,status=succeeded} 2
}
