package source_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// An API that pages with a cursor: each page holds its records under "data"
// and the next cursor under "meta.next".
func ExampleHTTP() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") == "" {
			fmt.Fprint(w, `{"data": [{"id": 1, "user": {"name": "ada"}}, {"id": 2, "user": {"name": "bob"}}], "meta": {"next": "p2"}}`)
			return
		}
		fmt.Fprint(w, `{"data": [{"id": 3, "user": {"name": "cy"}}], "meta": {"next": null}}`)
	}))
	defer api.Close()

	src := source.HTTP(source.HTTPConfig{
		URL:     api.URL + "/v1/users",
		Records: "data",
		Schema: arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil),
		Paths:  map[string]string{"name": "user.name"},
		Paging: source.CursorPaging("cursor", "meta.next"),
		// Auth: source.BearerFromEnv("USERS_API_TOKEN"), // the token's variable, never the token
	})
	// In a pipeline: p.Source("bronze.users", src). Here, read one partition.
	tbl, err := src.Read(kiln.NewContext(context.Background(), "bronze.users", kiln.All))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tbl.NumRows(), "rows")
	for _, ch := range tbl.Column(1).Data().Chunks() {
		b, _ := ch.MarshalJSON()
		fmt.Println(string(b))
	}
	// Output:
	// 3 rows
	// ["ada","bob","cy"]
}

// A server that stays down: the source retries within its Backoff, then
// fails with an error wrapping ErrUnavailable (the same for SQL, with
// SQLRetry, and Kafka, with KafkaConfig.Retry).
func ExampleBackoff() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer api.Close()

	src := source.HTTP(source.HTTPConfig{
		URL:    api.URL + "/v1/users",
		Schema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil),
		Retry:  source.Backoff{Attempts: 3, Initial: time.Millisecond, Max: 10 * time.Millisecond, Budget: time.Second},
	})
	_, err := src.Read(kiln.NewContext(context.Background(), "bronze.users", kiln.All))
	fmt.Println(errors.Is(err, source.ErrUnavailable))
	// Output: true
}
