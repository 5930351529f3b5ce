// Command cdc extracts a live SQLite database incrementally, day after day,
// and rebuilds a table's current state from its change events:
//
//	go run ./examples/cdc [-lake DIR] [-customers N] [-work DIR]
//
// It creates a shop database (SQLite through modernc.org/sqlite: embedded, no
// server) in a work directory, then plays five days of business: customers
// sign up, change and leave, orders come in and move along. After each day a
// landing pipeline extracts what changed with source.SQL and
// source.Incremental: orders by their (updated_at, id) cursor, the customer
// change log (an outbox of Debezium-style events) by its sequence number.
// Each partition's manifest stores the high-water mark the next day starts
// from. A second pipeline applies every landed change event in order
// (source.CDC) to rebuild the customers table as it is now, and the program
// checks it against the database itself.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/source"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cdc:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cdc", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	size := fs.Int("customers", 2_000, "customers signed up on the first day")
	work := fs.String("work", "", "directory to create the database shop.db in (default: a temporary directory, removed at exit)")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *size < 200 {
		return fmt.Errorf("-customers must be at least 200, got %d", *size)
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	// The database is new on every run, so a lake holding an earlier run's
	// extraction would not match it (its marks and change events belong to
	// the old database).
	if _, err := os.Stat(kiln.DatasetDir(*lakeDir, "bronze.customer_changes")); err == nil {
		return fmt.Errorf("%s already holds an extraction from an earlier run, of a database that no longer exists: give a new -lake, or remove its bronze/shop_orders, bronze/customer_changes, silver/customer_upserts, silver/customers and gold/customer_tiers", *lakeDir)
	}
	dbPath, cleanup, err := newDatabasePath(*work)
	if err != nil {
		return err
	}
	defer cleanup()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	app, err := openShop(ctx, db, 5)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kiln cdc: a shop database at %s, extracted into %s\n\n", dbPath, *lakeDir)

	land := landing(*lakeDir, db, logger)
	current := state(*lakeDir, logger)
	days, err := kiln.Days("2024-05-06", "2024-05-10")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "what the app did each day, what kiln landed, and the customers table rebuilt from the changes:")
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tsign-ups\tupdates\tdeletes\tnew orders\torder updates\torders landed\tchanges landed\tupserts\tlive customers\t")
	for i, day := range days {
		// A day of business, then that day's extraction.
		act, err := app.day(ctx, day.Start(), *size, i == 0)
		if err != nil {
			return fmt.Errorf("%s: the app: %w", day, err)
		}
		res, err := land.Run(ctx, day)
		if err != nil {
			return err
		}
		// The current state is a partition without time (All): its
		// logical time is given, here the end of the day.
		st, err := current.Run(ctx, kiln.All, kiln.LogicalTime(day.End()))
		if err != nil {
			return err
		}
		orders, _ := res.Node("bronze.shop_orders")
		events, _ := res.Node("bronze.customer_changes")
		upserts, _ := res.Node("silver.customer_upserts")
		live, _ := st.Node("silver.customers")
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", day.Start().Format(time.DateOnly),
			act.SignUps, act.Updates, act.Deletes, act.NewOrders, act.OrderUpdates,
			orders.Rows, events.Rows, upserts.Rows, live.Rows)
	}
	tw.Flush()

	// The high-water marks: each committed source partition stores where
	// the next one starts, in its manifest's source_state.
	last := days[len(days)-1]
	fmt.Fprintf(stdout, "\nhigh-water marks stored with %s (manifest source_state):\n", last)
	for _, ds := range []string{"bronze.shop_orders", "bronze.customer_changes"} {
		m, err := kiln.ReadManifest(*lakeDir, ds, last)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-24s %s\n", ds, compact(m.SourceState))
	}

	// The proof: the state rebuilt from the change events is the table.
	n, err := compareWithDatabase(ctx, db, *lakeDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsilver.customers equals the customers table in the database: %d rows, id, email and tier\n", n)

	tiers, err := source.Parquet(kiln.DatasetDir(*lakeDir, "gold.customer_tiers")).Read(kiln.NewContext(ctx, "read", kiln.All))
	if err != nil {
		return err
	}
	defer tiers.Release()
	byTier, err := kiln.Rows[struct {
		Tier      string `kiln:"tier"`
		Customers int64  `kiln:"customers"`
	}](tiers)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, "gold.customer_tiers:")
	for _, t := range byTier {
		fmt.Fprintf(stdout, " %s %d", t.Tier, t.Customers)
	}
	fmt.Fprintln(stdout)
	return nil
}

// newDatabasePath returns where to create the database, and a function
// removing what this run created: the temporary directory, or nothing when
// the user chose the directory.
func newDatabasePath(work string) (string, func(), error) {
	if work == "" {
		dir, err := os.MkdirTemp("", "kiln-cdc-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, "shop.db"), func() { os.RemoveAll(dir) }, nil
	}
	path := filepath.Join(work, "shop.db")
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%s already exists: the example builds its database from scratch (remove it, or pick another -work)", path)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", nil, err
	}
	return path, func() {}, nil
}

// compact re-encodes JSON on one line.
func compact(b json.RawMessage) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// customer is one row of the customers table, as silver.customers holds it.
type customer struct {
	ID    int64  `kiln:"id"`
	Email string `kiln:"email"`
	Tier  string `kiln:"tier"`
}

// compareWithDatabase checks that the committed silver.customers holds
// exactly the rows of the customers table, and returns how many.
func compareWithDatabase(ctx context.Context, db *sql.DB, lakeDir string) (int, error) {
	tbl, err := source.Parquet(kiln.DatasetDir(lakeDir, "silver.customers")).Read(kiln.NewContext(ctx, "compare", kiln.All))
	if err != nil {
		return 0, err
	}
	defer tbl.Release()
	got, err := kiln.Rows[customer](tbl)
	if err != nil {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, `SELECT id, email, tier FROM customers ORDER BY id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var want customer
		if err := rows.Scan(&want.ID, &want.Email, &want.Tier); err != nil {
			return 0, err
		}
		if i >= len(got) || got[i] != want {
			return 0, fmt.Errorf("silver.customers row %d differs from the database: %+v", i, want)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if i != len(got) {
		return 0, fmt.Errorf("silver.customers has %d rows, the database %d", len(got), i)
	}
	return i, nil
}
