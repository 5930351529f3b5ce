// Command serving is a small feature-serving HTTP service: kiln imported
// into your own Go program.
//
//	go run ./examples/serving [-lake DIR] [-users N] [-serve] [-addr HOST:PORT]
//
// It computes two weeks of a user-activity feature group into the lake,
// materializes the latest value per user into the online store (embedded
// bbolt: a file, no server), and starts a net/http service answering
//
//	GET /v1/features?user_id=42&cart_value=120
//
// with the user's features from the online store plus on-demand features
// (hours since last seen, cart value against the user's average purchase)
// computed by the same kiln transform a training set uses. It then calls
// itself a few times and prints the answers, checks online/offline parity,
// and exits; with -serve it keeps serving until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "serving:", err)
		os.Exit(1)
	}
}

// now is the service's clock. The synthetic data ends on 2024-05-14, so the
// example serves as of the next morning; a real service would use time.Now.
var now = time.Date(2024, 5, 15, 9, 30, 0, 0, time.UTC)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serving", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	users := fs.Int("users", 20_000, "number of users")
	serve := fs.Bool("serve", false, "keep serving after the demo requests, until interrupted")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *users < 10 {
		return fmt.Errorf("-users must be at least 10, got %d", *users)
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	// 1. The offline store: the feature group's committed partitions.
	p := kiln.New("serving", kiln.WithLake(*lakeDir), kiln.WithLogger(logger))
	node := p.Source("gold.user_activity", kiln.SourceFunc("serving.activity", "v1", activity).With(ActivityConfig{Seed: 8, Users: *users}))
	group := activityGroup(node)
	days, err := kiln.Days("2024-05-01", "2024-05-14")
	if err != nil {
		return err
	}
	if _, err := p.Backfill(ctx, days); err != nil {
		return err
	}

	// 2. The online store, and the latest value of every user in it.
	// Materialize is incremental: partitions already materialized are
	// skipped, so running the example again writes nothing.
	storePath, err := filepath.Abs(filepath.Join(*lakeDir, "_online", "features.db"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(storePath), 0o755); err != nil {
		return err
	}
	online, err := feature.OpenOnline(ctx, "bolt://"+filepath.ToSlash(storePath), feature.WithGroups(group), feature.WithOnDemand(checkout))
	if err != nil {
		return err
	}
	defer online.Close()
	mat, err := online.Materialize(ctx, group)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kiln serving: %s materialized to %s: %d partitions read, %d skipped, %d users written (%s)\n",
		group.ID(), storePath, len(mat.Partitions), len(mat.Skipped), mat.Written, mat.Duration.Round(time.Millisecond))

	// 3. The service: a plain net/http server with kiln inside.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	clock := func() time.Time { return now }
	srv := &http.Server{Handler: newService(online, clock, logger), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "serving on %s (clock fixed at %s)\n\n", base, now.Format(time.RFC3339))

	// 4. A few requests, as a client would make them.
	for _, q := range []string{
		"/v1/features?user_id=1&cart_value=120",                         // a regular
		"/v1/features?user_id=77&cart_value=35.5",                       // another
		"/v1/features?user_id=" + fmt.Sprint(*users) + "&cart_value=20", // a rare visitor, without purchases
		"/v1/features?user_id=999999999",                                // unknown: every feature null
		"/v1/features?user_id=abc",                                      // a bad request
	} {
		start := time.Now()
		status, body, err := get(ctx, base+q)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "GET %s -> %d in %s\n  %s\n", q, status, time.Since(start).Round(10*time.Microsecond), body)
	}

	// Latency, measured from the client: 500 lookups of random users.
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 500)
	for i := range lat {
		q := fmt.Sprintf("%s/v1/features?user_id=%d&cart_value=50", base, 1+rng.IntN(*users))
		start := time.Now()
		if status, body, err := get(ctx, q); err != nil || status != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s %v", q, status, body, err)
		}
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	fmt.Fprintf(stdout, "\n%d lookups over HTTP: p50 %s, p99 %s\n", len(lat),
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))

	// 5. Parity: what the online store answers equals what a training set
	// would hold for the same users at the same times.
	parity, err := online.Parity(ctx, group, feature.ParityOptions{Entities: 200, Seed: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "parity with the offline store: %d lookups, %d values compared, %d mismatches\n",
		parity.Rows, parity.Values, len(parity.Mismatches))
	if !parity.OK() {
		return fmt.Errorf("online and offline values differ: %v", parity.Mismatches[0])
	}

	if !*serve {
		return nil
	}
	fmt.Fprintf(stdout, "\nserving until interrupted: curl '%s/v1/features?user_id=1&cart_value=99'\n", base)
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// get makes one request and returns the status and the body.
func get(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}
