package typed_test

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/internal/typed"
)

// Event is a typed row: the Arrow schema is derived from it once.
type Event struct {
	EventID int64     // event_id: int64
	UserID  *int64    // user_id: int64, nullable
	Kind    string    `kiln:"kind,dict"` // dictionary<int32, utf8>
	Amount  *float64  // amount: float64, nullable
	TS      time.Time `kiln:"ts,unit=ms"`
	note    string    // unexported: not a column
}

func Example() {
	schema, err := typed.SchemaOf[Event]()
	if err != nil {
		panic(err)
	}
	for _, f := range schema.Fields() {
		fmt.Printf("%s: %s nullable=%v\n", f.Name, f.Type, f.Nullable)
	}

	user, amount := int64(42), 9.99
	paris := time.FixedZone("CET", 3600)
	rows := []Event{
		{EventID: 1, UserID: &user, Kind: "view", TS: time.Date(2024, 1, 30, 10, 0, 0, 123_456_789, paris)},
		{EventID: 2, Kind: "purchase", Amount: &amount, TS: time.Date(2024, 1, 30, 10, 5, 0, 0, time.UTC), note: "dropped"},
	}
	rec, err := typed.FromSlice(memory.DefaultAllocator, rows)
	if err != nil {
		panic(err)
	}
	defer rec.Release()
	fmt.Println("rows:", rec.NumRows())

	back, err := typed.DecodeRecordBatch[Event](rec)
	if err != nil {
		panic(err)
	}
	for _, e := range back {
		// Times come back as the same instant in UTC, truncated to ms.
		fmt.Println(e.EventID, e.UserID != nil, e.Kind, e.Amount != nil, e.TS, e.note == "")
	}
	// Output:
	// event_id: int64 nullable=false
	// user_id: int64 nullable=true
	// kind: dictionary<values=utf8, indices=int32, ordered=false> nullable=false
	// amount: float64 nullable=true
	// ts: timestamp[ms, tz=UTC] nullable=false
	// rows: 2
	// 1 true view false 2024-01-30 09:00:00.123 +0000 UTC true
	// 2 false purchase true 2024-01-30 10:05:00 +0000 UTC true
}

func ExampleCodec_NewBuilder() {
	codec, err := typed.CodecOf[Event]()
	if err != nil {
		panic(err)
	}
	b := codec.NewBuilder(memory.DefaultAllocator)
	defer b.Release()
	for i := range 5 {
		e := Event{EventID: int64(i), Kind: []string{"view", "click"}[i%2], TS: time.Unix(int64(i), 0)}
		if err := b.Append(&e); err != nil {
			panic(err)
		}
	}
	rec := b.NewRecordBatch() // the builder is empty again and can be reused
	defer rec.Release()
	fmt.Println(rec.NumRows(), rec.Column(2))
	// Output:
	// 5 { dictionary: ["view" "click"]
	//   indices: [0 1 0 1 0] }
}
