package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kiln-data/kiln/feature"
)

// servedFeatures are the features the service returns: every feature of
// the group, then every on-demand feature of the checkout set.
var servedFeatures = []string{"user_activity", "checkout"}

// requestSchema is the request data the checkout features read.
var requestSchema = arrow.NewSchema(checkout.Request, nil)

// service answers feature lookups. It is an ordinary http.Handler: the
// feature store is a value it holds, like a database handle. A
// *feature.Online is safe for concurrent use, so one serves every request.
type service struct {
	online *feature.Online
	clock  func() time.Time
	logger *slog.Logger
}

// newService returns the service's handler: GET /v1/features.
func newService(o *feature.Online, clock func() time.Time, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/features", &service{online: o, clock: clock, logger: logger})
	return mux
}

// response is the JSON answer: the user, the time the values are as of,
// and the features by name (null when unknown or older than the TTL).
type response struct {
	UserID   int64          `json:"user_id"`
	At       time.Time      `json:"at"`
	Features map[string]any `json:"features"`
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	userID, err := strconv.ParseInt(q.Get("user_id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "user_id must be an integer"})
		return
	}
	// The request data: one row, for the one key looked up.
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	if v := q.Get("cart_value"); v == "" {
		b.AppendNull()
	} else if f, err := strconv.ParseFloat(v, 64); err == nil {
		b.Append(f)
	} else {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "cart_value must be a number"})
		return
	}
	cart := b.NewArray()
	defer cart.Release()
	data := array.NewRecordBatch(requestSchema, []arrow.Array{cart}, 1)
	defer data.Release()

	// Values older than the group's TTL at this time read as null, as a
	// training set treats them at a label's time.
	at := s.clock()
	res, err := s.online.Lookup(r.Context(), feature.Request{
		Features: servedFeatures,
		Keys:     []feature.Key{{userID}},
		At:       at,
		Data:     data,
	})
	if err != nil {
		s.logger.ErrorContext(r.Context(), "feature lookup failed", "user_id", userID, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "feature lookup failed"})
		return
	}
	out := response{UserID: userID, At: at, Features: map[string]any{}}
	for j, f := range res.Fields {
		out.Features[f.Name] = res.Rows[0][j]
	}
	writeJSON(w, http.StatusOK, out)
}

// writeJSON writes v as the JSON response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
