// Command api lands a paginated HTTP API incrementally, day after day:
//
//	go run ./examples/api [-lake DIR] [-events N]
//
// It starts a small payments API on 127.0.0.1 (an event feed paged with a
// cursor, behind a bearer token), sets the token in an environment variable
// for the demo, and extracts five days of events with source.HTTP: each
// daily partition asks for the events after the mark left by the previous
// one (HTTPSince), pages through them, and stores its new mark in its
// manifest. On the second day the API fails one page with a 503; kiln
// retries that page with backoff and goes on. The program prints what each
// day landed and the marks, aggregates daily net revenue per currency,
// shows that a rerun makes no request at all, and checks that the token
// was written nowhere in the lake.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/quality"
	"github.com/kiln-data/kiln/source"
	"github.com/kiln-data/kiln/transform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

// tokenEnv names the environment variable holding the API token. The
// pipeline's config names the variable, never the token: the value is read
// when a page is fetched and is written to no manifest, log or error.
const tokenEnv = "PAYMENTS_API_TOKEN"

// eventSchema is what a landed event looks like: the feed's nested JSON
// flattened into columns (see Paths below).
var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
	{Name: "type", Type: arrow.BinaryTypes.String},
	{Name: "created", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "charge_id", Type: arrow.BinaryTypes.String},
	{Name: "customer", Type: arrow.BinaryTypes.String},
	{Name: "amount", Type: arrow.PrimitiveTypes.Int64},
	{Name: "currency", Type: arrow.BinaryTypes.String},
}, nil)

// paymentEvents is the source: GET {base}/v1/events, records under "data",
// the next page's cursor under "next_cursor", 250 events a page, and only
// the events after the previous partition's mark (the largest seq landed so
// far, sent as ?after=).
func paymentEvents(baseURL string) *source.HTTPSource {
	return source.HTTP(source.HTTPConfig{
		URL:     baseURL + "/v1/events",
		Records: "data",
		Schema:  eventSchema,
		Paths: map[string]string{
			"charge_id": "data.charge.id",
			"customer":  "data.charge.customer",
			"amount":    "data.charge.amount",
			"currency":  "data.charge.currency",
		},
		Paging: source.CursorPaging("cursor", "next_cursor").WithSize("limit", 250),
		Since:  &source.HTTPSince{Param: "after", Column: "seq"},
		Auth:   source.BearerFromEnv(tokenEnv),
		// A failed page is retried after 50ms, 100ms, ... (at most 5
		// attempts, 10s of waiting in all), then the run fails with
		// source.ErrUnavailable and commits nothing.
		Retry:     source.Backoff{Attempts: 5, Initial: 50 * time.Millisecond, Max: time.Second, Budget: 10 * time.Second},
		RateLimit: 100, // requests per second, retries included
	})
}

// netRevenue is one day's net revenue per currency: successful charges
// minus refunds (failed charges move no money). Output order: currency.
var netRevenue = transform.Chain(
	transform.Filter(transform.Col("type").Ne(transform.Lit("charge.failed"))),
	transform.Derive("net", transform.If(
		transform.Col("type").Eq(transform.Lit("charge.refunded")),
		transform.Col("amount").Neg(),
		transform.Col("amount"))),
	transform.GroupBy("currency").Agg(
		transform.Count().As("events"),
		transform.Sum("net").As("net_cents"),
	),
)

func build(lakeDir, baseURL string, logger *slog.Logger) *kiln.Pipeline {
	p := kiln.New("payments", kiln.WithLake(lakeDir), kiln.WithLogger(logger))
	events := p.Source("bronze.payment_events", paymentEvents(baseURL)).
		Check(
			quality.Unique("seq"),
			quality.InSet("type", "charge.succeeded", "charge.failed", "charge.refunded"),
			quality.AtLeast("amount", 1),
		)
	p.Transform("gold.net_revenue", netRevenue, events)
	return p
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	perDay := fs.Int("events", 2_000, "events the API produces per day")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *perDay < 10 {
		return fmt.Errorf("-events must be at least 10, got %d", *perDay)
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	// The demo's secret. In production the variable is set by whatever
	// runs the program (a secret manager, the CI, the shell).
	const token = "sk_demo_7Hq2Lr9Xc4Vb"
	if err := os.Setenv(tokenEnv, token); err != nil {
		return err
	}

	// The API, on a free port of the loopback interface.
	start := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	api := newPaymentsAPI(token, start, 5, *perDay, 99)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api}
	go srv.Serve(ln)
	defer srv.Close()
	baseURL := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "kiln api: a payments API at %s (token in $%s), landed into %s\n\n", baseURL, tokenEnv, *lakeDir)

	p := build(*lakeDir, baseURL, logger)
	days, err := kiln.Range(kiln.DayOf(start), kiln.DayOf(start).Add(4))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\trequests\t503s\tpages\tevents\tafter seq\tnew mark\tnet revenue\t")
	for i, day := range days {
		api.setClock(day.End()) // the day is over: its events exist
		if i == 1 {
			api.failPage.Store(true) // one page of this day will fail once
		}
		before, failedBefore := api.requests.Load(), api.unavailable.Load()
		res, err := p.Run(ctx, day)
		if err != nil {
			return err
		}
		n, _ := res.Node("bronze.payment_events")
		m, err := kiln.ReadManifest(*lakeDir, "bronze.payment_events", day)
		if err != nil {
			return err
		}
		revenue, err := readRevenue(ctx, *lakeDir, day)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t\n", day.Start().Format(time.DateOnly),
			api.requests.Load()-before, api.unavailable.Load()-failedBefore,
			stateField(m, "pages"), n.Rows, stateField(m, "from"), stateField(m, "mark"), revenue)
	}
	tw.Flush()

	// A committed partition is the record of what the API returned: it is
	// not fetched again (use kiln.Force to refetch).
	before := api.requests.Load()
	again, err := p.Backfill(ctx, days)
	if err != nil {
		return err
	}
	cached := 0
	for _, r := range again.Runs {
		cached += r.Count(kiln.StatusCached)
	}
	fmt.Fprintf(stdout, "\nrerun of the 5 days: %d of %d node partitions were cache hits, %d requests\n",
		cached, 2*len(days), api.requests.Load()-before)
	fmt.Fprintf(stdout, "requests without a valid token: %d\n", api.unauthorized.Load())

	found, err := grep(*lakeDir, token)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "files in the lake holding the token: %d\n", found)
	return nil
}

// pages and markOf read the HTTP source's state from a partition's
// manifest: the new mark (where the next partition starts) and the pages
// fetched.
func pages(m *kiln.Manifest) string  { return stateField(m, "pages") }
func markOf(m *kiln.Manifest) string { return stateField(m, "mark") }
func stateField(m *kiln.Manifest, key string) string {
	var state map[string]any
	if err := json.Unmarshal(m.SourceState, &state); err != nil {
		return "?"
	}
	v, ok := state[key]
	if !ok || v == nil || v == "" {
		return "-"
	}
	return fmt.Sprint(v)
}

// readRevenue formats a day's gold.net_revenue, e.g. "eur 1234.56, usd ...".
func readRevenue(ctx context.Context, lakeDir string, day kiln.Partition) (string, error) {
	tbl, err := source.Parquet(kiln.DatasetDir(lakeDir, "gold.net_revenue")).Read(kiln.NewContext(ctx, "read", day))
	if err != nil {
		return "", err
	}
	defer tbl.Release()
	rows, err := kiln.Rows[struct {
		Currency string `kiln:"currency"`
		Net      int64  `kiln:"net_cents"`
	}](tbl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s %.2f", r.Currency, float64(r.Net)/100)
	}
	return b.String(), nil
}

// grep counts the files under dir that contain s.
func grep(dir, s string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			n++
		}
		return nil
	})
	return n, err
}
