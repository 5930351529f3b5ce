package kiln_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

// Listener cost per node event: what a run pays for metrics and progress.
func BenchmarkListenerNodeFinished(b *testing.B) {
	run := &lineage.RunRecord{RunID: "r", Pipeline: "p", Partition: "dt=2024-01-30"}
	node := &lineage.NodeRun{Node: "silver.events", Partition: "dt=2024-01-30", Status: "computed", Rows: 1000, DurationMS: 12,
		Checks: []lineage.CheckResult{{Check: "not_null", Success: true}}}
	m, err := kiln.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	plain := kiln.NewProgress(io.Discard, kiln.ProgressOptions{Mode: kiln.ProgressPlain, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	live := kiln.NewProgress(io.Discard, kiln.ProgressOptions{Mode: kiln.ProgressLive, Interval: 1e12})
	for _, l := range []struct {
		name string
		l    lineage.Listener
	}{{"metrics", m}, {"progress-plain", plain}, {"progress-live", live}} {
		l.l.RunStarted(run)
		b.Run(l.name, func(b *testing.B) {
			for b.Loop() {
				l.l.NodeFinished(run, node)
			}
		})
	}
}

// Rendering a report of a 6-node run with 5 days of history.
func BenchmarkRunReport(b *testing.B) {
	ct := newCLITest(b)
	parts, _ := kiln.Days("2024-01-01", "2024-01-05")
	bf, err := ct.p.Backfill(b.Context(), parts)
	if err != nil {
		b.Fatal(err)
	}
	id := bf.Runs[4].RunID
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			if _, err := kiln.LoadRunReport(b.Context(), ct.def, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	rep, err := kiln.LoadRunReport(b.Context(), ct.def, id)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("html", func(b *testing.B) {
		for b.Loop() {
			if err := rep.WriteHTML(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
