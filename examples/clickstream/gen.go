package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Click is one line of the raw click log, as the web servers' log shipper
// writes it: one JSON object per line.
type Click struct {
	ClickID  int64   `json:"click_id"`
	UserID   *int64  `json:"user_id"` // null for visitors who are not logged in
	TS       string  `json:"ts"`      // RFC 3339 with milliseconds, UTC
	Page     string  `json:"page"`
	Referrer *string `json:"referrer"` // only on a visit's first click
	Device   string  `json:"device"`
}

// GenConfig sizes the synthetic click log. The same config always lands the
// same bytes.
type GenConfig struct {
	Seed   uint64
	Start  time.Time // first day (UTC midnight)
	Days   int
	Clicks int // over all days
	Users  int
}

// shards are the hours at which the log shipper starts a new file: a day
// lands as four files, clicks-00.ndjson through clicks-18.ndjson.
var shards = []int{0, 6, 12, 18}

// land writes the click log under dir/clicks/dt=YYYY-MM-DD/ and the user
// dimension to dir/users.csv. A file whose content is already right is left
// alone, so its modification time (which file sources use to tell whether a
// partition changed) stays as it was and a rerun is a cache hit. It returns
// the number of files written and of clicks landed.
func land(dir string, cfg GenConfig) (files, clicks int, err error) {
	for d := range cfg.Days {
		day := cfg.Start.AddDate(0, 0, d)
		byShard := simulateDay(cfg, d, day)
		for i, lines := range byShard {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			for _, c := range lines {
				if err := enc.Encode(c); err != nil {
					return files, clicks, err
				}
			}
			clicks += len(lines)
			path := filepath.Join(dir, "clicks", "dt="+day.Format(time.DateOnly), fmt.Sprintf("clicks-%02d.ndjson", shards[i]))
			if err := writeIfChanged(path, b.Bytes()); err != nil {
				return files, clicks, err
			}
			files++
		}
	}
	if err := writeIfChanged(filepath.Join(dir, "users.csv"), usersCSV(cfg)); err != nil {
		return files, clicks, err
	}
	return files + 1, clicks, nil
}

// writeIfChanged writes b to path unless the file already holds exactly b.
func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

var (
	devices   = []string{"mobile", "mobile", "mobile", "desktop", "desktop", "tablet"}
	referrers = []string{"google", "google", "newsletter", "instagram", "partner-blog"}
	countries = []string{"US", "US", "US", "DE", "FR", "GB", "BR", "IN", "JP"}
	plans     = []string{"free", "free", "free", "plus", "pro"}
)

// next is the page funnel: from each kind of page, the chances of going to
// the next kind ("exit" ends the visit).
var next = map[string][]struct {
	to string
	p  float64
}{
	"home":     {{"search", 0.35}, {"product", 0.45}, {"exit", 0.20}},
	"search":   {{"product", 0.60}, {"search", 0.15}, {"exit", 0.25}},
	"product":  {{"product", 0.35}, {"cart", 0.08}, {"search", 0.22}, {"home", 0.05}, {"exit", 0.30}},
	"cart":     {{"checkout", 0.35}, {"product", 0.30}, {"exit", 0.35}},
	"checkout": {{"done", 0.70}, {"cart", 0.10}, {"exit", 0.20}},
	"done":     {{"exit", 1}},
}

// path renders a page kind as the URL path the log holds.
func path(rng *rand.Rand, kind string) string {
	switch kind {
	case "home":
		return "/"
	case "search":
		return "/search"
	case "product":
		return "/product/" + strconv.Itoa(1+rng.IntN(500))
	case "cart":
		return "/cart"
	case "checkout":
		return "/checkout"
	default:
		return "/checkout/done"
	}
}

// simulateDay generates day d's visits: users drawn with a skew (low ids
// visit more), each
// visit walking the page funnel with about 40 s between clicks, and now and
// then a pause of over half an hour (so one visit makes two sessions). 1.5%
// of visits are anonymous, and the shipper sends 0.3% of lines twice
// (at-least-once delivery). Clicks are returned per shard file in time order,
// with the resent lines at the end of their file.
func simulateDay(cfg GenConfig, d int, day time.Time) [][]Click {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(d)))
	target := cfg.Clicks / cfg.Days
	type hit struct {
		at             time.Duration
		user           *int64
		page, referrer string
		device         string
	}
	hits := make([]hit, 0, target+16)
	for len(hits) < target {
		var user *int64
		device := devices[rng.IntN(len(devices))]
		if rng.Float64() >= 0.015 {
			r := rng.Float64()
			u := 1 + int64(float64(cfg.Users)*r*r)
			user = &u
			device = devices[u%int64(len(devices))] // users keep their device
		}
		ref := ""
		if rng.Float64() < 0.6 {
			ref = referrers[rng.IntN(len(referrers))]
		}
		at := time.Duration(rng.Int64N(int64(20 * time.Hour)))
		kind := []string{"home", "search", "product", "product"}[rng.IntN(4)]
		for kind != "exit" && at < 24*time.Hour {
			hits = append(hits, hit{at: at, user: user, page: path(rng, kind), referrer: ref, device: device})
			ref = ""
			gap := time.Duration(rng.ExpFloat64() * float64(40*time.Second))
			if rng.Float64() < 0.04 {
				gap = 35*time.Minute + time.Duration(rng.Int64N(int64(time.Hour))) // coffee break
			}
			at += gap.Truncate(time.Millisecond) + time.Millisecond
			r, acc := rng.Float64(), 0.0
			for _, n := range next[kind] {
				if acc += n.p; r < acc {
					kind = n.to
					break
				}
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return int(a.at - b.at) })

	out := make([][]Click, len(shards))
	for i, h := range hits {
		c := Click{
			ClickID: int64(d+1)*10_000_000 + int64(i),
			UserID:  h.user,
			TS:      day.Add(h.at).Format("2006-01-02T15:04:05.000Z"),
			Page:    h.page,
			Device:  h.device,
		}
		if h.referrer != "" {
			c.Referrer = &h.referrer
		}
		s := len(shards) - 1
		for s > 0 && int(h.at/time.Hour) < shards[s] {
			s--
		}
		out[s] = append(out[s], c)
	}
	for s, lines := range out {
		var resent []Click
		for _, c := range lines {
			if rng.Float64() < 0.003 {
				resent = append(resent, c)
			}
		}
		out[s] = append(lines, resent...)
	}
	return out
}

// usersCSV is the user dimension: one row per user with country, plan and
// signup date, as a CRM export would have it.
func usersCSV(cfg GenConfig) []byte {
	rng := rand.New(rand.NewPCG(cfg.Seed, 1<<32))
	var b bytes.Buffer
	b.WriteString("user_id,country,plan,signup_date\n")
	for u := 1; u <= cfg.Users; u++ {
		signup := cfg.Start.AddDate(0, 0, -1-rng.IntN(3*365))
		fmt.Fprintf(&b, "%d,%s,%s,%s\n", u, countries[rng.IntN(len(countries))], plans[rng.IntN(len(plans))], signup.Format(time.DateOnly))
	}
	return b.Bytes()
}
