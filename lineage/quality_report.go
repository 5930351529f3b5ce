package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// QualityReport is a set of check results with a summary, in a readable
// text form for terminals (WriteText, String) and a stable JSON form (JSON).
// Package quality builds them from runs and manifests (quality.Report is
// this type); the kiln CLI's quality command and run reports print them.
type QualityReport struct {
	// Summary counts the results.
	Summary QualitySummary `json:"summary"`
	// Results are the check results, in the order given (for a run: node
	// order, then check order).
	Results []QualityEntry `json:"results"`
}

// QualitySummary counts a report's results.
type QualitySummary struct {
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

// QualityEntry is one check result with the node and partition it was for
// (empty when unknown).
type QualityEntry struct {
	Node      string `json:"node,omitempty"`
	Partition string `json:"partition,omitempty"`
	CheckResult
}

// QualityRow is a check result as the text table shows it: every cell a
// short string. HTML and Markdown renderings use the same cells.
type QualityRow struct {
	Node, Check, Column, Observed, Expected, Unexpected, Status string
}

// NewQualityReport builds a report of entries, counting them.
func NewQualityReport(entries []QualityEntry) *QualityReport {
	r := &QualityReport{Results: entries}
	s := &r.Summary
	for _, e := range entries {
		s.Evaluated++
		switch {
		case e.Success:
			s.Passed++
		case e.Severity == SeverityWarn:
			s.Warned++
		case e.Severity == SeverityQuarantine:
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

// ManifestQualityReport builds a report of the check results stored in a
// committed partition's manifest.
func ManifestQualityReport(m *Manifest) *QualityReport {
	entries := make([]QualityEntry, len(m.Checks))
	for i, c := range m.Checks {
		entries[i] = QualityEntry{Node: m.Dataset, Partition: m.Partition, CheckResult: c}
	}
	return NewQualityReport(entries)
}

// RunQualityReport builds a report of every check result in a complete run
// record (summaries from Store.Runs carry none), in node order.
func RunQualityReport(r *RunRecord) *QualityReport {
	var entries []QualityEntry
	for _, n := range r.Nodes {
		for _, c := range n.Checks {
			entries = append(entries, QualityEntry{Node: n.Node, Partition: n.Partition, CheckResult: c})
		}
	}
	return NewQualityReport(entries)
}

// JSON returns the report as indented JSON with a trailing newline. The
// encoding is stable: fields in a fixed order, map keys sorted, non-finite
// floats written as the strings "NaN", "+Inf" and "-Inf", so equal reports
// give equal bytes.
func (r *QualityReport) JSON() ([]byte, error) {
	c := *r
	c.Results = make([]QualityEntry, len(r.Results))
	for i, e := range r.Results {
		e.Observed = jsonSafe(e.Observed)
		if len(e.Unexpected) > 0 {
			u := make([]Unexpected, len(e.Unexpected))
			for j, x := range e.Unexpected {
				u[j] = Unexpected{Row: x.Row, Value: jsonSafe(x.Value)}
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

// String returns the text form of the report.
func (r *QualityReport) String() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

// HasNodes reports whether any entry names its node (the text table then
// has a NODE column).
func (r *QualityReport) HasNodes() bool {
	for _, e := range r.Results {
		if e.Node != "" {
			return true
		}
	}
	return false
}

// WriteText writes the report as an aligned table (check, column, observed,
// expected, unexpected %, status) followed by a summary line. Long cells
// are shortened with "…".
func (r *QualityReport) WriteText(w io.Writer) error {
	withNode := r.HasNodes()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "CHECK\tCOLUMN\tOBSERVED\tEXPECTED\tUNEXPECTED\tSTATUS"
	if withNode {
		header = "NODE\t" + header
	}
	fmt.Fprintln(tw, header)
	for _, e := range r.Results {
		row := e.Row()
		cells := []string{row.Check, row.Column, row.Observed, row.Expected, row.Unexpected, row.Status}
		if withNode {
			cells = append([]string{row.Node}, cells...)
		}
		for i, c := range cells {
			cells[i] = shorten(c, 48)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Summary.String())
	return err
}

// String is the summary line of the text form.
func (s QualitySummary) String() string {
	return fmt.Sprintf("%d checks: %d passed, %d failed, %d warned, %d quarantined; pass rate %.1f%%",
		s.Evaluated, s.Passed, s.Failed, s.Warned, s.Quarantined, 100*s.PassRate)
}

// Row returns the entry's cells as the text table shows them, unshortened;
// missing values are "-".
func (e QualityEntry) Row() QualityRow {
	col := e.Column
	if col == "" && len(e.Columns) > 0 {
		col = strings.Join(e.Columns, ",")
	}
	return QualityRow{
		Node: e.Node, Check: e.Check, Column: orDash(col), Observed: observedText(e.CheckResult),
		Expected: orDash(e.Expected), Unexpected: unexpectedText(e.CheckResult), Status: statusText(e.CheckResult),
	}
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

func observedText(r CheckResult) string {
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

func unexpectedText(r CheckResult) string {
	if r.Observed != nil || (r.UnexpectedCount == 0 && r.Message != "") {
		return "-"
	}
	return fmt.Sprintf("%.2f%% (%d)", r.UnexpectedPercent, r.UnexpectedCount)
}

func statusText(r CheckResult) string {
	switch {
	case r.Success:
		return "pass"
	case r.Severity == SeverityWarn:
		return "WARN"
	case r.Severity == SeverityQuarantine:
		if r.Quarantined > 0 {
			return fmt.Sprintf("QUARANTINED %d", r.Quarantined)
		}
		return "QUARANTINE"
	}
	return "FAIL"
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

func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}
