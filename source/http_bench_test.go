package source_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// BenchmarkHTTPPages fetches 200 cursor-paged pages of 100 records each
// from a loopback httptest server per iteration.
func BenchmarkHTTPPages(b *testing.B) {
	const pages, perPage = 200, 100
	bodies := make([][]byte, pages)
	var total int64
	for p := range pages {
		items := make([]string, perPage)
		for i := range items {
			id := p*perPage + i
			items[i] = fmt.Sprintf(`{"id": %d, "name": "n%d", "user": {"id": %d}, "updated_at": "2024-01-01T00:00:00Z"}`, id, id, id%5)
		}
		next := "null"
		if p+1 < pages {
			next = strconv.Quote("c" + strconv.Itoa(p+1))
		}
		bodies[p] = fmt.Appendf(nil, `{"data": [%s], "meta": {"next": %s}}`, strings.Join(items, ","), next)
		total += int64(len(bodies[p]))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Query().Get("cursor"), "c"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bodies[p])
	}))
	defer srv.Close()
	src := source.HTTP(source.HTTPConfig{
		URL: srv.URL + "/items", Records: "data", Schema: apiSchema,
		Paths: map[string]string{"user_id": "user.id"}, Paging: source.CursorPaging("cursor", "meta.next"),
	})
	b.SetBytes(total)
	for b.Loop() {
		tbl, err := src.Read(kiln.NewContext(context.Background(), "bronze.api", kiln.All))
		if err != nil {
			b.Fatal(err)
		}
		if tbl.NumRows() != pages*perPage {
			b.Fatalf("%d rows", tbl.NumRows())
		}
		tbl.Release()
	}
	b.ReportMetric(float64(pages*b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(pages*perPage*b.N)/b.Elapsed().Seconds(), "records/s")
}
