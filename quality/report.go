package quality

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/lineage"
)

// Report is a set of check results with a summary, in a readable text form
// for terminals (WriteText, String) and a stable JSON form (JSON). Build one
// with NewReport, ReportOf (a run's results) or ManifestReport / ReadReport
// (a committed partition's). It is lineage.QualityReport, so that tools
// which see only the lineage records (the kiln CLI, run reports) render
// check results the same way.
type Report = lineage.QualityReport

// Summary counts a report's results: evaluated, passed, failed, warned and
// quarantined, and the pass rate (the data_quality_pass_rate).
type Summary = lineage.QualitySummary

// ReportEntry is one check result with the node and partition it was for
// (empty when unknown).
type ReportEntry = lineage.QualityEntry

// NewReport builds a report of results.
func NewReport(results []kiln.CheckResult) *Report {
	entries := make([]ReportEntry, len(results))
	for i, r := range results {
		entries[i] = ReportEntry{CheckResult: r}
	}
	return lineage.NewQualityReport(entries)
}

// ReportOf builds a report of every check result of a run, cached nodes
// included (their results are those stored with the commit).
func ReportOf(res *kiln.Result) *Report {
	var entries []ReportEntry
	for _, n := range res.Nodes {
		for _, c := range n.Checks {
			entries = append(entries, ReportEntry{Node: n.Node, Partition: n.Partition.String(), CheckResult: c})
		}
	}
	return lineage.NewQualityReport(entries)
}

// ManifestReport builds a report of the check results stored in a
// committed partition's manifest.
func ManifestReport(m *kiln.Manifest) *Report { return lineage.ManifestQualityReport(m) }

// ReadReport reads the check results of a committed partition from its
// manifest in the lake rooted at lakeDir (the pipeline's kiln.WithLake
// directory; dataset "silver.events" lives in silver/events). It returns an
// error wrapping fs.ErrNotExist when the partition is not committed.
func ReadReport(lakeDir, dataset string, p kiln.Partition) (*Report, error) {
	m, err := kiln.ReadManifest(lakeDir, dataset, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("quality: %s partition %s is not committed in %s: %w", dataset, p, lakeDir, err)
		}
		return nil, fmt.Errorf("quality: %w", err)
	}
	return ManifestReport(m), nil
}
