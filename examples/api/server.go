package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// event is one record of the payments API's event feed.
type event struct {
	Seq     int64     `json:"seq"` // increasing: the feed's order
	Type    string    `json:"type"`
	Created time.Time `json:"created"`
	Data    struct {
		Charge struct {
			ID       string `json:"id"`
			Customer string `json:"customer"`
			Amount   int64  `json:"amount"` // in cents
			Currency string `json:"currency"`
		} `json:"charge"`
	} `json:"data"`
}

// paymentsAPI is a small stand-in for a payments provider's HTTP API:
//
//	GET /v1/events?after=SEQ&limit=N&cursor=C
//	Authorization: Bearer <token>
//
// It returns the events with seq > after, oldest first, limit per page,
// as {"data": [...], "next_cursor": "..."} (null on the last page). Only
// events created before the API's clock exist yet: main moves the clock to
// the end of each day before extracting it. It can fail one request with a
// 503, as real APIs do now and then.
type paymentsAPI struct {
	token  string
	events []event

	mu  sync.Mutex
	now time.Time

	failPage atomic.Bool // fail the next request for a page after the first, once

	requests, unauthorized, unavailable atomic.Int64
}

// newPaymentsAPI generates the feed: perDay events on each day from start,
// at random times, seeded. 85% of them are successful charges, 10% failed
// charges and 5% refunds of an earlier charge.
func newPaymentsAPI(token string, start time.Time, days, perDay int, seed uint64) *paymentsAPI {
	rng := rand.New(rand.NewPCG(seed, 0))
	api := &paymentsAPI{token: token}
	var charges []event
	for d := range days {
		day := start.AddDate(0, 0, d)
		at := make([]time.Duration, perDay)
		for i := range at {
			at[i] = time.Duration(rng.Int64N(int64(24*time.Hour/time.Millisecond))) * time.Millisecond
		}
		slices.Sort(at)
		for _, t := range at {
			var e event
			e.Seq = int64(len(api.events)) + 1
			e.Created = day.Add(t)
			switch r := rng.Float64(); {
			case r < 0.05 && len(charges) > 0:
				e.Type = "charge.refunded"
				e.Data = charges[rng.IntN(len(charges))].Data
			default:
				e.Type = "charge.succeeded"
				if r > 0.90 {
					e.Type = "charge.failed"
				}
				c := &e.Data.Charge
				c.ID = fmt.Sprintf("ch_%06d", e.Seq)
				c.Customer = fmt.Sprintf("cus_%04d", 1+rng.IntN(1000))
				c.Amount = int64(math.Round(math.Exp(7 + 0.8*rng.NormFloat64())))
				c.Currency = []string{"usd", "usd", "usd", "eur", "gbp"}[rng.IntN(5)]
				if e.Type == "charge.succeeded" {
					charges = append(charges, e)
				}
			}
			api.events = append(api.events, e)
		}
	}
	return api
}

// setClock moves the API's clock: events created before t exist.
func (a *paymentsAPI) setClock(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = t
}

func (a *paymentsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		a.unauthorized.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error": "missing or invalid API token"}`)
		return
	}
	if r.URL.Path != "/v1/events" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if q.Get("cursor") != "" && a.failPage.CompareAndSwap(true, false) {
		a.unavailable.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error": "upstream timeout, try again"}`)
		return
	}
	after, err := param(q.Get("after"), 0)
	if err == nil && q.Get("cursor") != "" {
		after, err = param(strings.TrimPrefix(q.Get("cursor"), "after_"), 0)
	}
	limit, err2 := param(q.Get("limit"), 100)
	if err != nil || err2 != nil || limit < 1 || limit > 1000 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error": "bad after, cursor or limit"}`)
		return
	}
	a.mu.Lock()
	now := a.now
	a.mu.Unlock()

	// Events are in seq order: the page is the next limit events after
	// `after` that exist by now.
	i, _ := slices.BinarySearchFunc(a.events, after+1, func(e event, seq int64) int { return int(e.Seq - seq) })
	page := struct {
		Data       []event `json:"data"`
		NextCursor *string `json:"next_cursor"`
	}{Data: []event{}}
	for ; i < len(a.events) && a.events[i].Created.Before(now) && int64(len(page.Data)) < limit; i++ {
		page.Data = append(page.Data, a.events[i])
	}
	if i < len(a.events) && a.events[i].Created.Before(now) {
		c := "after_" + strconv.FormatInt(page.Data[len(page.Data)-1].Seq, 10)
		page.NextCursor = &c
	}
	json.NewEncoder(w).Encode(page)
}

// param parses an integer query parameter, def when absent.
func param(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseInt(s, 10, 64)
}
