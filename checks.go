package kiln

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/lineage"
)

// quarantineSuffix names a node's quarantine dataset: rows that failed a
// quarantine-severity check of "silver.events" go to
// "silver.events_quarantine", with the columns _kiln_check and _kiln_reason.
const quarantineSuffix = "_quarantine"

// QuarantineDataset returns the name of the dataset where a node's
// quarantined rows are committed.
func QuarantineDataset(node string) string { return node + quarantineSuffix }

// applyChecks evaluates the node's checks on out. It returns the rows that go
// on and, when the node has quarantine checks, the quarantined rows (possibly
// none). An error-severity failure fails the node with ErrCheckFailed.
func (t *task) applyChecks(c *Context, out arrow.Table) (passed, quarantine arrow.Table, err error) {
	checks := t.node.node.checks
	if len(checks) == 0 {
		return out, nil, nil
	}
	results := make([]CheckResult, len(checks))
	hasQuarantine := false
	for i, chk := range checks {
		var res CheckResult
		err := safeCall(func() (err error) { res, err = chk.Evaluate(c, out); return err })
		if err != nil {
			return nil, nil, fmt.Errorf("check %s: %w", t.node.Checks[i].Name, err)
		}
		if res.Check == "" {
			res.Check = t.node.Checks[i].Name
		}
		if res.Severity == "" {
			res.Severity = SeverityError
		}
		if res.Severity == SeverityQuarantine {
			hasQuarantine = true
		}
		results[i] = res
	}
	t.checks = results

	var failed []string
	for _, res := range results {
		if !res.Success && res.Severity == SeverityError {
			failed = append(failed, describeFailure(res))
		}
	}
	if len(failed) > 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrCheckFailed, strings.Join(failed, "; "))
	}
	for _, res := range results {
		if !res.Success && res.Severity == SeverityWarn {
			c.Logger().Warn("quality check failed (warn)", "check", res.Check, "column", res.Column, "unexpected", res.UnexpectedCount, "message", res.Message)
		}
	}
	if !hasQuarantine {
		return out, nil, nil
	}
	return t.quarantine(c, out, results)
}

func describeFailure(r CheckResult) string {
	var b strings.Builder
	b.WriteString(r.Check)
	if r.Column != "" {
		fmt.Fprintf(&b, " on column %q", r.Column)
	} else if len(r.Columns) > 0 {
		fmt.Fprintf(&b, " on columns %q", r.Columns)
	}
	if r.UnexpectedCount > 0 {
		fmt.Fprintf(&b, ": %d unexpected of %d (%.4g%%)", r.UnexpectedCount, r.ElementCount, r.UnexpectedPercent)
	}
	if r.Observed != nil {
		fmt.Fprintf(&b, ", observed %v", r.Observed)
	}
	if r.Expected != "" {
		fmt.Fprintf(&b, ", expected %s", r.Expected)
	}
	if r.Message != "" {
		b.WriteString(": ")
		b.WriteString(r.Message)
	}
	return b.String()
}

// quarantine splits out into the rows no quarantine check flagged and the
// flagged rows, which get the first flagging check's name and reason. Both
// keep input row order, and together they hold every input row once.
func (t *task) quarantine(c *Context, out arrow.Table, results []CheckResult) (arrow.Table, arrow.Table, error) {
	n := out.NumRows()
	reason := make([]int, n) // 1 + index of the first check that flagged the row
	for i := range results {
		res := &results[i]
		if res.Success || res.Severity != SeverityQuarantine {
			continue
		}
		var cnt int64
		for _, row := range res.FailedRows {
			if row < 0 || row >= n {
				return nil, nil, fmt.Errorf("check %s: failed row %d out of range [0, %d)", res.Check, row, n)
			}
			if reason[row] == 0 {
				reason[row] = i + 1
				cnt++
			}
		}
		res.Quarantined = cnt
		t.quarantined += cnt
	}
	mem := c.Allocator()
	keepB := array.NewBooleanBuilder(mem)
	defer keepB.Release()
	dropB := array.NewBooleanBuilder(mem)
	defer dropB.Release()
	checkB := array.NewStringBuilder(mem)
	defer checkB.Release()
	reasonB := array.NewStringBuilder(mem)
	defer reasonB.Release()
	keepB.Reserve(int(n))
	dropB.Reserve(int(n))
	for row := range n {
		k := reason[row] == 0
		keepB.UnsafeAppend(k)
		dropB.UnsafeAppend(!k)
		if !k {
			res := results[reason[row]-1]
			checkB.Append(res.Check)
			reasonB.Append(describeFailure(res))
		}
	}
	keep, drop := keepB.NewBooleanArray(), dropB.NewBooleanArray()
	defer keep.Release()
	defer drop.Release()
	passed, err := compute.FilterTable(c, out, compute.NewDatum(keep), compute.DefaultFilterOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("quarantine: %w", err)
	}
	bad, err := compute.FilterTable(c, out, compute.NewDatum(drop), compute.DefaultFilterOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("quarantine: %w", err)
	}
	checkArr, reasonArr := checkB.NewArray(), reasonB.NewArray()
	defer checkArr.Release()
	defer reasonArr.Release()
	fields := append(slices.Clone(out.Schema().Fields()),
		arrow.Field{Name: "_kiln_check", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "_kiln_reason", Type: arrow.BinaryTypes.String})
	schema := arrow.NewSchema(fields, nil)
	cols := make([]arrow.Column, 0, len(fields))
	for i := range bad.NumCols() {
		cols = append(cols, *bad.Column(int(i)))
	}
	for i, a := range []arrow.Array{checkArr, reasonArr} {
		ch := arrow.NewChunked(a.DataType(), []arrow.Array{a})
		cols = append(cols, *arrow.NewColumn(fields[len(fields)-2+i], ch))
		ch.Release()
	}
	qt := array.NewTable(schema, cols, bad.NumRows())
	return passed, qt, nil
}

// commitQuarantine commits the quarantined rows of the task's partition
// (possibly none, so a rerun replaces an earlier quarantine).
func (t *task) commitQuarantine(ctx context.Context, q arrow.Table) error {
	name := QuarantineDataset(t.node.Name)
	content, err := digest.Table(q)
	if err != nil {
		return fmt.Errorf("quarantine content hash: %w", err)
	}
	m := &Manifest{
		Format:      lineage.ManifestFormat,
		Pipeline:    t.r.p.name,
		Dataset:     name,
		Partition:   t.part.String(),
		Kind:        "quarantine",
		Fingerprint: digest.NewBuilder("kiln.quarantine.v1").Sum("node", t.fp).Digest(),
		ContentHash: content,
		Rows:        q.NumRows(),
		Schema:      schemaFields(q.Schema()),
		Inputs:      []lineage.Input{{Dataset: t.node.Name, Partition: t.part.String(), Mapping: "same", ContentHash: t.content}},
		Operation:   lineage.Operation{Name: "kiln.quarantine", Version: "1"},
		CheckSpecs:  t.node.checkOps,
		Build:       lineage.CurrentBuild(),
	}
	if err := t.r.commit(ctx, name, t.part, q, m); err != nil {
		return fmt.Errorf("commit quarantine %s: %w", name, err)
	}
	return nil
}
