package quality_test

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
)

// exampleTable returns a small table of events.
func exampleTable() arrow.Table {
	mem := memory.DefaultAllocator
	ids := array.NewInt64Builder(mem)
	ids.AppendValues([]int64{1, 2, 3, 3, 5}, nil)
	amounts := array.NewFloat64Builder(mem)
	amounts.AppendValues([]float64{12.5, -1, 40, 0, 7}, []bool{true, true, true, false, true})
	kinds := array.NewStringBuilder(mem)
	kinds.AppendValues([]string{"view", "view", "purchase", "refund", "view"}, nil)
	s := arrow.NewSchema([]arrow.Field{
		{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "kind", Type: arrow.BinaryTypes.String},
	}, nil)
	rec := array.NewRecordBatch(s, []arrow.Array{ids.NewArray(), amounts.NewArray(), kinds.NewArray()}, 5)
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

// Checks can be evaluated outside a pipeline, as tests do.
func ExampleBetween() {
	ctx := kiln.NewContext(context.Background(), "silver.events", kiln.Date(2024, 1, 30))
	res, err := quality.Between("amount", 0, 100).Mostly(0.75).Evaluate(ctx, exampleTable())
	if err != nil {
		panic(err)
	}
	fmt.Printf("success=%v unexpected=%d of %d non-null (%.0f%%), sample row %d value %v\n",
		res.Success, res.UnexpectedCount, res.ElementCount-res.MissingCount, res.UnexpectedPercent,
		res.Unexpected[0].Row, res.Unexpected[0].Value)
	// Output: success=true unexpected=1 of 4 non-null (25%), sample row 1 value -1
}

func ExampleUnique() {
	ctx := kiln.NewContext(context.Background(), "silver.events", kiln.Date(2024, 1, 30))
	res, _ := quality.Unique("event_id").Evaluate(ctx, exampleTable())
	fmt.Println(res.Success, res.UnexpectedCount, res.Unexpected)
	// Output: false 2 [{2 3} {3 3}]
}

func ExampleMean() {
	ctx := kiln.NewContext(context.Background(), "silver.events", kiln.Date(2024, 1, 30))
	res, _ := quality.Mean("amount").Between(0, 10).Evaluate(ctx, exampleTable())
	fmt.Println(res.Success, res.Observed, res.Expected)
	// Output: false 14.625 mean in [0, 10]
}

// A report prints check results as a table.
func ExampleNewReport() {
	ctx := kiln.NewContext(context.Background(), "silver.events", kiln.Date(2024, 1, 30))
	var results []kiln.CheckResult
	for _, c := range []kiln.Check{
		quality.NotNull("amount"),
		quality.InSet("kind", "view", "purchase").Warn(),
		quality.RowCount().Between(1, 1000),
	} {
		res, err := c.Evaluate(ctx, exampleTable())
		if err != nil {
			panic(err)
		}
		results = append(results, res)
	}
	_ = quality.NewReport(results).WriteText(os.Stdout)
	// Output:
	// CHECK      COLUMN  OBSERVED  EXPECTED                UNEXPECTED  STATUS
	// not_null   amount  -         not null                20.00% (1)  FAIL
	// in_set     kind    -         in {view, purchase}     20.00% (1)  WARN
	// row_count  -       5         row_count in [1, 1000]  -           pass
	// 3 checks: 1 passed, 1 failed, 1 warned, 0 quarantined; pass rate 33.3%
}

// Attach checks to a node; drift checks compare each partition with the
// previous one through the profiles stored in manifests.
func ExampleProfile() {
	type Event struct {
		ID     int64     `kiln:"event_id"`
		Amount float64   `kiln:"amount"`
		TS     time.Time `kiln:"ts"`
	}
	src := kiln.SourceFunc("example.events", "v1", func(ctx *kiln.Context, _ struct{}) iter.Seq2[Event, error] {
		return func(yield func(Event, error) bool) {
			for i := range 100 {
				t := ctx.Partition().Start().Add(time.Duration(i) * 10 * time.Minute)
				if !yield(Event{ID: int64(i), Amount: float64(i % 10), TS: t}, nil) {
					return
				}
			}
		}
	})
	lake, _ := os.MkdirTemp("", "kiln-example")
	defer os.RemoveAll(lake)
	p := kiln.New("example", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	p.Source("bronze.events", src).Check(
		quality.Unique("event_id"),
		quality.Freshness("ts", 8*time.Hour),
		quality.KS("amount", 0.1).Warn(),
		quality.Profile(),
	)
	for _, d := range []string{"2024-01-29", "2024-01-30"} {
		part, _ := kiln.ParsePartition("dt=" + d)
		res, err := p.Run(context.Background(), part)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s pass rate %.0f%%\n", d, 100*res.QualityPassRate())
	}
	rep, _ := quality.ReadReport(lake, "bronze.events", kiln.Date(2024, 1, 30))
	for _, r := range rep.Results {
		fmt.Println(r.Check, r.Success, r.Observed)
	}
	// Output:
	// 2024-01-29 pass rate 100%
	// 2024-01-30 pass rate 100%
	// unique true <nil>
	// freshness true map[lag:7h30m0s lag_seconds:27000 latest:2024-01-30T16:30:00Z]
	// ks true map[p_value:1 statistic:0]
	// profile true 3
}
