package kiln_test

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
)

// Order is a typed row for the examples.
type Order struct {
	OrderID  int64     `kiln:"order_id"`
	Customer string    `kiln:"customer"`
	Amount   float64   `kiln:"amount"`
	At       time.Time `kiln:"at"`
}

// orders yields three orders for the partition's day.
func orders(ctx *kiln.Context, _ struct{}) iter.Seq2[Order, error] {
	return func(yield func(Order, error) bool) {
		day := ctx.Partition().Start()
		for i, c := range []string{"ada", "bob", "ada"} {
			o := Order{OrderID: int64(i + 1), Customer: c, Amount: float64(10 * (i + 1)), At: day.Add(time.Duration(i) * time.Hour)}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// Spend is the per-customer output row.
type Spend struct {
	Customer string  `kiln:"customer"`
	Total    float64 `kiln:"total"`
}

// spend sums amounts per customer, in order of first appearance.
var spend = kiln.Func("example.spend", "v1", func(_ *kiln.Context, _ struct{}, in arrow.Table) (arrow.Table, error) {
	rows, err := kiln.Rows[Order](in)
	if err != nil {
		return nil, err
	}
	var out []Spend
	idx := map[string]int{}
	for _, o := range rows {
		i, ok := idx[o.Customer]
		if !ok {
			i = len(out)
			idx[o.Customer] = i
			out = append(out, Spend{Customer: o.Customer})
		}
		out[i].Total += o.Amount
	}
	return kiln.TableOf(out)
})

func Example() {
	lake, _ := os.MkdirTemp("", "kiln-example-")
	defer os.RemoveAll(lake)

	p := kiln.New("shop", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	src := p.Source("bronze.orders", kiln.SourceFunc("example.orders", "v1", orders))
	p.Transform("gold.spend", spend, src)

	ctx := context.Background()
	res, err := p.Run(ctx, kiln.Date(2024, 1, 30))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range res.Nodes {
		fmt.Println(n.Node, n.Partition, n.Status, n.Rows)
	}
	again, _ := p.Run(ctx, kiln.Date(2024, 1, 30))
	fmt.Println("cache hits on rerun:", again.Count(kiln.StatusCached))
	// Output:
	// bronze.orders dt=2024-01-30 computed 3
	// gold.spend dt=2024-01-30 computed 2
	// cache hits on rerun: 2
}

func ExampleRows() {
	tbl, _ := kiln.TableOf([]Spend{{"ada", 40}, {"bob", 20}})
	fmt.Println(tbl.Schema().Field(1))
	rows, _ := kiln.Rows[Spend](tbl)
	fmt.Println(rows)
	// Output:
	// total: type=float64
	// [{ada 40} {bob 20}]
}

func ExampleParsePartition() {
	p, _ := kiln.ParsePartition("dt=2024-01-30")
	fmt.Println(p, p.Start().Format(time.RFC3339), p.End().Format(time.RFC3339))
	fmt.Println(p.Add(-29))
	// Output:
	// dt=2024-01-30 2024-01-30T00:00:00Z 2024-01-31T00:00:00Z
	// dt=2024-01-01
}

func ExamplePipeline_Plan() {
	p := kiln.New("shop", kiln.WithLogger(slog.New(slog.DiscardHandler)))
	src := p.Source("bronze.orders", kiln.SourceFunc("example.orders", "v1", orders))
	p.Transform("gold.spend", spend, src)
	plan, _ := p.Plan(context.Background())
	fmt.Print(plan)
	// Output:
	// pipeline shop
	//   source bronze.orders (example.orders v1)
	//       order_id int64
	//       customer utf8
	//       amount float64
	//       at timestamp[us, tz=UTC]
	//   transform gold.spend (example.spend v1) <- bronze.orders
	//       customer utf8
	//       total float64
}

func ExampleLookback() {
	lake, _ := os.MkdirTemp("", "kiln-example-")
	defer os.RemoveAll(lake)
	p := kiln.New("shop", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.DiscardHandler)))
	src := p.Source("bronze.orders", kiln.SourceFunc("example.orders", "v1", orders))
	p.Transform("gold.spend_3d", spend, kiln.Lookback(src, 3*kiln.Day))
	res, _ := p.Run(context.Background(), kiln.Date(2024, 1, 30))
	n, _ := res.Node("gold.spend_3d")
	for _, in := range n.Inputs {
		fmt.Println(in.Dataset, in.Partition, in.Mapping)
	}
	// Output:
	// bronze.orders dt=2024-01-28 lookback
	// bronze.orders dt=2024-01-29 lookback
	// bronze.orders dt=2024-01-30 lookback
}
