package source_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

// apiItem is one record the fake API serves.
type apiItem struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	User struct {
		ID int `json:"id"`
	} `json:"user"`
	UpdatedAt string `json:"updated_at"`
}

func apiItems(first, n int) []apiItem {
	out := make([]apiItem, n)
	for i := range out {
		id := first + i
		out[i].ID = int64(id)
		out[i].Name = fmt.Sprintf("n%d", id)
		out[i].User.ID = id % 5
		out[i].UpdatedAt = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Minute).Format(time.RFC3339)
	}
	return out
}

// apiSchema is the schema the tests map the items to.
var apiSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "updated_at", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
}, nil)

// apiFailure is what a failure hook answers instead of the page.
type apiFailure struct {
	status int
	header map[string]string
	body   string
}

// fakeAPI serves items under /page, /offset, /cursor, /link, /single and
// /since (cursor paging over the items updated after ?since=), wrapped as
// {"data": [...], "meta": {"next": ...}}. It counts requests per query and
// records the credentials it saw.
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	failMu   sync.Mutex // serializes calls of fail
	items    []apiItem
	raw      map[int]string // item index → raw JSON served instead
	hits     map[string]int
	requests []string
	auth     []string
	keys     []string
	// fail, when set, may answer instead of the page; calls are
	// serialized.
	fail func(path, query string, hit int) *apiFailure
}

func newFakeAPI(t testing.TB, items []apiItem) *fakeAPI {
	a := &fakeAPI{items: items, hits: map[string]int{}, raw: map[int]string{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *fakeAPI) setItems(items []apiItem) {
	a.mu.Lock()
	a.items = items
	a.mu.Unlock()
}

func (a *fakeAPI) hitsOf(query string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits[query]
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	key := r.URL.Path + "?" + r.URL.RawQuery
	a.hits[key]++
	hit := a.hits[key]
	a.requests = append(a.requests, key)
	a.auth = append(a.auth, r.Header.Get("Authorization"))
	a.keys = append(a.keys, r.Header.Get("X-Api-Key"))
	fail := a.fail
	items := a.items
	raw := a.raw
	a.mu.Unlock()
	if fail != nil {
		a.failMu.Lock()
		f := fail(r.URL.Path, r.URL.RawQuery, hit)
		a.failMu.Unlock()
		if f != nil {
			for k, v := range f.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(f.status)
			_, _ = w.Write([]byte(f.body))
			return
		}
	}
	q := r.URL.Query()
	size := 5
	if s := q.Get("per_page"); s != "" {
		size, _ = strconv.Atoi(s)
	}
	lo, next := 0, ""
	switch r.URL.Path {
	case "/page", "/link":
		p, err := strconv.Atoi(q.Get("page"))
		if err != nil {
			p = 1
		}
		lo = (p - 1) * size
		if r.URL.Path == "/link" && lo+size < len(items) {
			nq := r.URL.Query()
			nq.Set("page", strconv.Itoa(p+1))
			w.Header().Add("Link", fmt.Sprintf(`<%s/link?%s>; rel="next", </link?page=1>; rel="first"`, a.URL, nq.Encode()))
		}
	case "/offset":
		lo, _ = strconv.Atoi(q.Get("offset"))
		size, _ = strconv.Atoi(q.Get("limit"))
	case "/cursor", "/since":
		if c := q.Get("cursor"); c != "" {
			lo, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		if since := q.Get("since"); since != "" && r.URL.Path == "/since" {
			var sel []apiItem
			for _, it := range items {
				if it.UpdatedAt > since {
					sel = append(sel, it)
				}
			}
			items = sel
		}
		if lo+size < len(items) {
			next = fmt.Sprintf("c%d", lo+size)
		}
	case "/sync":
		// A sync API: ?since=s<N> answers the items from index N, paged by
		// cursor, and every page carries the token for next time.
		base := 0
		if since := q.Get("since"); since != "" {
			base, _ = strconv.Atoi(strings.TrimPrefix(since, "s"))
		}
		token := fmt.Sprintf("s%d", len(items))
		items = items[min(base, len(items)):]
		if c := q.Get("cursor"); c != "" {
			lo, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		if lo+size < len(items) {
			next = fmt.Sprintf("c%d", lo+size)
		}
		w.Header().Set("X-Sync", token)
	case "/single":
		size = len(items)
	}
	lo = min(max(lo, 0), len(items))
	hi := min(lo+size, len(items))
	var parts []string
	for i := lo; i < hi; i++ {
		if s, ok := raw[i]; ok {
			parts = append(parts, s)
			continue
		}
		b, _ := json.Marshal(items[i])
		parts = append(parts, string(b))
	}
	meta := `{"next": null`
	if next != "" {
		meta = fmt.Sprintf(`{"next": %q`, next)
	}
	if s := w.Header().Get("X-Sync"); s != "" {
		meta += fmt.Sprintf(`, "sync": %q`, s)
	}
	meta += "}"
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"data": [%s], "meta": %s}`, strings.Join(parts, ","), meta)
}

// apiConfig is a source config for a path of the fake API.
func apiConfig(a *fakeAPI, path string, paging source.HTTPPaging) source.HTTPConfig {
	return source.HTTPConfig{
		URL:     a.URL + path,
		Records: "data",
		Schema:  apiSchema,
		Paths:   map[string]string{"user_id": "user.id"},
		Paging:  paging,
		Retry:   source.Backoff{Attempts: 4, Initial: time.Millisecond, Max: 50 * time.Millisecond, Budget: time.Second},
	}
}

// sinceConfig reads /since incrementally by updated_at.
func sinceConfig(a *fakeAPI) source.HTTPConfig {
	cfg := apiConfig(a, "/since", source.CursorPaging("cursor", "meta.next"))
	cfg.Since = &source.HTTPSince{Param: "since", Column: "updated_at"}
	return cfg
}

// httpPipeline lands cfg into the node bronze.api of a pipeline over lake.
func httpPipeline(lake string, cfg source.HTTPConfig) *kiln.Pipeline {
	p := kiln.New("http_test", kiln.WithLake(lake), kiln.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	p.Source("bronze.api", source.HTTP(cfg))
	return p
}
