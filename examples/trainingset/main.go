// Command trainingset builds a point-in-time correct training set and fits
// its preprocessing:
//
//	go run ./examples/trainingset [-lake DIR] [-events N] [-labels N]
//
// A feature pipeline computes, from 30 days of a synthetic shop's events,
// each user's activity over the last 7 days as of the end of every day
// (gold.user_7d), declared as the feature group user_7d and registered in
// the lake's feature registry. A label table asks, for users at moments
// through the month, "did they buy in the next 7 days?". The training set
// joins each label with the feature values as they were at the label's time
// (feature.BuildTrainingSet: never a value from the future), plus an
// on-demand feature computed from the label time, and is committed to the
// lake with the exact partitions it read. Finally a StandardScaler is fitted
// on it; its artifact is saved as JSON, read back (its hash checked) and
// applied to the training set, as a model's serving path would apply it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/feature"
	"github.com/kiln-data/kiln/source"
	"github.com/kiln-data/kiln/transform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trainingset:", err)
		os.Exit(1)
	}
}

// modelInputs are the training set's numeric columns a model reads.
var modelInputs = []string{"events_7d", "carts_7d", "purchases_7d", "revenue_7d", "active_days_7d", "hours_since_seen"}

// fillInactive gives users without a row in the last 7 days zero activity,
// and caps the unknown recency at 8 days, before scaling. It is part of the
// model's preprocessing, applied identically in training and serving.
var fillInactive = transform.FillNulls(map[string]any{
	"events_7d": int64(0), "carts_7d": int64(0), "purchases_7d": int64(0),
	"revenue_7d": 0.0, "active_days_7d": int64(0), "hours_since_seen": 8 * 24.0,
})

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("trainingset", flag.ContinueOnError)
	lakeDir := fs.String("lake", "lake", "directory of the lake to build")
	perDay := fs.Int("events", 30_000, "synthetic events per day")
	nLabels := fs.Int("labels", 20_000, "label rows")
	verbose := fs.Bool("v", false, "log every node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *perDay < 100 || *nLabels < 10 {
		return fmt.Errorf("-events must be at least 100 and -labels at least 10, got %d and %d", *perDay, *nLabels)
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	// 1. The features, for every day of April.
	gen := GenConfig{Seed: 3, Start: "2024-04-01", Days: 30, Events: *perDay, Users: max(*perDay*2, 20)}
	p, group := build(*lakeDir, gen, logger)
	days, err := kiln.Days("2024-04-01", "2024-04-30")
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := p.Backfill(ctx, days); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kiln trainingset: features for %d days of events committed to %s (%s)\n",
		len(days), *lakeDir, time.Since(start).Round(time.Millisecond))

	// 2. Register the group: its definition (schema, owner, TTL) is
	// stored in the lake, and a later incompatible change is refused.
	def, err := feature.OpenRegistry(*lakeDir).Register(ctx, group)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered feature group %s v%d: %d features, TTL %s, definition %s\n",
		def.Name, def.Version, len(def.Features), def.TTL, def.Hash.Short())

	// 3. Labels: users at moments between April 8 (a week of history)
	// and April 23 (a week of future to label from).
	labels, err := makeLabels(ctx, *lakeDir, gen, *nLabels, kiln.Date(2024, 4, 8), kiln.Date(2024, 4, 23))
	if err != nil {
		return err
	}
	defer labels.Release()
	positives, err := sumInt64(labels, "purchased_next_7d")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "labels: %d rows, %.1f%% bought in the next 7 days\n", labels.NumRows(), 100*float64(positives)/float64(labels.NumRows()))

	// 4. The point-in-time join: for each label, the user_7d row with the
	// latest as_of at or before label_ts (and within the TTL), and the
	// on-demand recency computed at label_ts.
	spec := feature.TrainingSpec{
		Time:     "label_ts",
		Features: []string{"user_7d", "recency:hours_since_seen"},
		OnDemand: []*feature.OnDemand{recency},
	}
	ts, err := feature.BuildTrainingSet(ctx, labels, "labels.purchase_next_7d", spec, group)
	if err != nil {
		return err
	}
	defer ts.Release()
	m, err := ts.Commit(ctx, *lakeDir, "gold.training_purchase_7d")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ntraining set gold.training_purchase_7d: %d rows x %d columns, content %s\n",
		m.Rows, len(m.Schema), m.ContentHash.Short())
	fmt.Fprintf(stdout, "  built from %s and %d partitions of %s (each with its content hash in the manifest)\n",
		ts.Inputs[0].Dataset, len(ts.Inputs)-1, group.Dataset())
	pit, err := checkPointInTime(ctx, *lakeDir, ts.Table)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  point in time: %d labels found features; %d of them saw an event after label_ts\n", pit.withFeatures, pit.late)
	fmt.Fprintf(stdout, "  (joining each user's latest row instead would have leaked the future into %d labels)\n", pit.naiveLeaks)

	// 5. Preprocessing: fit a scaler on the training set, save the
	// artifact, read it back (ParseArtifact checks its hash), apply it.
	filled, err := fillInactive.Apply(kiln.NewContext(ctx, "prep", kiln.All), []arrow.Table{ts.Table})
	if err != nil {
		return err
	}
	defer filled.Release()
	art, err := transform.StandardScaler(modelInputs...).Fit(ctx, filled)
	if err != nil {
		return err
	}
	path := filepath.Join(*lakeDir, "_models", "purchase_7d", "standard_scaler.json")
	if err := saveArtifact(path, art); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	loaded, err := transform.ParseArtifact(b)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nscaler fitted on %d rows: %s, saved to %s\n", filled.NumRows(), loaded.Hash, path)
	preprocess := transform.Chain(fillInactive, transform.Apply(loaded))
	scaled, err := preprocess.Apply(kiln.NewContext(ctx, "prep", kiln.All), []arrow.Table{ts.Table})
	if err != nil {
		return err
	}
	defer scaled.Release()
	return printScaled(stdout, filled, scaled)
}

// saveArtifact writes the artifact's JSON form to path.
func saveArtifact(path string, art *transform.Artifact) error {
	b, err := json.MarshalIndent(art, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// pitCheck is what checkPointInTime found.
type pitCheck struct {
	withFeatures int // labels with feature values
	late         int // of them, labels whose features include an event after the label time: must be 0
	naiveLeaks   int // labels a join on each user's latest row would have given future values
}

// checkPointInTime checks the training set for leaks: the last_seen
// feature is the latest event the values include, so it must not be after
// the label's time. For contrast it counts the labels whose user has a
// row in gold.user_7d computed after the label's time: the rows a naive
// join on the latest values would have used.
func checkPointInTime(ctx context.Context, lakeDir string, t arrow.Table) (pitCheck, error) {
	var c pitCheck
	type row struct {
		UserID   int64      `kiln:"user_id"`
		LabelTS  time.Time  `kiln:"label_ts"`
		LastSeen *time.Time `kiln:"last_seen"`
	}
	rows, err := kiln.Rows[row](t)
	if err != nil {
		return c, err
	}
	store, err := source.Parquet(kiln.DatasetDir(lakeDir, "gold.user_7d"), source.Columns("user_id", "as_of")).
		Read(kiln.NewContext(ctx, "check", kiln.All))
	if err != nil {
		return c, err
	}
	defer store.Release()
	latest := map[int64]time.Time{}
	stored, err := kiln.Rows[struct {
		UserID int64     `kiln:"user_id"`
		AsOf   time.Time `kiln:"as_of"`
	}](store)
	if err != nil {
		return c, err
	}
	for _, r := range stored {
		if r.AsOf.After(latest[r.UserID]) {
			latest[r.UserID] = r.AsOf
		}
	}
	for _, r := range rows {
		if latest[r.UserID].After(r.LabelTS) {
			c.naiveLeaks++
		}
		if r.LastSeen == nil {
			continue
		}
		c.withFeatures++
		if r.LastSeen.After(r.LabelTS) {
			c.late++
		}
	}
	return c, nil
}

// printScaled prints, per model input, its mean and standard deviation
// before and after scaling.
func printScaled(w io.Writer, before, after arrow.Table) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "column\tmean\tstd\tscaled mean\tscaled std\t")
	for _, c := range modelInputs {
		m0, s0, err := meanStd(before, c)
		if err != nil {
			return err
		}
		m1, s1, err := meanStd(after, c)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t\n", c, m0, s0, noNegZero(m1), s1)
	}
	return tw.Flush()
}

// meanStd returns the mean and population standard deviation of a numeric
// column without nulls.
func meanStd(t arrow.Table, col string) (mean, std float64, err error) {
	ch, err := kiln.Column(t, col, nil)
	if err != nil {
		return 0, 0, err
	}
	var vals []float64
	for _, a := range ch.Chunks() {
		switch a := a.(type) {
		case *array.Int64:
			for _, v := range a.Int64Values() {
				vals = append(vals, float64(v))
			}
		case *array.Float64:
			vals = append(vals, a.Float64Values()...)
		default:
			return 0, 0, fmt.Errorf("column %q: type %s is not numeric", col, a.DataType())
		}
	}
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	for _, v := range vals {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(vals))), nil
}

// noNegZero returns x, or 0 when x would print as -0.000.
func noNegZero(x float64) float64 {
	if math.Abs(x) < 0.0005 {
		return 0
	}
	return x
}

// sumInt64 sums an int64 column.
func sumInt64(t arrow.Table, col string) (int64, error) {
	ch, err := kiln.Column(t, col, arrow.PrimitiveTypes.Int64)
	if err != nil {
		return 0, err
	}
	var s int64
	for _, a := range ch.Chunks() {
		for _, v := range a.(*array.Int64).Int64Values() {
			s += v
		}
	}
	return s, nil
}
