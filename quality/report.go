package quality

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/kiln-data/kiln"
)

// Report is a set of check results with a summary, in a readable text form
// for terminals (WriteText, String) and a stable JSON form (JSON). Build one
// with NewReport, ReportOf (a run's results) or ManifestReport / ReadReport
// (a committed partition's).
type Report struct {
	// Summary counts the results.
	Summary Summary `json:"summary"`
	// Results are the check results, in the order given (for a run: node
	// order, then check order).
	Results []ReportEntry `json:"results"`
}

// Summary counts a report's results.
type Summary struct {
	// Evaluated is the number of results.
	Evaluated int `json:"evaluated"`
	// Passed is the number of successful results.
	Passed int `json:"passed"`
	// Failed, Warned and Quarantined count the failures by severity.
	Failed      int `json:"failed"`
	Warned      int `json:"warned"`
	Quarantined int `json:"quarantined"`
	// PassRate is Passed / Evaluated (1 when nothing was evaluated): the
	// data_quality_pass_rate.
	PassRate float64 `json:"pass_rate"`
}

// ReportEntry is one check result with the node and partition it was for
// (empty when unknown).
type ReportEntry struct {
	Node      string `json:"node,omitempty"`
	Partition string `json:"partition,omitempty"`
	kiln.CheckResult
}

// NewReport builds a report of results.
func NewReport(results []kiln.CheckResult) *Report {
	entries := make([]ReportEntry, len(results))
	for i, r := range results {
		entries[i] = ReportEntry{CheckResult: r}
	}
	return newReport(entries)
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
	return newReport(entries)
}

// ManifestReport builds a report of the check results stored in a
// committed partition's manifest.
func ManifestReport(m *kiln.Manifest) *Report {
	entries := make([]ReportEntry, len(m.Checks))
	for i, c := range m.Checks {
		entries[i] = ReportEntry{Node: m.Dataset, Partition: m.Partition, CheckResult: c}
	}
	return newReport(entries)
}

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

func newReport(entries []ReportEntry) *Report {
	r := &Report{Results: entries}
	s := &r.Summary
	for _, e := range entries {
		s.Evaluated++
		switch {
		case e.Success:
			s.Passed++
		case e.Severity == kiln.SeverityWarn:
			s.Warned++
		case e.Severity == kiln.SeverityQuarantine:
			s.Quarantined++
		default:
			s.Failed++
		}
	}
	s.PassRate = 1
	if s.Evaluated > 0 {
		s.PassRate = float64(s.Passed) / float64(s.Evaluated)
	}
	return r
}

// JSON returns the report as indented JSON with a trailing newline. The
// encoding is stable: fields in a fixed order, map keys sorted, non-finite
// floats written as the strings "NaN", "+Inf" and "-Inf", so equal reports
// give equal bytes.
func (r *Report) JSON() ([]byte, error) {
	c := *r
	c.Results = make([]ReportEntry, len(r.Results))
	for i, e := range r.Results {
		e.Observed = jsonSafe(e.Observed)
		if len(e.Unexpected) > 0 {
			u := make([]kiln.Unexpected, len(e.Unexpected))
			for j, x := range e.Unexpected {
				u[j] = kiln.Unexpected{Row: x.Row, Value: jsonSafe(x.Value)}
			}
			e.Unexpected = u
		}
		e.FailedRows = nil
		c.Results[i] = e
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("quality: encode report: %w", err)
	}
	return buf.Bytes(), nil
}

// jsonSafe replaces non-finite floats in v (also inside slices and maps)
// with strings naming them.
func jsonSafe(v any) any {
	switch v := v.(type) {
	case float64:
		return jsonFloat(v)
	case float32:
		return jsonFloat(float64(v))
	case []float64:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonFloat(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonSafe(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonSafe(x)
		}
		return out
	}
	return v
}

// String returns the text form of the report.
func (r *Report) String() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

// WriteText writes the report as an aligned table (check, column, observed,
// expected, unexpected %, status) followed by a summary line. Long cells
// are shortened with "…".
func (r *Report) WriteText(w io.Writer) error {
	withNode := false
	for _, e := range r.Results {
		withNode = withNode || e.Node != ""
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "CHECK\tCOLUMN\tOBSERVED\tEXPECTED\tUNEXPECTED\tSTATUS"
	if withNode {
		header = "NODE\t" + header
	}
	fmt.Fprintln(tw, header)
	for _, e := range r.Results {
		col := e.Column
		if col == "" && len(e.Columns) > 0 {
			col = strings.Join(e.Columns, ",")
		}
		cells := []string{e.Check, orDash(col), observedText(e.CheckResult), orDash(e.Expected), unexpectedText(e.CheckResult), statusText(e.CheckResult)}
		if withNode {
			cells = append([]string{e.Node}, cells...)
		}
		for i, c := range cells {
			cells[i] = shorten(c, 48)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := r.Summary
	_, err := fmt.Fprintf(w, "%d checks: %d passed, %d failed, %d warned, %d quarantined; pass rate %.1f%%\n",
		s.Evaluated, s.Passed, s.Failed, s.Warned, s.Quarantined, 100*s.PassRate)
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\t", " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func observedText(r kiln.CheckResult) string {
	switch v := r.Observed.(type) {
	case nil:
		if r.Message != "" && !r.Success {
			return "null"
		}
		return "-"
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
		return fmt.Sprintf("%.6g", v)
	case string:
		return v
	case int64, int, uint64:
		return fmt.Sprint(v)
	}
	b, err := json.Marshal(jsonSafe(r.Observed))
	if err != nil {
		return fmt.Sprint(r.Observed)
	}
	return string(b)
}

func unexpectedText(r kiln.CheckResult) string {
	if r.Observed != nil || (r.UnexpectedCount == 0 && r.Message != "") {
		return "-"
	}
	return fmt.Sprintf("%.2f%% (%d)", r.UnexpectedPercent, r.UnexpectedCount)
}

func statusText(r kiln.CheckResult) string {
	switch {
	case r.Success:
		return "pass"
	case r.Severity == kiln.SeverityWarn:
		return "WARN"
	case r.Severity == kiln.SeverityQuarantine:
		if r.Quarantined > 0 {
			return fmt.Sprintf("QUARANTINED %d", r.Quarantined)
		}
		return "QUARANTINE"
	}
	return "FAIL"
}
