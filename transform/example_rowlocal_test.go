package transform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/transform"
)

// rlExTable builds a table from JSON rows and name/type pairs.
func rlExTable(rows string, pairs ...any) arrow.Table {
	var fields []arrow.Field
	for i := 0; i < len(pairs); i += 2 {
		fields = append(fields, arrow.Field{Name: pairs[i].(string), Type: pairs[i+1].(arrow.DataType), Nullable: true})
	}
	s := arrow.NewSchema(fields, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, s, strings.NewReader(rows))
	if err != nil {
		panic(err)
	}
	return array.NewTableFromRecords(s, []arrow.RecordBatch{rec})
}

// rlExRun applies a transform to one table, as a pipeline node would.
func rlExRun(tr kiln.Transform, in arrow.Table) arrow.Table {
	out, err := tr.Apply(kiln.NewContext(context.Background(), "example", kiln.All), []arrow.Table{in})
	if err != nil {
		fmt.Println("error:", err)
		return nil
	}
	return out
}

// rlExPrint prints a table row by row.
func rlExPrint(t arrow.Table) {
	if t == nil {
		return
	}
	tr := array.NewTableReader(t, 1024)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := range int(rec.NumRows()) {
			var parts []string
			for j, f := range rec.Schema().Fields() {
				parts = append(parts, f.Name+"="+rec.Column(j).ValueStr(i))
			}
			fmt.Println(strings.Join(parts, " "))
		}
	}
}

var (
	rlExF64 = arrow.PrimitiveTypes.Float64
	rlExI64 = arrow.PrimitiveTypes.Int64
	rlExStr = arrow.BinaryTypes.String
	rlExTS  = &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}
)

func ExampleFilter() {
	events := rlExTable(`[{"user": "a", "amount": 12.5}, {"user": "b", "amount": null}, {"user": "c", "amount": 120}]`,
		"user", rlExStr, "amount", rlExF64)
	// Rows where the predicate is null (here: amount is null) are dropped.
	rlExPrint(rlExRun(transform.Filter(transform.Col("amount").Lt(transform.Lit(100))), events))
	// Output:
	// user=a amount=12.5
}

func ExampleDerive() {
	orders := rlExTable(`[{"price": 2.5, "qty": 4, "ts": 1706659200}, {"price": 10, "qty": 0, "ts": 1706745600}]`,
		"price", rlExF64, "qty", rlExI64, "ts", rlExTS)
	chain := transform.Chain(
		transform.Derive("revenue", transform.Col("price").Mul(transform.Col("qty"))),
		// Division by zero gives null, not an error or +Inf.
		transform.Derive("unit_share", transform.Lit(1).Div(transform.Col("qty"))),
		transform.Derive("weekend", transform.Col("ts").IsWeekend()),
		transform.Derive("size", transform.Case().
			When(transform.Col("revenue").Ge(transform.Lit(10)), transform.Lit("large")).
			Else(transform.Lit("small"))),
	)
	rlExPrint(rlExRun(chain, orders))
	// Output:
	// price=2.5 qty=4 ts=2024-01-31T00:00:00Z revenue=10 unit_share=0.25 weekend=false size=large
	// price=10 qty=0 ts=2024-02-01T00:00:00Z revenue=0 unit_share=(null) weekend=false size=small
}

func ExampleExpr_MarshalJSON() {
	e := transform.Col("event_type").Lower().Eq(transform.Lit("purchase")).And(transform.Col("amount").IsNotNull())
	b, _ := json.Marshal(e)
	fmt.Println(e)
	fmt.Println(string(b))
	// Output:
	// ((lower(event_type) = 'purchase') AND (amount IS NOT NULL))
	// {"op":"and","args":[{"op":"eq","args":[{"op":"lower","args":[{"op":"col","name":"event_type"}]},{"op":"lit","type":"utf8","value":"purchase"}]},{"op":"is_not_null","args":[{"op":"col","name":"amount"}]}]}
}

func ExampleSelect() {
	t := rlExTable(`[{"a": 1, "b": "x", "c": 2.5}]`, "a", rlExI64, "b", rlExStr, "c", rlExF64)
	rlExPrint(rlExRun(transform.Chain(
		transform.Select("c", "a"),
		transform.Rename(map[string]string{"c": "score"}),
	), t))
	// Output:
	// score=2.5 a=1
}

func ExampleCast() {
	t := rlExTable(`[{"qty": "3"}, {"qty": "3.5"}, {"qty": null}]`, "qty", rlExStr)
	rlExRun(transform.Cast("qty", rlExI64), t)
	rlExPrint(rlExRun(transform.Cast("qty", rlExI64).AllowLossy(), t))
	// Output:
	// error: transform.cast: row 1: column "qty": value "3.5": cannot cast to int64: not a number
	// qty=3
	// qty=(null)
	// qty=(null)
}

func ExampleFillNulls() {
	t := rlExTable(`[{"amount": null, "country": null}, {"amount": 4.5, "country": "FR"}]`, "amount", rlExF64, "country", rlExStr)
	rlExPrint(rlExRun(transform.FillNulls(map[string]any{"amount": 0, "country": "unknown"}), t))
	// Output:
	// amount=0 country=unknown
	// amount=4.5 country=FR
}

func ExampleDropNulls() {
	t := rlExTable(`[{"user_id": 1, "amount": null}, {"user_id": null, "amount": 2}]`, "user_id", rlExI64, "amount", rlExF64)
	out := rlExRun(transform.DropNulls("user_id"), t)
	rlExPrint(out)
	fmt.Println("user_id nullable:", out.Schema().Field(0).Nullable)
	// Output:
	// user_id=1 amount=(null)
	// user_id nullable: false
}

func ExampleParseTimestamp() {
	t := rlExTable(`[{"at": "2024-01-30T10:00:00+02:00"}, {"at": "2024-01-30 10:00:00"}]`, "at", rlExStr)
	// Strings without an offset are wall times in the zone given (UTC by default).
	rlExPrint(rlExRun(transform.ParseTimestamp("at").Zone("America/New_York").Unit(arrow.Second), t))
	// Output:
	// at=2024-01-30T08:00:00Z
	// at=2024-01-30T15:00:00Z
}

func ExampleFromEpoch() {
	t := rlExTable(`[{"created": 1706608800123}]`, "created", rlExI64)
	rlExPrint(rlExRun(transform.FromEpoch("created", arrow.Millisecond), t))
	// Output:
	// created=2024-01-30T10:00:00.123Z
}

func ExampleToUTC() {
	naive := &arrow.TimestampType{Unit: arrow.Second}
	t := rlExTable(`[{"local": 1706608800}]`, "local", naive) // 2024-01-30 10:00 on a Paris wall clock
	rlExPrint(rlExRun(transform.ToUTC("local").Assume("+01:00"), t))
	// Output:
	// local=2024-01-30T09:00:00Z
}

func ExampleStandardScaler() {
	ctx := context.Background()
	train := rlExTable(`[{"amount": 1}, {"amount": 2}, {"amount": 3}, {"amount": null}]`, "amount", rlExF64)
	art, err := transform.StandardScaler("amount").Fit(ctx, train)
	if err != nil {
		panic(err)
	}
	fmt.Println(art.Kind, string(art.Params))

	// The artifact is plain JSON: store it, load it elsewhere, apply it.
	b, _ := json.Marshal(art)
	loaded, err := transform.ParseArtifact(b)
	if err != nil {
		panic(err)
	}
	serve := rlExTable(`[{"amount": 2}, {"amount": 5}]`, "amount", rlExF64)
	rlExPrint(rlExRun(transform.Apply(loaded), serve))
	// Output:
	// standard_scaler {"columns":[{"center":2,"count":3,"max":3,"mean":2,"min":1,"name":"amount","scale":0.816496580927726,"std":0.816496580927726}]}
	// amount=0
	// amount=3.6742346141747673
}

func ExampleOneHot() {
	ctx := context.Background()
	train := rlExTable(`[{"type": "view"}, {"type": "purchase"}, {"type": "view"}]`, "type", rlExStr)
	art, _ := transform.OneHot("type").Fit(ctx, train)
	// Unseen values go to the unknown bucket type__other.
	rlExPrint(rlExRun(transform.Apply(art), rlExTable(`[{"type": "view"}, {"type": "refund"}]`, "type", rlExStr)))
	// Output:
	// type_purchase=0 type_view=1 type__other=0
	// type_purchase=0 type_view=0 type__other=1
}

func ExampleOrdinal() {
	ctx := context.Background()
	train := rlExTable(`[{"plan": "pro"}, {"plan": "free"}, {"plan": "free"}]`, "plan", rlExStr)
	art, _ := transform.Ordinal("plan").Fit(ctx, train)
	rlExPrint(rlExRun(transform.Apply(art), rlExTable(`[{"plan": "free"}, {"plan": "pro"}, {"plan": "team"}, {"plan": null}]`, "plan", rlExStr)))
	// Output:
	// plan=1
	// plan=2
	// plan=0
	// plan=(null)
}

func ExampleTargetEncode() {
	ctx := context.Background()
	train := rlExTable(`[{"city": "a", "clicked": 1}, {"city": "a", "clicked": 1}, {"city": "b", "clicked": 0}, {"city": "b", "clicked": 1}]`,
		"city", rlExStr, "clicked", rlExF64)
	// prior 0.75; a: (2*1 + 2*0.75) / 4; b: (2*0.5 + 2*0.75) / 4; unseen: prior.
	art, _ := transform.TargetEncode("clicked", "city").Smoothing(2).Fit(ctx, train)
	rlExPrint(rlExRun(transform.Apply(art), rlExTable(`[{"city": "a"}, {"city": "b"}, {"city": "z"}]`, "city", rlExStr)))
	// Output:
	// city=0.875
	// city=0.625
	// city=0.75
}

func ExampleImputeMedian() {
	ctx := context.Background()
	t := rlExTable(`[{"age": 20}, {"age": null}, {"age": 40}, {"age": 31}]`, "age", rlExI64)
	art, _ := transform.ImputeMedian("age").Fit(ctx, t)
	rlExPrint(rlExRun(transform.Apply(art), t))
	// Output:
	// age=20
	// age=31
	// age=40
	// age=31
}

func ExampleBucketize() {
	ctx := context.Background()
	t := rlExTable(`[{"amount": 5}, {"amount": 10}, {"amount": 250}]`, "amount", rlExF64)
	art, _ := transform.Bucketize("amount", 10, 100).Fit(ctx, t)
	rlExPrint(rlExRun(transform.Apply(art), t))
	// Output:
	// amount=0
	// amount=1
	// amount=2
}

func ExampleHashBuckets() {
	ctx := context.Background()
	t := rlExTable(`[{"item": "sku-1"}, {"item": "sku-2"}, {"item": "sku-1"}]`, "item", rlExStr)
	art, _ := transform.HashBuckets("item", 1024).Fit(ctx, t)
	rlExPrint(rlExRun(transform.Apply(art), t))
	// Output:
	// item=908
	// item=165
	// item=908
}

func ExampleApplied_ApplyRecord() {
	ctx := context.Background()
	train := rlExTable(`[{"amount": 10}, {"amount": 20}]`, "amount", rlExF64)
	art, _ := transform.MinMaxScaler("amount").Fit(ctx, train)

	// Online: one request's row as a record batch.
	s := arrow.NewSchema([]arrow.Field{{Name: "amount", Type: rlExF64}}, nil)
	rec, _, _ := array.RecordFromJSON(memory.DefaultAllocator, s, strings.NewReader(`[{"amount": 15}]`))
	out, err := transform.Apply(art).ApplyRecord(ctx, rec)
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Column(0).ValueStr(0))
	// Output:
	// 0.5
}
